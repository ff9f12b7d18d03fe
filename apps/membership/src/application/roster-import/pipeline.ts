import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { todayInShanghai } from '@unionfed/domain-kit';
import { ANONYMOUS, Reach } from '@unionfed/auth';
import type { AuditEntry, RequestActing } from '@unionfed/audit';
import type { Member } from '../../domain/member';
import {
  BranchDirectory,
  GroupDirectory,
  staffNumberKey,
  type ColumnLayout,
  type RosterRow,
  type RowProblem,
} from '../../domain/roster-import';
import type { MembershipRepository } from '../../infrastructure/membership.repository';
import type { MembershipUnitOfWork, MembershipWork } from '../../infrastructure/membership.unit-of-work';
import { RosterReader } from '../../infrastructure/roster-file';
import type {
  ImportCounts,
  RosterImportJob,
  RosterImportRepository,
} from '../../infrastructure/roster-import.repository';
import { closeAppointmentsOnLeaving } from '../structure.commands';
import {
  buildWrites,
  checkBatch,
  countsOf,
  emptyCounts,
  planBatch,
  plus,
  sameSnapshot,
  type BatchContext,
  type BatchPlan,
  type BatchWrites,
  type CheckedBatch,
  type Snapshot,
} from './plan';

/** Rows per batch: one transaction (skip mode), one statement per kind of row. */
export const IMPORT_BATCH_ROWS = 2000;
/**
 * Batches committing at once (skip mode), each on its own connection: the batches of a file never share a
 * member (a staff number appearing twice is refused), and the writes are PostgreSQL's work — two transactions
 * keep two cores busy while the next batches are read, checked and encoded.
 */
export const IMPORT_WRITERS = Math.max(1, Number(process.env.UNIONFED_IMPORT_WRITERS ?? 2) || 2);
/** Problems stored per job; beyond, they are only counted. */
export const MAX_STORED_PROBLEMS = 10_000;

/** A staff number was taken by someone else between reading and writing: the batch is planned again. */
class ConcurrentChange extends Error {}
/** The service is stopping: the job ends at the batch it is at (the scheduler records it INTERRUPTED). */
export class Interrupted extends Error {}
/** A job that cannot go on, for a reason the caller is told in their terms (committed batches stay). */
export class JobFailure extends Error {
  constructor(
    readonly code: string,
    readonly messageZh: string,
    messageEn: string,
  ) {
    super(messageEn);
  }
}
class RowsTurnedInvalid extends Error {
  constructor(readonly problems: RowProblem[]) {
    super('rows turned invalid during the import');
  }
}

function concurrentChangeProblem(): RowProblem {
  return {
    row: 0,
    column: null,
    code: 'CONCURRENT_CHANGE',
    message: '导入期间有人同时修改了这些会员；未导入任何行，请重新导入',
    messageEn: 'members were changed by someone else during the import; nothing was imported — import again',
  };
}

/** The parts of the service a run uses. */
export interface ImportParts {
  dataSource: DataSource;
  jobs: RosterImportRepository;
  membership: MembershipRepository;
  unitOfWork: MembershipUnitOfWork;
}

/**
 * One roster import job run from its file — parse → check → diff → apply. It reads the file in passes, never
 * holding it whole: SCANNING (file checks, row count, staff numbers that appear twice), then CHECKING and/or
 * APPLYING in batches of IMPORT_BATCH_ROWS:
 * - DRY_RUN: checks every row against the rules and the database and reports every problem; writes nothing
 *   but the job's report (its counts are what applying would do).
 * - APPLY + SKIP: each batch in its own transaction — new members (member, JOINED history, MemberJoined),
 *   changed ones (PROFILE_UPDATED + MemberProfileUpdated; a different branch is a transfer: TRANSFERRED +
 *   MemberTransferred), the batch's problems and the job's counts commit together. Invalid rows are skipped and
 *   reported; valid rows are never lost because of them. Unchanged rows write nothing.
 * - APPLY + ABORT: all or nothing — a CHECKING pass first; any invalid row ends the job ABORTED with the report
 *   and nothing written; else one transaction applies every row (and rolls back if a row turned invalid
 *   meanwhile).
 * What a batch means (its rows checked, planned against the members, the rows and events to write) is `plan.ts`;
 * this file runs the passes and the transactions. Throws RosterFileError, JobFailure or Interrupted for the
 * scheduler to record on the job.
 */
export async function runImport(
  job: RosterImportJob,
  filePath: string,
  parts: ImportParts,
  stopping: () => boolean,
): Promise<'SUCCEEDED' | 'ABORTED'> {
  const reader = await RosterReader.open(filePath, job.mapping);
  await parts.jobs.recordFile(job.id, {
    format: reader.facts.format,
    encoding: reader.facts.encoding,
    ignoredColumns: [...reader.columns.ignored],
  });
  const run = new ImportRun(
    job,
    reader,
    parts,
    new BranchDirectory(await parts.membership.listBranches()),
    new GroupDirectory(reader.columns.has('group') ? await parts.jobs.activeGroups() : []),
    stopping,
  );
  return run.execute();
}

/**
 * A batch made ready outside any transaction — checked, planned against the members as they were read, and
 * (when applying) its rows and events built — while the batch before it commits. Its transaction then locks
 * those members and writes only if they are still as read (else it plans again, inside).
 */
interface PreparedBatch {
  checked: CheckedBatch;
  seen: Snapshot;
  plan: BatchPlan;
  writes?: BatchWrites;
}

const AUDIT = new Logger('Audit');
/** row problems that are refused access (audited) */
const REFUSED_ACCESS = new Set(['FORBIDDEN', 'MEMBER_OUT_OF_REACH']);

/** One job's execution: its passes over the file, the batch plans, the writes and the counts. */
class ImportRun {
  private readonly reach: Reach;
  private readonly columns: ColumnLayout;
  private readonly today = todayInShanghai();
  /** what each batch is checked and planned with (plan.ts) */
  private readonly context: BatchContext;
  private readonly dataSource: DataSource;
  private readonly jobs: RosterImportRepository;
  private readonly unitOfWork: MembershipUnitOfWork;
  /** the importer, as the job recorded them: the unit of work's acting principal (audit rows) */
  private readonly acting: RequestActing;
  /** staff number → the rows it appears on, for those appearing more than once */
  private readonly duplicates = new Map<string, number[]>();
  private counts: ImportCounts = emptyCounts();
  /** problems stored (numbered) so far, over every pass */
  private stored = 0;

  constructor(
    private readonly job: RosterImportJob,
    private readonly reader: RosterReader,
    parts: ImportParts,
    branches: BranchDirectory,
    groups: GroupDirectory,
    private readonly stopping: () => boolean,
  ) {
    this.dataSource = parts.dataSource;
    this.jobs = parts.jobs;
    this.unitOfWork = parts.unitOfWork;
    this.reach = job.scopeAll ? Reach.EVERYTHING : Reach.of(job.scopeBranchIds);
    this.columns = reader.columns;
    this.context = {
      jobId: job.id,
      columns: this.columns,
      reach: this.reach,
      today: this.today,
      branches,
      groups,
      duplicates: this.duplicates,
    };
    this.acting = {
      actorId: job.startedBy,
      actorName: job.startedByName,
      role: null,
      roleBranchId: null,
      principal: ANONYMOUS,
      reach: this.reach,
    };
  }

  async execute(): Promise<'SUCCEEDED' | 'ABORTED'> {
    const total = await this.scan();
    if (this.job.mode === 'DRY_RUN') {
      await this.pass('CHECKING', total, false, 1, (batch) => this.commitCheck(batch));
      return 'SUCCEEDED';
    }
    if (this.job.onInvalid === 'SKIP') {
      await this.pass('APPLYING', total, true, IMPORT_WRITERS, (batch) => this.commitBatch(batch));
      return 'SUCCEEDED';
    }
    await this.pass('CHECKING', total, false, 1, (batch) => this.commitCheck(batch));
    if (this.counts.invalid > 0) {
      // nothing was written: the counts say so (the rows that would have been fine are processed − invalid)
      this.counts = { ...this.counts, created: 0, updated: 0, unchanged: 0 };
      await this.jobs.recordProgress(this.job.id, { ...this.counts, storedErrors: this.stored });
      return 'ABORTED';
    }
    return this.applyAll(total);
  }

  /** First pass: every row read once (file-level problems surface here, before anything is written). */
  private async scan(): Promise<number> {
    const rowsOf = new Map<string, number | number[]>();
    let total = 0;
    for await (const row of this.reader.rows()) {
      total++;
      const key = staffNumberKey(row.cells.staffNumber);
      if (!key) continue;
      const seen = rowsOf.get(key);
      if (seen === undefined) rowsOf.set(key, row.row);
      else if (typeof seen === 'number') rowsOf.set(key, [seen, row.row]);
      else seen.push(row.row);
    }
    for (const [key, rows] of rowsOf) if (Array.isArray(rows)) this.duplicates.set(key, rows);
    return total;
  }

  /**
   * A pass over the file in batches: each batch is prepared while earlier ones commit (the file read, the rows
   * checked and the events encoded while PostgreSQL writes), up to `writers` committing at once.
   */
  private async pass(
    phase: 'CHECKING' | 'APPLYING',
    total: number,
    build: boolean,
    writers: number,
    commit: (batch: PreparedBatch) => Promise<void>,
  ): Promise<void> {
    this.counts = emptyCounts();
    await this.jobs.startPhase(this.job.id, phase, total);
    const committing: Promise<void>[] = [];
    for await (const rows of batches(this.reader.rows(), IMPORT_BATCH_ROWS)) {
      if (this.stopping()) break;
      const batch = await this.prepare(rows, build);
      if (committing.length >= writers) await committing.shift();
      const commitment = commit(batch);
      commitment.catch(() => undefined); // awaited (and thrown) in turn, below or at a later batch
      committing.push(commitment);
    }
    for (const commitment of committing) await commitment;
    if (this.stopping()) throw new Interrupted();
  }

  /** Stores a checked batch's problems and adds to the counts (DRY_RUN, and ABORT's check). */
  private async commitCheck(batch: PreparedBatch): Promise<void> {
    const delta = await this.commitProblems(batch.plan, () => Promise.resolve(batch.plan), 1);
    this.counts = plus(this.counts, delta);
  }

  /** SKIP mode: a batch in its own transaction, with its problems and its share of the job's counts. */
  private async commitBatch(batch: PreparedBatch): Promise<void> {
    const delta = await this.commitProblems(
      batch.plan,
      (work, attempt) => this.write(work, batch, attempt > 1),
      3,
    );
    this.counts = plus(this.counts, delta);
  }

  /**
   * One transaction: `work` (which gives the batch's final plan), the plan's problems (numbered here, within the
   * cap) and the counts it adds — retried when a staff number was taken meanwhile (ConcurrentChange).
   */
  private async commitProblems(
    _prepared: BatchPlan,
    work: (unit: MembershipWork, attempt: number) => Promise<BatchPlan>,
    attempts: number,
  ): Promise<ImportCounts> {
    for (let attempt = 1; ; attempt++) {
      let reserved: Reservation | undefined;
      try {
        // retried here (ConcurrentChange, reservations given back), not by the unit of work: attempts 1
        const { plan, delta } = await this.unitOfWork.run(
          this.acting,
          async (unit) => {
            const { manager } = unit;
            const plan = await work(unit, attempt);
            reserved = this.reserve(plan.problems);
            await this.jobs.storeProblems(this.job.id, reserved.firstSeq, reserved.problems, manager);
            const delta = countsOf(plan, reserved.problems.length);
            await this.jobs.addProgress(this.job.id, delta, manager);
            return { plan, delta };
          },
          // a batch may meet the name-search indexes' deferred maintenance: bulk work, not a request
          { attempts: 1, statementTimeout: 'bulk' },
        );
        this.auditRefusals(plan.problems);
        return delta;
      } catch (error) {
        if (reserved) this.release(reserved);
        if (!(error instanceof ConcurrentChange) || attempt >= attempts) throw error;
      }
    }
  }

  /** ABORT mode, once every row checked out: all rows in one transaction (progress shown from outside it). */
  private async applyAll(total: number): Promise<'SUCCEEDED' | 'ABORTED'> {
    let problems: RowProblem[] = [];
    try {
      // one try: the pass records its progress outside the transaction, a second try would count twice
      await this.unitOfWork.run(
        this.acting,
        (unit) =>
          this.pass('APPLYING', total, true, 1, async (batch) => {
            const plan = await this.write(unit, batch, false);
            // a row turned invalid since the check (e.g. its branch closed meanwhile): nothing is kept
            if (plan.problems.length > 0) throw new RowsTurnedInvalid(plan.problems);
            this.counts = plus(this.counts, countsOf(plan, 0));
            await this.jobs.recordProgress(this.job.id, { ...this.counts, storedErrors: this.stored });
          }),
        { attempts: 1, statementTimeout: 'bulk' },
      );
      return 'SUCCEEDED';
    } catch (error) {
      if (error instanceof RowsTurnedInvalid) problems = error.problems;
      else if (error instanceof ConcurrentChange) problems = [concurrentChangeProblem()];
      else throw error;
    }
    // rolled back: the counts say what happened — nothing but the problems found
    this.auditRefusals(problems);
    const reserved = this.reserve(problems);
    await this.jobs.storeProblems(this.job.id, reserved.firstSeq, reserved.problems);
    this.counts = {
      ...emptyCounts(),
      invalid: new Set(problems.map((p) => p.row)).size,
      errorCount: problems.length,
    };
    await this.jobs.recordProgress(this.job.id, { ...this.counts, storedErrors: this.stored });
    return 'ABORTED';
  }

  /** Checks, plans and (`build`) builds a batch outside any transaction, against the members as they are now. */
  private async prepare(rows: RosterRow[], build: boolean): Promise<PreparedBatch> {
    const checked = checkBatch(rows, this.context);
    const seen = await this.snapshot(checked);
    const plan = planBatch(checked, seen, this.context);
    if (!build) return { checked, seen, plan };
    const numbers = await this.jobs.nextMemberNumbers(this.dataSource.manager, plan.admissions.length);
    return { checked, seen, plan, writes: buildWrites(plan, numbers, this.context) };
  }

  /**
   * Writes a prepared batch in the caller's transaction: the members it names are locked first, and if any is
   * no longer as the batch saw it (or `replan`), the batch is planned and built again from the locked rows.
   * Throws ConcurrentChange when a staff number was taken meanwhile (the caller retries).
   */
  private async write(work: MembershipWork, batch: PreparedBatch, replan: boolean): Promise<BatchPlan> {
    const { manager } = work;
    // the groups members join first (a group is not dissolved under them), then the members themselves
    const groupIds = [...new Set(batch.checked.valid.flatMap((v) => (v.group ? [v.group.id] : [])))];
    const closed = await this.jobs.lockGroups(manager, groupIds);
    if (closed.length > 0) {
      throw new JobFailure(
        'GROUP_DISSOLVED',
        '导入期间有工会小组被撤销；已提交的批次保留，请重新导入同一文件',
        'a union group was dissolved during the import; batches committed so far stay — import the same file again',
      );
    }
    const locked = await this.snapshot(batch.checked, manager);
    let { plan, writes } = batch;
    if (replan || !writes || !sameSnapshot(locked, batch.seen)) {
      plan = planBatch(batch.checked, locked, this.context);
      writes = buildWrites(
        plan,
        await this.jobs.nextMemberNumbers(manager, plan.admissions.length),
        this.context,
      );
    }
    if (!(await this.jobs.insertMembers(manager, writes.admitted))) throw new ConcurrentChange();
    await this.jobs.updateMembers(manager, writes.updated);
    await this.jobs.insertHistory(manager, writes.history);
    await work.publish(writes.events);
    // a member the file moves to another branch leaves its committee as a transfer does (one rule, both paths)
    for (const { change } of plan.updates) {
      if (change.transferredFrom)
        await closeAppointmentsOnLeaving(
          work,
          { id: change.member.id, branchId: change.transferredFrom },
          'TRANSFERRED',
          this.today,
        );
    }
    // one audit row per member written, as a single command's change would leave (the history has the rest)
    for (const member of writes.admitted)
      work.audit(importAudit('MEMBER_IMPORTED', this.job.id, undefined, member));
    for (const member of writes.updated) {
      const before = locked.members.get(member.staffNumber);
      work.audit(importAudit('MEMBER_UPDATED_BY_IMPORT', this.job.id, before, member));
    }
    return plan;
  }

  /** The members the batch's valid rows name (locked, with a manager) and the groups they lead. */
  private async snapshot(checked: CheckedBatch, manager?: EntityManager): Promise<Snapshot> {
    const staffNumbers = checked.valid.map((v) => v.staffNumber);
    const members = await this.jobs.membersByStaffNumber(staffNumbers, manager, manager !== undefined);
    const inGroups = [...members.values()].filter((m) => m.groupId).map((m) => m.id);
    const leaders = this.columns.has('group')
      ? await this.jobs.groupsLedBy(inGroups, this.today, manager)
      : new Map<string, string>();
    return { members, leaders };
  }

  /**
   * Rows refused because they reach out of the importer's branches — a branch they may not import into, or a
   * member of another branch (whom the row would move) — are audited like any refused access: who, which job and
   * row, never whose record.
   */
  private auditRefusals(problems: readonly RowProblem[]): void {
    for (const problem of problems) {
      if (!REFUSED_ACCESS.has(problem.code)) continue;
      AUDIT.warn(
        `roster import row refused ${JSON.stringify({
          action: 'ROSTER_IMPORT_ROW_REFUSED',
          code: problem.code,
          jobId: this.job.id,
          row: problem.row,
          actor: this.job.startedBy,
          actorName: this.job.startedByName,
        })}`,
      );
    }
  }

  /** Numbers the next problems to store, within MAX_STORED_PROBLEMS (synchronous: commits may overlap). */
  private reserve(problems: RowProblem[]): Reservation {
    const take = Math.max(0, Math.min(problems.length, MAX_STORED_PROBLEMS - this.stored));
    const reservation = { firstSeq: this.stored + 1, problems: problems.slice(0, take) };
    this.stored += take;
    return reservation;
  }

  /** Gives numbers back when their transaction failed, unless later ones were taken meanwhile (gaps are fine). */
  private release(reservation: Reservation): void {
    if (this.stored === reservation.firstSeq - 1 + reservation.problems.length) {
      this.stored = reservation.firstSeq - 1;
    }
  }
}

interface Reservation {
  firstSeq: number;
  problems: RowProblem[];
}

async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

function importAudit(action: string, jobId: string, before: Member | undefined, after: Member): AuditEntry {
  return {
    action,
    entityType: 'Member',
    entityId: after.id,
    branchId: after.branchId,
    before: before ?? null,
    after,
    details: { importJobId: jobId },
  };
}
