import { join } from 'node:path';
import { AUDIT_SCHEMA_PATH } from '@unionfed/audit';
import { DIRECTORY_SCHEMA_PATH } from '@unionfed/directory';

/** The SDL files of this subgraph: the app serves them and the supergraph is composed from them. */
export const SUBGRAPH_TYPE_PATHS = [
  join(__dirname, 'schema.graphql'),
  join(__dirname, 'ledger.graphql'),
  DIRECTORY_SCHEMA_PATH,
  // AuditEntry and its connection (libs/audit), for the audit trail's field
  AUDIT_SCHEMA_PATH,
];
