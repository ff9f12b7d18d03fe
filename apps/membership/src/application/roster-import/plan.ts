import { DomainError } from '@unionfed/domain-kit';
import type { Reach } from '@unionfed/auth';
import { uuidv7 } from '@unionfed/persistence';
import type { EncodedEvent } from '@unionfed/contracts';
import type { Member, MemberHistoryEntry } from '../../domain/member';
import {
  changeProblem,
  checkRow,
  duplicateProblem,
  outOfReachProblem,
  rosterChange,
  staffNumberKey,
  type BranchDirectory,
  type CheckedRow,
  type ColumnLayout,
  type GroupDirectory,
  type RosterChange,
  type RosterRow,
  type RowProblem,
} from '../../domain/roster-import';
import type { ImportCounts } from '../../infrastructure/roster-import.repository';
import {
  memberGroupChanged,
  memberProfileUpdated,
  membersImported,
  memberTransferred,
} from '../integration-events';

/*
 * What one batch of a roster import comes to, before anything is written (no I/O): its rows checked on their own,
 * the valid ones planned against the members their staff numbers name (admit, update, or nothing), and the rows,
 * history entries and events the plan writes.
 */

/** What a batch is judged with: the job's importer and file, and the day. */
export interface BatchContext {
  jobId: string;
  columns: ColumnLayout;
  /** how far the importer reaches */
  reach: Reach;
  today: string;
  branches: BranchDirectory;
  groups: GroupDirectory;
  /** staff number → the rows it appears on, for those appearing more than once in the file */
  duplicates: ReadonlyMap<string, number[]>;
}

type CheckedOk = Extract<CheckedRow, { ok: true }>;

/** A batch's rows, checked on their own (the rules, the branch, the reach, duplicates in the file). */
export interface CheckedBatch {
  rows: number;
  valid: CheckedOk[];
  problems: RowProblem[];
  invalidRows: number;
}

/** What one batch comes to against the members its staff numbers name, before anything is written. */
export interface BatchPlan {
  rows: number;
  problems: RowProblem[];
  invalidRows: number;
  admissions: CheckedOk[];
  updates: { checked: CheckedOk; change: Extract<RosterChange, { kind: 'UPDATED' }> }[];
  unchanged: number;
}

/** The rows and events a plan writes. */
export interface BatchWrites {
  admitted: Member[];
  updated: Member[];
  history: MemberHistoryEntry[];
  events: EncodedEvent[];
}

/** The members a batch's staff numbers name, and the union groups those members lead (工会小组 column only). */
export interface Snapshot {
  members: Map<string, Member>;
  leaders: Map<string, string>;
}

/** Each row on its own: member.ts's rules, the branch and the importer's reach, staff numbers appearing twice. */
export function checkBatch(rows: readonly RosterRow[], context: BatchContext): CheckedBatch {
  const batch: CheckedBatch = { rows: rows.length, valid: [], problems: [], invalidRows: 0 };
  const rowContext = {
    columns: context.columns,
    branches: context.branches,
    groups: context.groups,
    today: context.today,
    mayImportInto: (branchId: string) => context.reach.includesBranch(branchId),
  };
  for (const row of rows) {
    const checked = checkRow(row, rowContext);
    const staffNumber = staffNumberKey(row.cells.staffNumber);
    const duplicate = context.duplicates.get(staffNumber);
    if (duplicate) batch.problems.push(duplicateProblem(row.row, staffNumber, duplicate, context.columns));
    if (!checked.ok) batch.problems.push(...checked.problems);
    if (!checked.ok || duplicate) batch.invalidRows++;
    else batch.valid.push(checked);
  }
  return batch;
}

/** The valid rows held against the members their staff numbers name: admit, update, or nothing. */
export function planBatch(
  checked: CheckedBatch,
  { members: existing, leaders }: Snapshot,
  context: BatchContext,
): BatchPlan {
  const plan: BatchPlan = {
    rows: checked.rows,
    problems: [...checked.problems],
    invalidRows: checked.invalidRows,
    admissions: [],
    updates: [],
    unchanged: 0,
  };
  const details = { source: 'ROSTER_IMPORT', importId: context.jobId };
  for (const row of checked.valid) {
    const member = existing.get(row.staffNumber);
    if (!member) {
      plan.admissions.push(row);
      continue;
    }
    if (!context.reach.includesBranch(member.branchId)) {
      plan.problems.push(outOfReachProblem(row, context.columns));
      plan.invalidRows++;
      continue;
    }
    try {
      const change = rosterChange(
        member,
        row,
        context.columns,
        context.today,
        details,
        leaders.get(member.id),
      );
      if (change.kind === 'UNCHANGED') plan.unchanged++;
      else plan.updates.push({ checked: row, change });
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      plan.problems.push(changeProblem(error, row, context.columns, row.branch.id !== member.branchId));
      plan.invalidRows++;
    }
  }
  plan.problems.sort((a, b) => a.row - b.row);
  return plan;
}

/** The rows and events of a plan: new members with the numbers given, their JOINED entries, the changes. */
export function buildWrites(plan: BatchPlan, numbers: readonly string[], context: BatchContext): BatchWrites {
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
  writes.events.push(...membersImported(context.jobId, writes.admitted, (m) => joinedVersions.get(m.id)!));
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
          context.today,
          versions.get('PROFILE_UPDATED')!,
        ),
      );
    }
    if (change.transferredFrom) {
      // as the transfer leaves them: out of any group (a group change, if any, follows as its own event)
      const moved =
        change.groupChangedFrom !== undefined ? { ...change.member, groupId: undefined } : change.member;
      writes.events.push(
        memberTransferred(moved, change.transferredFrom, context.today, versions.get('TRANSFERRED')!),
      );
    }
    if (change.groupChangedFrom !== undefined) {
      writes.events.push(
        memberGroupChanged(
          change.member,
          change.groupChangedFrom ?? undefined,
          context.today,
          versions.get('GROUP_CHANGED')!,
        ),
      );
    }
  }
  return writes;
}

/** What a batch adds to the job's counts (`stored`: its problems kept). */
export function countsOf(plan: BatchPlan, stored: number): ImportCounts {
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

export function plus(a: ImportCounts, b: ImportCounts): ImportCounts {
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
export function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  if (a.members.size !== b.members.size || a.leaders.size !== b.leaders.size) return false;
  for (const [staffNumber, member] of a.members) {
    const other = b.members.get(staffNumber);
    if (!other || JSON.stringify(member) !== JSON.stringify(other)) return false;
  }
  for (const [memberId, groupId] of a.leaders) if (b.leaders.get(memberId) !== groupId) return false;
  return true;
}

export function emptyCounts(): ImportCounts {
  return { processed: 0, created: 0, updated: 0, unchanged: 0, invalid: 0, errorCount: 0, storedErrors: 0 };
}
