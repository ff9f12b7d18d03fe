import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource, EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { ConflictError } from '@unionfed/domain-kit';
import { inSpan } from '@unionfed/telemetry';
import { isRetryableTransactionFailure, pgError, PG_ERROR } from './pg-errors';
import { bulkStatementTimeoutOf } from './data-source';

/**
 * Who a unit of work acts for, taken from the request once (at the resolver boundary) and carried by the unit to
 * what records the act: the audit trail (actor, role). Services extend it with what their commands check inside
 * the transaction (membership: the caller's `Reach`). The trace is not part of it: it is the active span's
 * (OpenTelemetry context), which the unit's own span continues.
 */
export interface Acting {
  /** account or API key id; '' for the platform itself */
  actorId: string;
  /** login name or key label, as the audit trail shows it */
  actorName: string;
  /** the role whose grant allowed the act (null: the platform itself, or a sign-in) */
  role: string | null;
  /** the branch that grant is scoped to (null: the federation, HQ) */
  roleBranchId: string | null;
}

/** Acts of the platform itself: seeds, start-up, jobs without a caller. */
export const SYSTEM_ACTING: Acting = Object.freeze({
  actorId: '',
  actorName: 'system',
  role: null,
  roleBranchId: null,
});

/**
 * What the unit writes integration events to (libs/messaging's Outbox has this shape); each event keeps the trace
 * context of the span that wrote it (the unit's).
 */
export interface EventSink<Event> {
  add(manager: EntityManager, events: Event | Event[]): Promise<string[]>;
}

/** What the unit writes audit entries to (libs/audit's AuditTrail has this shape). */
export interface AuditSink<Entry> {
  write(manager: EntityManager, acting: Acting, entries: readonly Entry[]): Promise<void>;
}

/** What a violated unique constraint means to the caller: CONFLICT with this reason (and the input field). */
export interface ConflictRule {
  reason: string;
  message: string;
  field?: string;
}

/** A service's declared unique constraints (index names) → what a violation means. */
export type ConflictMap = Readonly<Record<string, ConflictRule>>;

export interface RetryPolicy {
  /** tries in all, the first included (default 5) */
  attempts: number;
  /** the back-off before try n+1 is a random delay in [0, min(maxDelayMs, baseDelayMs·2ⁿ⁻¹)] ("full jitter") */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ attempts: 5, baseDelayMs: 5, maxDelayMs: 200 });

export interface UnitOfWorkOptions<Event, Entry> {
  outbox?: EventSink<Event>;
  audit?: AuditSink<Entry>;
  conflicts?: ConflictMap;
  retry?: Partial<RetryPolicy>;
}

export interface RunOptions {
  /**
   * tries in all, overriding the unit's policy — 1 for work that records something outside its transaction
   * and would count it twice when tried again (a roster import's progress)
   */
  attempts?: number;
  /** default READ COMMITTED (PostgreSQL's); serialization failures of stricter levels are retried as deadlocks are */
  isolation?: IsolationLevel;
  /** what the unit does, for its span (`unit-of-work <name>`), e.g. `admitMember` */
  name?: string;
  /**
   * `bulk`: background bulk work (a roster import's batches) whose statements may run longer than a request's —
   * the transaction's statements get the bulk statement timeout (UNIONFED_PG_BULK_STATEMENT_TIMEOUT_MS) instead
   * of the pool's (SET LOCAL: the connection goes back to the pool with its own)
   */
  statementTimeout?: 'bulk';
}

/** The name of a unit of work's span (with `RunOptions.name` after it). */
export const UNIT_OF_WORK_SPAN = 'unit-of-work';

/**
 * One try of a unit of work: its transaction's entity manager, who acts, and the two things every change
 * records beside itself — integration events (outbox) and audit entries. Both commit or roll back with the
 * change; a retried try starts with neither.
 */
export class Work<Event = unknown, Entry = unknown, Act extends Acting = Acting> {
  private readonly entries: Entry[] = [];

  constructor(
    readonly manager: EntityManager,
    readonly acting: Act,
    /** 1 for the first try */
    readonly attempt: number,
    private readonly outbox: EventSink<Event> | undefined,
  ) {}

  /** Writes integration events to the outbox in this transaction; they carry the unit's trace context. */
  async publish(events: Event | Event[]): Promise<void> {
    if (Array.isArray(events) && events.length === 0) return;
    if (!this.outbox) throw new Error('this unit of work has no outbox');
    await this.outbox.add(this.manager, events);
  }

  /** Records an audit entry; entries are written together just before the transaction commits. */
  audit(entry: Entry): void {
    this.entries.push(entry);
  }

  /** @internal the entries of this try */
  get audited(): readonly Entry[] {
    return this.entries;
  }
}

/**
 * The one way a command changes a service's database. `run` opens a transaction and hands the work a `Work`
 * (entity manager, outbox, acting principal) in a span of its own, under the active one (the resolver's, the
 * consumed event's, the job's): its SQL, its events' trace context and its audit rows' trace id are that span's.
 * The work's audit entries are written in the same
 * transaction before it commits. A try PostgreSQL aborts for a serialization failure or a deadlock is tried
 * again after a jittered back-off, a bounded number of times; a unique violation of a declared constraint
 * becomes `ConflictError` with the constraint's reason. Every other error passes through unchanged.
 */
export class UnitOfWork<Event = unknown, Entry = unknown> {
  private readonly retry: RetryPolicy;
  private readonly conflicts: ConflictMap;

  constructor(
    readonly dataSource: DataSource,
    private readonly options: UnitOfWorkOptions<Event, Entry> = {},
  ) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.conflicts = options.conflicts ?? {};
  }

  async run<T, Act extends Acting>(
    acting: Act,
    work: (work: Work<Event, Entry, Act>) => Promise<T>,
    runOptions: RunOptions = {},
  ): Promise<T> {
    const name = runOptions.name ? `${UNIT_OF_WORK_SPAN} ${runOptions.name}` : UNIT_OF_WORK_SPAN;
    const attributes = () => ({
      'unionfed.actor': acting.actorName,
      ...(acting.role ? { 'unionfed.role': acting.role } : {}),
    });
    return inSpan(name, { attributes }, async (span) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.once(acting, attempt, work, runOptions);
        } catch (error) {
          if (
            attempt < (runOptions.attempts ?? this.retry.attempts) &&
            isRetryableTransactionFailure(error)
          ) {
            const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
            if (span.isRecording())
              span.addEvent('retry', { attempt, 'db.response.status_code': pgError(error)?.code ?? '' });
            await sleep(Math.random() * ceiling);
            continue;
          }
          throw this.conflictFor(error) ?? error;
        }
      }
    });
  }

  private once<T, Act extends Acting>(
    acting: Act,
    attempt: number,
    work: (work: Work<Event, Entry, Act>) => Promise<T>,
    { isolation, statementTimeout }: RunOptions,
  ): Promise<T> {
    const body = async (manager: EntityManager) => {
      if (statementTimeout === 'bulk')
        await manager.query(`SET LOCAL statement_timeout = ${bulkStatementTimeoutOf(this.dataSource)}`);
      const unit = new Work<Event, Entry, Act>(manager, acting, attempt, this.options.outbox);
      const result = await work(unit);
      if (unit.audited.length > 0 && this.options.audit) {
        await this.options.audit.write(manager, acting, unit.audited);
      }
      return result;
    };
    return isolation ? this.dataSource.transaction(isolation, body) : this.dataSource.transaction(body);
  }

  private conflictFor(error: unknown): ConflictError | undefined {
    const info = pgError(error);
    if (info?.code !== PG_ERROR.UNIQUE_VIOLATION || !info.constraint) return undefined;
    const rule = this.conflicts[info.constraint];
    if (!rule) return undefined;
    return new ConflictError(rule.message, rule.reason, rule.field ? { field: rule.field } : {});
  }
}
