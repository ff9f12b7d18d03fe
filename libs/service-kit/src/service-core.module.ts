import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { EntitySchema, MixedList } from 'typeorm';
import { createDataSource, migrate } from '@unionfed/persistence';
import { MESSAGING_MIGRATIONS, MessagingModule } from '@unionfed/messaging';
import { HealthController, MetricsController, ProcessMetrics } from './health';
import { serviceConfig } from './config';
import type { DomainServiceName } from './topology';

export interface ServiceCoreOptions {
  service: DomainServiceName;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | EntitySchema>;
  /** the service's own migrations; the outbox/inbox tables are added first */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: Function[];
}

/**
 * The migrations of a service's database in the order they run: the outbox and inbox tables first, then the
 * service's own (tests migrate their databases with the same list: libs/testing serviceDatabase).
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function serviceMigrations(own: readonly Function[]): Function[] {
  return [...MESSAGING_MIGRATIONS, ...own];
}

/**
 * What every domain service has: its database (migrated on start-up), the outbox relay and Kafka producer,
 * health and readiness endpoints.
 */
@Module({})
export class ServiceCoreModule {
  static forRoot(options: ServiceCoreOptions): DynamicModule {
    const config = serviceConfig(options.service);
    return {
      module: ServiceCoreModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({}),
          dataSourceFactory: async () => {
            const dataSource = createDataSource({
              url: config.databaseUrl,
              entities: options.entities,
              migrations: serviceMigrations(options.migrations),
              applicationName: options.service,
            });
            await migrate(dataSource);
            return dataSource;
          },
        }),
        MessagingModule.forService({ service: options.service, databaseUrl: config.databaseUrl }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [ProcessMetrics],
    };
  }
}
