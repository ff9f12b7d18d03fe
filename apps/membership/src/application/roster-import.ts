import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError, todayInShanghai } from '@unionfed/domain-kit';
import { ANONYMOUS, Reach } from '@unionfed/auth';
import { uuidv7 } from '@unionfed/persistence';
import { activeTraceparent, extractTraceContext, inSpan } from '@unionfed/telemetry';
import type { AuditEntry, RequestActing } from '@unionfed/audit';
import type { EncodedEvent } from '@unionfed/contracts';
import type { Member, MemberHistoryEntry } from '../domain/member';
import {
  BranchDirectory,
  GroupDirectory,
  changeProblem,
  checkRow,
  duplicateProblem,
  outOfReachProblem,
  rosterChange,
  RosterFileError,
  staffNumberKey,
  type CheckedRow,
  type ColumnLayout,
  type RosterChange,
  type RosterMapping,
  type RosterRow,
  type RowProblem,
} from '../domain/roster-import';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { MembershipUnitOfWork, type MembershipWork } from '../infrastructure/membership.unit-of-work';
import { RosterReader } from '../infrastructure/roster-file';
import {
  RosterImportRepository,
  type ImportCounts,
  type ImportMode,
  type OnInvalid,
  type RosterImportJob,
} from '../infrastructure/roster-import.repository';
import { memberProfileUpdated, membersImported, memberTransferred } from '../infrastructure/events';
import { memberGroupChanged } from '../infrastructure/structure-events';
import { closeAppointmentsOnLeaving } from './structure.commands';

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
/** A job whose process has not been heard of for this long is taken for abandoned. */
const ABANDONED_AFTER_SECONDS = 120;
const HEARTBEAT_MS = 30_000;

/** Where uploads wait for their job (each job deletes its file when done; leftovers go at the next start). */
export const UPLOAD_DIRECTORY = join(tmpdir(), 'unionfed-roster-imports');

export interface ImportRequest {
  /** the uploaded file, stored; the job deletes it once done */
  filePath: string;
  fileName: string | null;
  fileBytes: number;
  mode: ImportMode;
  onInvalid: OnInvalid;
  mapping: RosterMapping;
  startedBy: { subject: string; name: string };
  /** how far the importer reaches (members of other branches are refused per row, FORBIDDEN) */
  reach: Reach;
}

/** The span a job runs in, under the upload request's (whose trace context the job row keeps). */
export const ROSTER_IMPORT_SPAN = 'roster import';

/** A staff number was taken by someone else between reading and writing: the batch is planned again. */
class ConcurrentChange extends Error {}
class Interrupted extends Error {}
/** A job that cannot go on, for a reason the caller is told in their terms (committed batches stay). */
class JobFailure extends Error {
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

/**
 * 花名册导入 as background jobs, one at a time per process.
 *
 * A job reads its file in passes, never holding it whole: SCANNING (file checks, row count, staff numbers that
 * appear twice), then CHECKING and/or APPLYING in batches of IMPORT_BATCH_ROWS:
 * - DRY_RUN: checks every row against the rules and the database and reports every problem; writes nothing
 *   but the job's report (its counts are what applying would do).
 * - APPLY + SKIP: each batch in its own transaction — new members (member, JOINED history, MemberJoined),
 *   changed ones (PROFILE_UPDATED + MemberProfileUpdated; a different branch is a transfer: TRANSFERRED +
 *   MemberTransferred), the batch's problems and the job's counts commit together. Invalid rows are skipped and
 *   reported; valid rows are never lost because of them. Unchanged rows write nothing.
 * - APPLY + ABORT: all or nothing — a CHECKING pass first; any invalid row ends the job ABORTED with the report
 *   and nothing written; else one transaction applies every row (and rolls back if a row turned invalid
 *   meanwhile).
 */
@Injectable()
export class RosterImports implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RosterImports');
  private readonly queue: { jobId: string; filePath: string; done: () => void }[] = [];
  private readonly settled = new Map<string, Promise<void>>();
  private readonly held = new Set<string>();
  private draining?: Promise<void>;
  private stopping = false;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: RosterImportRepository,
    private readonly membership: MembershipRepository,
    private readonly unitOfWork: MembershipUnitOfWork,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const abandoned = await this.jobs.failAbandoned(ABANDONED_AFTER_SECONDS);
    if (abandoned > 0)
      this.logger.warn(`${abandoned} roster import(s) interrupted by a restart marked FAILED`);
    await removeLeftoverUploads(ABANDONED_AFTER_SECONDS * 1000);
    this.heartbeat = setInterval(() => {
      this.jobs.heartbeat([...this.held]).catch((error: unknown) => this.logger.warn(String(error)));
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.draining;
  }

  /**
   * Creates the job and queues it; the caller gets the job at once (status QUEUED). The job keeps the trace
   * context of the active span (the upload request's): it runs later, in a span of that trace (`execute`).
   */
  async submit(request: ImportRequest): Promise<RosterImportJob> {
    const job = await this.jobs.createJob({
      id: uuidv7(),
      mode: request.mode,
      onInvalid: request.onInvalid,
      fileName: request.fileName,
      fileBytes: request.fileBytes,
      mapping: request.mapping,
      startedBy: request.startedBy.subject,
      startedByName: request.startedBy.name,
      scopeAll: request.reach.all,
      scopeBranchIds: [...request.reach.branchIds],
      traceparent: activeTraceparent() ?? null,
    });
    let done!: () => void;
    this.settled.set(job.id, new Promise<void>((resolve) => (done = resolve)));
    this.held.add(job.id);
    this.queue.push({ jobId: job.id, filePath: request.filePath, done });
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    return job;
  }

  /** Resolves once the job has ended (whatever its outcome). */
  whenSettled(jobId: string): Promise<void> {
    return this.settled.get(jobId) ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      try {
        if (this.stopping) await this.fail(next.jobId, interrupted());
        else await this.execute(next.jobId, next.filePath);
      } finally {
        await rm(next.filePath, { force: true }).catch(() => undefined);
        this.held.delete(next.jobId);
        this.settled.delete(next.jobId);
        next.done();
      }
    }
  }

  /**
   * Runs a job in a span under the upload request's, whatever request queued the loop that runs it: its units of
   * work, SQL, audit rows and events are of the upload's trace.
   */
  private async execute(jobId: string, filePath: string): Promise<void> {
    const job = await this.jobs.findJob(jobId);
    if (!job) return;
    const parent = extractTraceContext(job.traceparent ? { traceparent: job.traceparent } : undefined);
    await inSpan(
      ROSTER_IMPORT_SPAN,
      { parent, attributes: { 'unionfed.roster_import.id': jobId, 'unionfed.roster_import.mode': job.mode } },
      () => this.executeTraced(job, filePath),
    );
  }

  private async executeTraced(job: RosterImportJob, filePath: string): Promise<void> {
    const jobId = job.id;
    await this.jobs.markRunning(jobId);
    try {
      const reader = await RosterReader.open(filePath, job.mapping);
      await this.jobs.recordFile(jobId, {
        format: reader.facts.format,
        encoding: reader.facts.encoding,
        ignoredColumns: [...reader.columns.ignored],
      });
      const run = new ImportRun(
        job,
        reader,
        this.dataSource,
        this.jobs,
        this.unitOfWork,
        new BranchDirectory(await this.membership.listBranches()),
        new GroupDirectory(reader.columns.has('group') ? await this.jobs.activeGroups() : []),
        () => this.stopping,
      );
      await this.jobs.finish(jobId, await run.execute());
    } catch (error) {
      await this.fail(jobId, error);
    }
  }

  private async fail(jobId: string, error: unknown): Promise<void> {
    if (error instanceof RosterFileError) {
      await this.jobs.finish(jobId, 'FAILED', {
        code: error.reason,
        message: error.messageZh,
        messageEn: error.message,
      });
      return;
    }
    if (error instanceof Interrupted) {
      await this.jobs.finish(jobId, 'FAILED', interrupted());
      return;
    }
    if (error instanceof JobFailure) {
      await this.jobs.finish(jobId, 'FAILED', {
        code: error.code,
        message: error.messageZh,
        messageEn: error.message,
      });
      return;
    }
    this.logger.error(`roster import ${jobId} failed: ${(error as Error)?.stack ?? String(error)}`);
    await this.jobs.finish(jobId, 'FAILED', {
      code: 'INTERNAL',
      message: '导入因内部错误中止；已提交的批次保留，重新导入同一文件即可继续（不会重复）',
      messageEn:
        'the import stopped on an internal error; committed batches stay — import the same file again to finish (nothing is repeated)',
    });
  }
}

/** Uploads older than `ageMs` belong to no running job (a job's process went away before deleting its file). */
async function removeLeftoverUploads(ageMs: number): Promise<void> {
  const names = await readdir(UPLOAD_DIRECTORY).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(UPLOAD_DIRECTORY, name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > ageMs) await rm(path, { force: true }).catch(() => undefined);
  }
}

function interrupted() {
  return {
    code: 'INTERRUPTED',
    message: '导入因服务停止而中断；重新导入同一文件即可（已导入的行不会重复）',
    messageEn:
      'the import was interrupted because the service stopped; import the same file again (rows already imported are not repeated)',
  };
}

type CheckedOk = Extract<CheckedRow, { ok: true }>;

/** A batch's rows, checked on their own (the rules, the branch, the reach, duplicates in the file). */
interface CheckedBatch {
  rows: number;
  valid: CheckedOk[];
  problems: RowProblem[];
  invalidRows: number;
}

/** What one batch comes to against the members its staff numbers name, before anything is written. */
interface BatchPlan {
  rows: number;
  problems: RowProblem[];
  invalidRows: number;
  admissions: CheckedOk[];
  updates: { checked: CheckedOk; change: Extract<RosterChange, { kind: 'UPDATED' }> }[];
  unchanged: number;
}

/** The rows and events a plan writes. */
interface BatchWrites {
  admitted: Member[];
  updated: Member[];
  history: MemberHistoryEntry[];
  events: EncodedEvent[];
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

/** The members a batch's staff numbers name, and the union groups those members lead (工会小组 column only). */
interface Snapshot {
  members: Map<string, Member>;
  leaders: Map<string, string>;
}

const AUDIT = new Logger('Audit');
/** row problems that are refused access (audited) */
const REFUSED_ACCESS = new Set(['FORBIDDEN', 'MEMBER_OUT_OF_REACH']);

/** One job's execution: its passes over the file, the batch plans, the writes and the counts. */
class ImportRun {
  private readonly reach: Reach;
  private readonly columns: ColumnLayout;
  private readonly today = todayInShanghai();
  /** the importer, as the job recorded them: the unit of work's acting principal (audit rows) */
  private readonly acting: RequestActing;
  /** staff number → the rows it appears on, for those appearing more than once */
  private duplicates = new Map<string, number[]>();
  private counts: ImportCounts = emptyCounts();
  /** problems stored (numbered) so far, over every pass */
  private stored = 0;

  constructor(
    private readonly job: RosterImportJob,
    private readonly reader: RosterReader,
    private readonly dataSource: DataSource,
    private readonly jobs: RosterImportRepository,
    private readonly unitOfWork: MembershipUnitOfWork,
    private readonly branches: BranchDirectory,
    private readonly groups: GroupDirectory,
    private readonly stopping: () => boolean,
  ) {
    this.reach = job.scopeAll ? Reach.EVERYTHING : Reach.of(job.scopeBranchIds);
    this.columns = reader.columns;
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
          { attempts: 1 },
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
        { attempts: 1 },
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
    const checked = this.check(rows);
    const seen = await this.snapshot(checked);
    const plan = this.planAgainst(checked, seen);
    if (!build) return { checked, seen, plan };
    const numbers = await this.jobs.nextMemberNumbers(this.dataSource.manager, plan.admissions.length);
    return { checked, seen, plan, writes: this.build(plan, numbers) };
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
      plan = this.planAgainst(batch.checked, locked);
      writes = this.build(plan, await this.jobs.nextMemberNumbers(manager, plan.admissions.length));
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

  /** Each row on its own: member.ts's rules, the branch and the importer's reach, staff numbers appearing twice. */
  private check(rows: RosterRow[]): CheckedBatch {
    const batch: CheckedBatch = { rows: rows.length, valid: [], problems: [], invalidRows: 0 };
    const context = {
      columns: this.columns,
      branches: this.branches,
      groups: this.groups,
      today: this.today,
      mayImportInto: (branchId: string) => this.reach.includesBranch(branchId),
    };
    for (const row of rows) {
      const checked = checkRow(row, context);
      const staffNumber = staffNumberKey(row.cells.staffNumber);
      const duplicate = this.duplicates.get(staffNumber);
      if (duplicate) batch.problems.push(duplicateProblem(row.row, staffNumber, duplicate, this.columns));
      if (!checked.ok) batch.problems.push(...checked.problems);
      if (!checked.ok || duplicate) batch.invalidRows++;
      else batch.valid.push(checked);
    }
    return batch;
  }

  /** The valid rows held against the members their staff numbers name: admit, update, or nothing. */
  private planAgainst(checked: CheckedBatch, { members: existing, leaders }: Snapshot): BatchPlan {
    const plan: BatchPlan = {
      rows: checked.rows,
      problems: [...checked.problems],
      invalidRows: checked.invalidRows,
      admissions: [],
      updates: [],
      unchanged: 0,
    };
    const details = { source: 'ROSTER_IMPORT', importId: this.job.id };
    for (const row of checked.valid) {
      const member = existing.get(row.staffNumber);
      if (!member) {
        plan.admissions.push(row);
        continue;
      }
      if (!this.reach.includesBranch(member.branchId)) {
        plan.problems.push(outOfReachProblem(row, this.columns));
        plan.invalidRows++;
        continue;
      }
      try {
        const change = rosterChange(member, row, this.columns, this.today, details, leaders.get(member.id));
        if (change.kind === 'UNCHANGED') plan.unchanged++;
        else plan.updates.push({ checked: row, change });
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        plan.problems.push(changeProblem(error, row, this.columns, row.branch.id !== member.branchId));
        plan.invalidRows++;
      }
    }
    plan.problems.sort((a, b) => a.row - b.row);
    return plan;
  }

  /** The rows and events of a plan: new members with the numbers given, their JOINED entries, the changes. */
  private build(plan: BatchPlan, numbers: string[]): BatchWrites {
    const writes: BatchWrites = { admitted: [], updated: [], history: [], events: [] };
    const joinedVersions = new Map<string, string>();
    plan.admissions.forEach((checked, i) => {
      const { member, history } = checked.admit({ id: uuidv7(), memberNumber: numbers[i] });
      writes.admitted.push(member);
      const version = uuidv7();
      joinedVersions.set(member.id, version);
      writes.history.push({
        id: version,
        ...history,
        details: { ...history.details, source: 'ROSTER_IMPORT' },
      });
    });
    // one announcement per branch for the batch's new members, rather than a MemberJoined each
    writes.events.push(...membersImported(this.job.id, writes.admitted, (m) => joinedVersions.get(m.id)!));
    for (const { change } of plan.updates) {
      writes.updated.push(change.member);
      // each event carries the id of its own history entry (profile, transfer, group: in that order)
      const versions = new Map<string, string>();
      for (const entry of change.history) {
        const version = uuidv7();
        versions.set(entry.change, version);
        writes.history.push({ id: version, ...entry });
      }
      if (change.profileChanges.length > 0) {
        const before = change.transferredFrom ?? change.member.branchId;
        writes.events.push(
          memberProfileUpdated(
            { ...change.member, branchId: before },
            this.today,
            versions.get('PROFILE_UPDATED')!,
          ),
        );
      }
      if (change.transferredFrom) {
        // as the transfer leaves them: out of any group (a group change, if any, follows as its own event)
        const moved =
          change.groupChangedFrom !== undefined ? { ...change.member, groupId: undefined } : change.member;
        writes.events.push(
          memberTransferred(moved, change.transferredFrom, this.today, versions.get('TRANSFERRED')!),
        );
      }
      if (change.groupChangedFrom !== undefined) {
        writes.events.push(
          memberGroupChanged(
            change.member,
            change.groupChangedFrom ?? undefined,
            this.today,
            versions.get('GROUP_CHANGED')!,
          ),
        );
      }
    }
    return writes;
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

/** What a batch adds to the job's counts (`stored`: its problems kept). */
function countsOf(plan: BatchPlan, stored: number): ImportCounts {
  return {
    processed: plan.rows,
    created: plan.admissions.length,
    updated: plan.updates.length,
    unchanged: plan.unchanged,
    invalid: plan.invalidRows,
    errorCount: plan.problems.length,
    storedErrors: stored,
  };
}

function plus(a: ImportCounts, b: ImportCounts): ImportCounts {
  return {
    processed: a.processed + b.processed,
    created: a.created + b.created,
    updated: a.updated + b.updated,
    unchanged: a.unchanged + b.unchanged,
    invalid: a.invalid + b.invalid,
    errorCount: a.errorCount + b.errorCount,
    storedErrors: a.storedErrors + b.storedErrors,
  };
}

/** Whether two reads of the same staff numbers found the same members, field by field, leading the same groups. */
function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  if (a.members.size !== b.members.size || a.leaders.size !== b.leaders.size) return false;
  for (const [staffNumber, member] of a.members) {
    const other = b.members.get(staffNumber);
    if (!other || JSON.stringify(member) !== JSON.stringify(other)) return false;
  }
  for (const [memberId, groupId] of a.leaders) if (b.leaders.get(memberId) !== groupId) return false;
  return true;
}

function emptyCounts(): ImportCounts {
  return { processed: 0, created: 0, updated: 0, unchanged: 0, invalid: 0, errorCount: 0, storedErrors: 0 };
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
