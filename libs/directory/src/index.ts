export * from './entities';
export * from './directory.migration';
export * from './directory.consumer';
export * from './directory.module';
import { join } from 'node:path';

/** The SDL of DirectorySync & co., for a subgraph's typePaths. */
export const DIRECTORY_SCHEMA_PATH = join(__dirname, 'schema-fragment.graphql');
