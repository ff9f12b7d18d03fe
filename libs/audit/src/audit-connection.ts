import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { Reach } from '@unionfed/auth';
import { InvalidInputError } from '@unionfed/domain-kit';
import { decodeCursor, pageSize, toConnection, type Connection } from '@unionfed/graphql-kit';
import { listAuditLog, type AuditQueryFilter, type AuditRow } from './audit-query';

/** The SDL of AuditEntry and its connection: each subgraph with an audit query lists it in its type paths. */
export const AUDIT_SCHEMA_PATH = join(__dirname, 'audit.graphql');

export interface AuditEntryView extends Omit<AuditRow, 'occurredAt' | 'before' | 'after' | 'details'> {
  occurredAt: string;
  before: string | null;
  after: string | null;
  details: string;
}

function instant(value: string | null | undefined, field: string): Date | undefined {
  if (value == null || value === '') return undefined;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new InvalidInputError(`${field} must be an ISO 8601 date or instant`, 'INVALID_INSTANT', { field });
  }
  return date;
}

/**
 * A service's audit query (e.g. `membershipAuditLog`): the filter checked, a page of rows within the caller's
 * reach (in SQL), newest first. Asking for a branch out of reach is refused and audited (`reach.assertBranch`).
 */
export async function auditLogConnection(
  dataSource: DataSource,
  reach: Reach,
  filter: (Omit<AuditQueryFilter, 'from' | 'to'> & { from?: string | null; to?: string | null }) | undefined,
  first: number | undefined,
  after: string | undefined,
): Promise<Connection<AuditEntryView>> {
  const size = pageSize(first);
  const afterId = after ? decodeCursor(after) : undefined;
  if (filter?.branchId) reach.assertBranch(filter.branchId);
  const criteria: AuditQueryFilter = {
    ...filter,
    from: instant(filter?.from, 'from'),
    to: instant(filter?.to, 'to'),
  };
  // one more row than the page: it tells whether there is a next page
  const rows = await listAuditLog(dataSource, reach, criteria, size + 1, afterId);
  const json = (value: unknown) => (value == null ? null : JSON.stringify(value));
  return toConnection(
    rows.map((row) => ({
      ...row,
      occurredAt: row.occurredAt.toISOString(),
      before: json(row.before),
      after: json(row.after),
      details: JSON.stringify(row.details),
    })),
    size,
    0,
    (row) => row.id,
  );
}
