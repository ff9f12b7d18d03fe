import { join } from 'node:path';
import { AUDIT_SCHEMA_PATH } from '@unionfed/audit';

/** The SDL files of this subgraph: the app serves them and the supergraph is composed from them. */
export const SUBGRAPH_TYPE_PATHS = [
  join(__dirname, 'schema.graphql'),
  join(__dirname, 'structure.graphql'),
  join(__dirname, 'roster-import.graphql'),
  join(__dirname, 'transfer.graphql'),
  join(__dirname, 'self-service.graphql'),
  join(__dirname, 'headcount.graphql'),
  join(__dirname, 'member-record.graphql'),
  // AuditEntry and its connection (libs/audit), for membershipAuditLog
  AUDIT_SCHEMA_PATH,
];
