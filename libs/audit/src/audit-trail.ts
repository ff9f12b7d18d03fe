import type { EntityManager } from 'typeorm';
import { copyRows, uuidv7, type Acting, type AuditSink, type CopyValue } from '@unionfed/persistence';
import { activeTraceId } from '@unionfed/telemetry';
import { redact, type RedactionRules } from './redact';

/** One audited act: what was done to which record of which branch, and the record before and after it. */
export interface AuditEntry {
  /** past-tense verb of the domain, e.g. MEMBER_ADMITTED, UNION_GROUP_RENAMED */
  action: string;
  /** null for acts on no record (a failed sign-in) */
  entityType: string | null;
  entityId: string | null;
  /** the branch the record belongs to (null: the federation's own) — what the audit query is scoped by */
  branchId: string | null;
  before?: object | null;
  after?: object | null;
  details?: Record<string, unknown>;
  /** SUCCESS unless told (the gateway records failed and refused sign-ins, too) */
  outcome?: string;
  /**
   * who, when the entry is about someone else than the unit's acting principal (the gateway's sign-in of an
   * account, made by an anonymous caller); the unit's `acting` otherwise
   */
  actorId?: string | null;
  actorName?: string | null;
  /** the caller's address, where the service knows it */
  address?: string | null;
}

export interface AuditTrailOptions {
  /** sensitive fields per entity type: kept as "[REDACTED]" (see redact.ts) */
  redact?: RedactionRules;
  /** false only with the benchmark switch (UNIONFED_AUDIT=off, see audit-switch.ts) */
  enabled?: boolean;
}

const COLUMNS = [
  'id',
  'actor_id',
  'actor_name',
  'role',
  'role_branch_id',
  'branch_id',
  'action',
  'outcome',
  'entity_type',
  'entity_id',
  'before',
  'after',
  'details',
  'address',
  'trace_id',
] as const;

/** From this many entries on, they go in with COPY. */
const COPY_FROM_ROWS = 50;

/**
 * Writes audit entries into `audit_log` in the caller's transaction (the unit of work hands it its entries just
 * before commit): a change and its audit row commit or roll back together. Sensitive fields are redacted by
 * declaration, per entity type.
 */
export class AuditTrail implements AuditSink<AuditEntry> {
  private readonly rules: Map<string, ReadonlySet<string>>;
  readonly enabled: boolean;

  constructor(options: AuditTrailOptions = {}) {
    this.rules = new Map(
      Object.entries(options.redact ?? {}).map(([type, fields]) => [type, new Set(fields)]),
    );
    this.enabled = options.enabled ?? true;
  }

  /**
   * The row values of an entry as it is stored (redacted), for tests and for the gateway's own writes. Its trace
   * id is the active span's (the unit of work's, inside one): null outside any trace.
   */
  row(acting: Acting, entry: AuditEntry): CopyValue[] {
    const sensitive = (entry.entityType && this.rules.get(entry.entityType)) || new Set<string>();
    const json = (value: unknown) => (value == null ? null : JSON.stringify(redact(value, sensitive)));
    return [
      uuidv7(),
      entry.actorId ?? acting.actorId,
      entry.actorName ?? acting.actorName,
      acting.role,
      acting.roleBranchId,
      entry.branchId,
      entry.action,
      entry.outcome ?? 'SUCCESS',
      entry.entityType,
      entry.entityId,
      json(entry.before),
      json(entry.after),
      JSON.stringify(redact(entry.details ?? {}, sensitive)),
      entry.address ?? null,
      activeTraceId() ?? null,
    ];
  }

  async write(manager: EntityManager, acting: Acting, entries: readonly AuditEntry[]): Promise<void> {
    if (!this.enabled || entries.length === 0) return;
    // a roster import's batch audits thousands of members: COPY, as the outbox does (no parameter limit)
    if (entries.length >= COPY_FROM_ROWS) {
      return copyRows(
        manager,
        'audit_log',
        COLUMNS,
        entries.map((entry) => this.row(acting, entry)),
      );
    }
    const values: unknown[] = [];
    const placeholders = entries.map((entry) => {
      const row = this.row(acting, entry);
      const start = values.length;
      values.push(...row);
      return `(${row.map((_, i) => `$${start + i + 1}`).join(', ')})`;
    });
    await manager.query(
      `INSERT INTO audit_log (${COLUMNS.join(', ')}) VALUES ${placeholders.join(', ')}`,
      values,
    );
  }
}
