import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { composeSupergraph, SUPERGRAPH_PATH } from './subgraphs';

// `npm run supergraph:compose`: rewrites apps/gateway/supergraph.graphql from the subgraphs' SDL files.
writeFileSync(SUPERGRAPH_PATH, composeSupergraph());
console.log(`wrote ${relative(process.cwd(), SUPERGRAPH_PATH)}`);
