import { join } from 'node:path';
import { DIRECTORY_SCHEMA_PATH } from '@unionfed/directory';

/** The SDL of the identity subgraph the gateway serves itself; the supergraph is composed from it too. */
export const SUBGRAPH_TYPE_PATHS = [join(__dirname, 'identity.graphql'), DIRECTORY_SCHEMA_PATH];
