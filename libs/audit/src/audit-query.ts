import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '@unionfed/persistence';
import type { Reach } from '@unionfed/auth';

export interface AuditQueryFilter {
  actorId?: string | null;
  entityType?: string | null;
  entityId?: string | null;
  branchId?: string | null;
  action?: string | null;
  outcome?: string | null;
  /** inclusive */
  from?: Date | string | null;
  /** exclusive */
  to?: Date | string | null;
}

export interface AuditRow {
  id: string;
  occurredAt: Date;
  actorId: string;
  actorName: string;
  role: string | null;
  roleBranchId: string | null;
  branchId: string | null;
  action: string;
  outcome: string;
  entityType: string | null;
  entityId: string | null;
  before: unknown;
  after: unknown;
  details: Record<string, unknown>;
  address: string | null;
  traceId: string | null;
}

/**
 * A page of the audit trail, newest first, narrowed to the caller's reach IN SQL (`reach.sqlCondition` on
 * branch_id): a branch's officer sees the rows of their branch and none of the federation's own (branch_id
 * null). `afterId` is the last id of the previous page; at most `limit` rows.
 */
export async function listAuditLog(
  db: DataSource | EntityManager,
  reach: Reach,
  filter: AuditQueryFilter,
  limit: number,
  afterId?: string,
): Promise<AuditRow[]> {
  const params: unknown[] = [];
  const where = [reach.sqlCondition('branch_id', params)];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    where.push(sql(params.length));
  };
  // an id that is no UUID names no row (and must not reach a ::uuid cast)
  for (const id of [filter.branchId, afterId]) if (id && !isUuid(id)) return [];
  if (filter.actorId) add((n) => `actor_id = $${n}`, filter.actorId);
  if (filter.entityType) add((n) => `entity_type = $${n}`, filter.entityType);
  if (filter.entityId) add((n) => `entity_id = $${n}`, filter.entityId);
  if (filter.branchId) add((n) => `branch_id = $${n}::uuid`, filter.branchId);
  if (filter.action) add((n) => `action = $${n}`, filter.action);
  if (filter.outcome) add((n) => `outcome = $${n}`, filter.outcome);
  if (filter.from) add((n) => `occurred_at >= $${n}::timestamptz`, new Date(filter.from));
  if (filter.to) add((n) => `occurred_at < $${n}::timestamptz`, new Date(filter.to));
  if (afterId) add((n) => `id < $${n}::uuid`, afterId);
  params.push(limit);
  const rows: Record<string, unknown>[] = await db.query(
    `SELECT id, occurred_at, actor_id, actor_name, role, role_branch_id, branch_id, action, outcome, entity_type,
            entity_id, before, after, details, address, trace_id
       FROM audit_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  return rows.map((r) => ({
    id: r.id as string,
    occurredAt: r.occurred_at as Date,
    actorId: r.actor_id as string,
    actorName: r.actor_name as string,
    role: (r.role as string | null) ?? null,
    roleBranchId: (r.role_branch_id as string | null) ?? null,
    branchId: (r.branch_id as string | null) ?? null,
    action: r.action as string,
    outcome: r.outcome as string,
    entityType: (r.entity_type as string | null) ?? null,
    entityId: (r.entity_id as string | null) ?? null,
    before: r.before ?? null,
    after: r.after ?? null,
    details: (r.details as Record<string, unknown>) ?? {},
    address: (r.address as string | null) ?? null,
    traceId: (r.trace_id as string | null) ?? null,
  }));
}
