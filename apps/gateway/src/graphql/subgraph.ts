import { join } from 'node:path';

/** The SDL of the identity subgraph the gateway serves itself; the supergraph is composed from it too. */
export const SUBGRAPH_TYPE_PATHS = [join(__dirname, 'identity.graphql')];
