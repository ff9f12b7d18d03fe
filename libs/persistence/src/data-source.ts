import { DataSource, type EntityManager, type MixedList, type EntitySchema } from 'typeorm';

export interface DataSourceOptions {
  url: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  /** shows in pg_stat_activity */
  applicationName: string;
  poolSize?: number;
}

/**
 * The one way a service talks to its PostgreSQL database: explicit migrations (never `synchronize`), a bounded
 * pool, UTC everywhere.
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error'],
    applicationName: options.applicationName,
    extra: { max: options.poolSize ?? 10, options: '-c timezone=UTC' },
  });
}

/** Connects (if needed) and brings the schema up to date. */
export async function migrate(dataSource: DataSource): Promise<void> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
}

/**
 * Runs `work` in one transaction: everything it writes — state, history, audit and outbox rows — commits or
 * rolls back together.
 */
export function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return dataSource.transaction(work);
}
