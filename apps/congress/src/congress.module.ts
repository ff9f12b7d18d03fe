import { Module } from '@nestjs/common';
import { serviceConsumers, ServiceCoreModule } from '@unionfed/service-kit';
import { subgraphModule } from '@unionfed/graphql-kit';
import { AUDIT_MIGRATIONS, auditLogResolver } from '@unionfed/audit';
import {
  DIRECTORY_ENTITIES,
  DIRECTORY_MIGRATIONS,
  DirectoryConsumer,
  DirectoryModule,
} from '@unionfed/directory';
import { SUBGRAPH_TYPE_PATHS } from './graphql/subgraph';

@Module({
  imports: [
    ServiceCoreModule.forRoot({
      service: 'congress',
      entities: [...DIRECTORY_ENTITIES],
      // the audit trail (libs/audit) every service keeps, read through its audit field
      migrations: [...DIRECTORY_MIGRATIONS, ...AUDIT_MIGRATIONS],
    }),
    // the service's event consumers: one consumer group, inbox and dead-letter policy for all of them
    serviceConsumers('congress', [DirectoryConsumer]),
    DirectoryModule.forService('congress'),
    subgraphModule({ typePaths: SUBGRAPH_TYPE_PATHS }),
  ],
  providers: [auditLogResolver('congress')],
})
export class CongressModule {}
