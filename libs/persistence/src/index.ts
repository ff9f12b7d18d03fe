export * from './uuidv7';
// inTransaction (data-source.ts) is no longer exported: UnitOfWork is the one way to run a transaction
export { createDataSource, migrate, type DataSourceOptions } from './data-source';
export * from './copy';
export * from './pg-errors';
export * from './unit-of-work';
