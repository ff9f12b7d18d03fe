import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource, EntityManager } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import { ConflictError } from '@unionfed/domain-kit';
import { isRetryableTransactionFailure, pgError, PG_ERROR } from './pg-errors';

const TRACEPARENT = /^[\da-f]{2}-(?!0{32})[\da-f]{32}-(?!0{16})[\da-f]{16}-[\da-f]{2}$/;

/** A new W3C traceparent (version 00, sampled). */
function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/**
 * Who a unit of work acts for, taken from the request once (at the resolver boundary) and carried by the unit to
 * everything that records the act: the outbox (trace), the audit trail (actor, role, trace). Services extend it
 * with what their commands check inside the transaction (membership: the caller's `Reach`).
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
  /** W3C traceparent of the request; the outbox starts a new trace when absent */
  traceparent?: string;
}

/** Acts of the platform itself: seeds, start-up, jobs without a caller. */
export const SYSTEM_ACTING: Acting = Object.freeze({
  actorId: '',
  actorName: 'system',
  role: null,
  roleBranchId: null,
});

/** What the unit writes integration events to (libs/messaging's Outbox has this shape). */
export interface EventSink<Event> {
  add(manager: EntityManager, events: Event | Event[], context: { traceparent?: string }): Promise<string[]>;
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
}

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

  /** Writes integration events to the outbox in this transaction, with the request's trace. */
  async publish(events: Event | Event[]): Promise<void> {
    if (Array.isArray(events) && events.length === 0) return;
    if (!this.outbox) throw new Error('this unit of work has no outbox');
    await this.outbox.add(this.manager, events, { traceparent: this.acting.traceparent });
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
 * (entity manager, outbox, acting principal, trace); the work's audit entries are written in the same
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
    // one trace for everything the unit records: its events' traceparent and its audit rows' trace id
    const traced = TRACEPARENT.test(acting.traceparent ?? '')
      ? acting
      : { ...acting, traceparent: newTraceparent() };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(traced, attempt, work, runOptions);
      } catch (error) {
        if (attempt < (runOptions.attempts ?? this.retry.attempts) && isRetryableTransactionFailure(error)) {
          const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
          await sleep(Math.random() * ceiling);
          continue;
        }
        throw this.conflictFor(error) ?? error;
      }
    }
  }

  private once<T, Act extends Acting>(
    acting: Act,
    attempt: number,
    work: (work: Work<Event, Entry, Act>) => Promise<T>,
    { isolation }: RunOptions,
  ): Promise<T> {
    const body = async (manager: EntityManager) => {
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
