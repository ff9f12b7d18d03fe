import type { DataSource, EntitySchema, MixedList } from 'typeorm';
import { createDataSource, migrate } from '@unionfed/persistence';
import { serviceMigrations } from '@unionfed/service-kit';
import { createTestDatabase } from './environment';

export interface ServiceDatabase {
  /** the database's URL (e.g. for a relay's LISTEN connection) */
  url: string;
  name: string;
  dataSource: DataSource;
  /** closes the data source and drops the database */
  drop(): Promise<void>;
}

export interface ServiceDatabaseOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities?: MixedList<Function | EntitySchema>;
  /** the service's own migrations (e.g. MEMBERSHIP_MIGRATIONS); the outbox and inbox tables come first */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: readonly Function[];
  poolSize?: number;
}

/**
 * A fresh database of its own for one test file, migrated as the service migrates its database at start-up
 * (service-kit's serviceMigrations: messaging's tables, then the service's), with a data source on it.
 */
export async function serviceDatabase(
  label: string,
  { entities = [], migrations, poolSize }: ServiceDatabaseOptions,
): Promise<ServiceDatabase> {
  const database = await createTestDatabase(label);
  const dataSource = createDataSource({
    url: database.url,
    entities,
    migrations: serviceMigrations(migrations),
    applicationName: `${label}-test`,
    poolSize,
  });
  try {
    await migrate(dataSource);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    url: database.url,
    name: database.name,
    dataSource,
    drop: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await database.drop();
    },
  };
}
