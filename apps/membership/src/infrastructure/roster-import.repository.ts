import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { copyRows, isUniqueViolation } from '@unionfed/persistence';
import type { Member, MemberHistoryEntry } from '../domain/member';
import type { RowProblem } from '../domain/roster-import';
import type { UnionGroup } from '../domain/union-group';
import {
  MEMBER_COLUMNS,
  MEMBER_COPY_COLUMNS,
  memberCopyRow,
  memberOfRow,
  memberWriteOf,
  type MemberRow,
} from './member.mapper';

export type ImportMode = 'DRY_RUN' | 'APPLY';
export type OnInvalid = 'SKIP' | 'ABORT';
export type ImportStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'ABORTED' | 'FAILED';
export type ImportPhase = 'QUEUED' | 'SCANNING' | 'CHECKING' | 'APPLYING' | 'DONE';

/** A roster import job as stored: what was asked, how far it got, what it found. */
export interface RosterImportJob {
  id: string;
  mode: ImportMode;
  onInvalid: OnInvalid;
  status: ImportStatus;
  phase: ImportPhase;
  fileName: string | null;
  fileBytes: number;
  format: string | null;
  encoding: string | null;
  mapping: Record<string, string>;
  ignoredColumns: string[];
  totalRows: number | null;
  processed: number;
  created: number;
  updated: number;
  unchanged: number;
  invalid: number;
  errorCount: number;
  storedErrors: number;
  failureCode: string | null;
  failureMessage: string | null;
  failureMessageEn: string | null;
  startedBy: string;
  startedByName: string;
  scopeAll: boolean;
  scopeBranchIds: string[];
  traceparent: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** The counts a job carries while it runs. */
export interface ImportCounts {
  processed: number;
  created: number;
  updated: number;
  unchanged: number;
  invalid: number;
  errorCount: number;
  storedErrors: number;
}

/** Who looks at jobs: HQ sees all; others their own and those started within their branches. */
export interface JobViewer {
  all: boolean;
  subject: string;
  branchIds: readonly string[];
}

const JOB_COLUMNS = `
  id, mode, on_invalid AS "onInvalid", status, phase, file_name AS "fileName", file_bytes::int AS "fileBytes",
  format, encoding, mapping, ignored_columns AS "ignoredColumns", total_rows AS "totalRows", processed, created,
  updated, unchanged, invalid, error_count AS "errorCount", stored_errors AS "storedErrors",
  failure_code AS "failureCode", failure_message AS "failureMessage", failure_message_en AS "failureMessageEn",
  started_by AS "startedBy", started_by_name AS "startedByName", scope_all AS "scopeAll",
  scope_branch_ids::text[] AS "scopeBranchIds", traceparent, created_at AS "createdAt", started_at AS "startedAt",
  finished_at AS "finishedAt"`;

/** Condition + parameters restricting jobs to those a viewer may see (appended to `params`). */
function visibleTo(viewer: JobViewer, params: unknown[]): string {
  if (viewer.all) return 'TRUE';
  params.push(viewer.subject, [...viewer.branchIds]);
  return `(started_by = $${params.length - 1} OR scope_branch_ids && $${params.length}::uuid[])`;
}

export interface StoredProblem extends RowProblem {
  seq: number;
}

/**
 * Persistence of roster imports: the job and its problems, and the bulk reads and writes of members that an
 * import makes — one statement per kind of row and batch (a JSON array of the batch's rows, unpacked by
 * `json_to_recordset`), in the caller's transaction.
 */
@Injectable()
export class RosterImportRepository {
  constructor(private readonly dataSource: DataSource) {}

  private q(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  // ---------------------------------------------------------------------------------------------------------
  // jobs

  async createJob(
    job: Pick<
      RosterImportJob,
      | 'id'
      | 'mode'
      | 'onInvalid'
      | 'fileName'
      | 'fileBytes'
      | 'mapping'
      | 'startedBy'
      | 'startedByName'
      | 'scopeAll'
      | 'scopeBranchIds'
      | 'traceparent'
    >,
  ): Promise<RosterImportJob> {
    const [row] = await this.dataSource.query(
      `INSERT INTO roster_import_job (id, mode, on_invalid, status, file_name, file_bytes, mapping, started_by,
                                      started_by_name, scope_all, scope_branch_ids, traceparent, heartbeat_at)
       VALUES ($1, $2, $3, 'QUEUED', $4, $5, $6::jsonb, $7, $8, $9, $10::uuid[], $11, now())
       RETURNING ${JOB_COLUMNS}`,
      [
        job.id,
        job.mode,
        job.onInvalid,
        job.fileName,
        job.fileBytes,
        JSON.stringify(job.mapping),
        job.startedBy,
        job.startedByName,
        job.scopeAll,
        [...job.scopeBranchIds],
        job.traceparent,
      ],
    );
    return row as RosterImportJob;
  }

  async findJob(id: string, viewer?: JobViewer): Promise<RosterImportJob | undefined> {
    const params: unknown[] = [id];
    const visible = viewer ? visibleTo(viewer, params) : 'TRUE';
    const [row] = await this.dataSource.query(
      `SELECT ${JOB_COLUMNS} FROM roster_import_job WHERE id = $1 AND ${visible}`,
      params,
    );
    return row as RosterImportJob | undefined;
  }

  /** Jobs the viewer may see, newest first, before `beforeId`; one more than `size` (there is a next page). */
  async listJobs(viewer: JobViewer, size: number, beforeId?: string): Promise<RosterImportJob[]> {
    const params: unknown[] = [size + 1];
    const visible = visibleTo(viewer, params);
    let before = '';
    if (beforeId) {
      params.push(beforeId);
      before = `AND id < $${params.length}`;
    }
    return this.dataSource.query(
      `SELECT ${JOB_COLUMNS} FROM roster_import_job WHERE ${visible} ${before} ORDER BY id DESC LIMIT $1`,
      params,
    );
  }

  async countJobs(viewer: JobViewer): Promise<number> {
    const params: unknown[] = [];
    const [{ n }] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM roster_import_job WHERE ${visibleTo(viewer, params)}`,
      params,
    );
    return n;
  }

  /** A page of a job's stored problems in row order, after (row, seq) `after`; one more than `size`. */
  async problems(
    jobId: string,
    size: number,
    after?: { row: number; seq: number },
  ): Promise<StoredProblem[]> {
    return this.dataSource.query(
      `SELECT seq, row_number AS row, column_name AS "column", code, message, message_en AS "messageEn",
              staff_number AS "staffNumber"
         FROM roster_import_error WHERE job_id = $1 AND (row_number, seq) > ($2, $3)
        ORDER BY row_number, seq LIMIT $4`,
      [jobId, after?.row ?? -1, after?.seq ?? 0, size + 1],
    );
  }

  async markRunning(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE roster_import_job SET status = 'RUNNING', phase = 'SCANNING', started_at = now(), heartbeat_at = now()
        WHERE id = $1`,
      [id],
    );
  }

  async recordFile(
    id: string,
    facts: { format: string; encoding: string | null; ignoredColumns: string[] },
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE roster_import_job SET format = $2, encoding = $3, ignored_columns = $4::text[], heartbeat_at = now()
        WHERE id = $1`,
      [id, facts.format, facts.encoding, facts.ignoredColumns],
    );
  }

  /** A new pass over the file begins: its counts start from zero. */
  async startPhase(id: string, phase: ImportPhase, totalRows?: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE roster_import_job
          SET phase = $2, total_rows = coalesce($3, total_rows), processed = 0, created = 0, updated = 0,
              unchanged = 0, invalid = 0, heartbeat_at = now()
        WHERE id = $1`,
      [id, phase, totalRows ?? null],
    );
  }

  /** The job's counts so far — in the batch's own transaction when given, so counts and rows commit together. */
  async recordProgress(id: string, counts: ImportCounts, manager?: EntityManager): Promise<void> {
    await this.q(manager).query(
      `UPDATE roster_import_job
          SET processed = $2, created = $3, updated = $4, unchanged = $5, invalid = $6, error_count = $7,
              stored_errors = $8, heartbeat_at = now()
        WHERE id = $1`,
      [
        id,
        counts.processed,
        counts.created,
        counts.updated,
        counts.unchanged,
        counts.invalid,
        counts.errorCount,
        counts.storedErrors,
      ],
    );
  }

  /** Adds a batch's counts to the job's, in the batch's transaction (batches may commit in any order). */
  async addProgress(id: string, delta: ImportCounts, manager: EntityManager): Promise<void> {
    await manager.query(
      `UPDATE roster_import_job
          SET processed = processed + $2, created = created + $3, updated = updated + $4,
              unchanged = unchanged + $5, invalid = invalid + $6, error_count = error_count + $7,
              stored_errors = stored_errors + $8, heartbeat_at = now()
        WHERE id = $1`,
      [
        id,
        delta.processed,
        delta.created,
        delta.updated,
        delta.unchanged,
        delta.invalid,
        delta.errorCount,
        delta.storedErrors,
      ],
    );
  }

  async finish(
    id: string,
    status: Exclude<ImportStatus, 'QUEUED' | 'RUNNING'>,
    failure?: { code: string; message: string; messageEn: string },
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE roster_import_job
          SET status = $2, phase = 'DONE', finished_at = now(), heartbeat_at = now(),
              failure_code = $3, failure_message = $4, failure_message_en = $5
        WHERE id = $1`,
      [id, status, failure?.code ?? null, failure?.message ?? null, failure?.messageEn ?? null],
    );
  }

  /** Keeps the jobs this process holds (queued or running) from being taken for abandoned. */
  async heartbeat(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE roster_import_job SET heartbeat_at = now() WHERE id = ANY($1::uuid[]) AND status IN ('QUEUED','RUNNING')`,
      [ids],
    );
  }

  /** Jobs whose process went away (no heartbeat for `staleSeconds`) are FAILED, saying so. */
  async failAbandoned(staleSeconds: number): Promise<number> {
    const rows = await this.dataSource.query(
      `UPDATE roster_import_job
          SET status = 'FAILED', phase = 'DONE', finished_at = now(), failure_code = 'INTERRUPTED',
              failure_message = '导入因服务重启而中断；重新导入同一文件即可（已导入的行不会重复）',
              failure_message_en = 'the import was interrupted by a restart; import the same file again (rows already imported are not repeated)'
        WHERE status IN ('QUEUED','RUNNING') AND heartbeat_at < now() - make_interval(secs => $1)
        RETURNING id`,
      [staleSeconds],
    );
    return rows.length;
  }

  /** Stores problems (numbered from `firstSeq`), in the batch's transaction when given. */
  async storeProblems(
    jobId: string,
    firstSeq: number,
    problems: readonly RowProblem[],
    manager?: EntityManager,
  ): Promise<void> {
    if (problems.length === 0) return;
    await this.q(manager).query(
      `INSERT INTO roster_import_error (job_id, seq, row_number, column_name, code, message, message_en, staff_number)
       SELECT $1, seq, row_number, column_name, code, message, message_en, staff_number
         FROM json_to_recordset($2::json)
           AS r(seq int, row_number int, column_name text, code text, message text, message_en text, staff_number text)`,
      [
        jobId,
        JSON.stringify(
          problems.map((p, i) => ({
            seq: firstSeq + i,
            row_number: p.row,
            column_name: p.column,
            code: p.code,
            message: p.message,
            message_en: p.messageEn,
            staff_number: p.staffNumber ?? null,
          })),
        ),
      ],
    );
  }

  // ---------------------------------------------------------------------------------------------------------
  // members, in bulk

  /** The members with these staff numbers; `lock` takes their rows for the caller's transaction. */
  async membersByStaffNumber(
    staffNumbers: readonly string[],
    manager?: EntityManager,
    lock = false,
  ): Promise<Map<string, Member>> {
    if (staffNumbers.length === 0) return new Map();
    const rows: MemberRow[] = await this.q(manager).query(
      `SELECT ${MEMBER_COLUMNS} FROM member m WHERE m.staff_number = ANY($1::text[]) ${lock ? 'FOR UPDATE' : ''}`,
      [staffNumbers],
    );
    return new Map(rows.map((row) => [row.staff_number, memberOfRow(row)]));
  }

  /** Every active union group (工会小组), for the 工会小组 column. */
  async activeGroups(): Promise<UnionGroup[]> {
    return this.dataSource.query(
      `SELECT id, branch_id AS "branchId", name, status, formed_on::text AS "formedOn"
         FROM union_group WHERE status = 'ACTIVE'`,
    );
  }

  /** Group names by id (dissolved groups included), for the export. */
  async groupNames(): Promise<Map<string, string>> {
    const rows: { id: string; name: string }[] = await this.dataSource.query(
      `SELECT id, name FROM union_group`,
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /**
   * Locks the groups a batch puts members into (FOR SHARE, before any member: the order the structure
   * commands keep) and returns the ids of those no longer active.
   */
  async lockGroups(manager: EntityManager, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: { id: string }[] = await manager.query(
      `SELECT id FROM union_group WHERE id = ANY($1::uuid[]) AND status = 'ACTIVE' ORDER BY id FOR SHARE`,
      [ids],
    );
    const active = new Set(rows.map((r) => r.id));
    return ids.filter((id) => !active.has(id));
  }

  /** Which of these members lead a union group on `day`: member id → group id (as StructureRepository.groupLedBy). */
  async groupsLedBy(
    memberIds: readonly string[],
    day: string,
    manager?: EntityManager,
  ): Promise<Map<string, string>> {
    if (memberIds.length === 0) return new Map();
    const rows: { member_id: string; group_id: string }[] = await this.q(manager).query(
      `SELECT member_id, group_id FROM committee_appointment
        WHERE member_id = ANY($1::uuid[]) AND role = 'GROUP_LEADER'
          AND starts_on <= $2::date AND (ends_on IS NULL OR ends_on >= $2::date)`,
      [memberIds, day],
    );
    return new Map(rows.map((r) => [r.member_id, r.group_id]));
  }

  /** `count` new member numbers (M000123), as MembershipRepository.nextMemberNumber gives them one by one. */
  async nextMemberNumbers(manager: EntityManager, count: number): Promise<string[]> {
    if (count === 0) return [];
    const rows: { n: string }[] = await manager.query(
      `SELECT nextval('member_number_seq')::text AS n FROM generate_series(1, $1)`,
      [count],
    );
    return rows.map(({ n }) => `M${n.padStart(6, '0')}`);
  }

  /**
   * Inserts new members (COPY: the import's bulk path). Returns false when a staff number was taken meanwhile
   * (by a concurrent admission): the caller's picture is out of date, and its transaction is aborted — it must
   * roll back and plan again.
   */
  async insertMembers(manager: EntityManager, members: readonly Member[]): Promise<boolean> {
    if (members.length === 0) return true;
    try {
      await copyRows(manager, 'member', MEMBER_COPY_COLUMNS, members.map(memberCopyRow));
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  /** Writes the changed fields of existing members (profile, branch, group); the rows are the caller's locked. */
  async updateMembers(manager: EntityManager, members: readonly Member[]): Promise<void> {
    if (members.length === 0) return;
    await manager.query(
      `UPDATE member m
          SET name = r.name, name_characters = r.name_characters, name_initials = r.name_initials,
              gender = r.gender, birth_date = r.birth_date, phone = r.phone, email = r.email,
              category = r.category, title = r.title, branch_id = r.branch_id, group_id = r.group_id
         FROM json_to_recordset($1::json)
           AS r(id uuid, name text, name_characters text[], name_initials text[], gender text, birth_date date,
                phone text, email text, category text, title text, branch_id uuid, group_id uuid)
        WHERE m.id = r.id`,
      [JSON.stringify(members.map(memberWriteOf))],
    );
  }

  async insertHistory(manager: EntityManager, entries: readonly MemberHistoryEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await copyRows(
      manager,
      'member_history',
      ['id', 'member_id', 'change', 'branch_id', 'effective_on', 'details'],
      entries.map((e) => [e.id, e.memberId, e.change, e.branchId, e.effectiveOn, e.details]),
    );
  }
}
