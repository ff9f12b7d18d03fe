import type { DomainError } from '@unionfed/domain-kit';
import { transfer, type Member, type MemberHistoryEntry } from '../member';
import { changeGroup } from '../union-group';
import type { ColumnLayout, RosterField } from './columns';
import type { CheckedRow } from './row-check';
import { fieldOf, rowProblem, type RowProblem } from './wording';

/*
 * A valid row against the member its staff number names: what it changes (profile, branch, group) by member.ts's
 * and union-group.ts's rules, or the problem of a change they refuse.
 */

/** The profile fields a roster row may change on an existing member (joining date and status are not). */
export const PROFILE_FIELDS = ['name', 'gender', 'birthDate', 'phone', 'email', 'category', 'title'] as const;

export type RosterChange =
  | { kind: 'UNCHANGED' }
  | {
      kind: 'UPDATED';
      member: Member;
      /** profile fields that changed (PROFILE_UPDATED, MemberProfileUpdated) */
      profileChanges: string[];
      /** set when the branch changed (TRANSFERRED, MemberTransferred) */
      transferredFrom?: string;
      /** set when the union group changed (GROUP_CHANGED, MemberGroupChanged): the group before (null: none) */
      groupChangedFrom?: string | null;
      /** history entries, in the order they happened: profile, transfer, group */
      history: Omit<MemberHistoryEntry, 'id'>[];
    };

/**
 * What a valid row means for the existing member with its staff number. Only the file's columns count: a column
 * the file does not have leaves the field as it is; an empty cell of an optional column clears it. The joining
 * date of an existing member is its record's (a re-import does not rewrite it). A different branch is a
 * 会籍转移 on `today` — by member.ts's `transfer`, so only active members move (else MEMBER_STATUS_CONFLICT).
 */
export function rosterChange(
  existing: Member,
  checked: Extract<CheckedRow, { ok: true }>,
  columns: ColumnLayout,
  today: string,
  details: Record<string, string> = {},
  /** the group the member leads today, if any (a leader does not leave their group) */
  ledGroupId?: string,
): RosterChange {
  let next: Member = { ...existing };
  const profileChanges: string[] = [];
  for (const field of PROFILE_FIELDS) {
    if (!columns.has(field)) continue;
    const value = checked.member[field];
    if ((existing[field] ?? undefined) !== (value ?? undefined)) {
      (next as unknown as Record<string, unknown>)[field] = value;
      profileChanges.push(field);
    }
  }
  const history: Omit<MemberHistoryEntry, 'id'>[] = [];
  if (profileChanges.length > 0) {
    history.push({
      memberId: existing.id,
      change: 'PROFILE_UPDATED',
      branchId: existing.branchId,
      effectiveOn: today,
      details: { fields: profileChanges.join(','), ...details },
    });
  }
  let transferredFrom: string | undefined;
  if (checked.branch.id !== existing.branchId) {
    const moved = transfer(next, checked.branch, { effectiveOn: today }, today);
    history.push({ ...moved.history, details: { ...moved.history.details, ...details } });
    next = moved.member;
    transferredFrom = existing.branchId;
  }
  // the group: only when the file has the column; a transfer has taken the member out of their old one
  let groupChangedFrom: string | null | undefined;
  const wanted = checked.group === undefined ? next.groupId : (checked.group?.id ?? undefined);
  if (wanted !== next.groupId) {
    const group = checked.group ?? undefined;
    const changed = changeGroup(next, group, { effectiveOn: today, ledGroupId }, today);
    history.push({ ...changed.history, details: { ...changed.history.details, ...details } });
    groupChangedFrom = next.groupId ?? null;
    next = changed.member;
  }
  if (history.length === 0) return { kind: 'UNCHANGED' };
  return {
    kind: 'UPDATED',
    member: next,
    profileChanges,
    ...(transferredFrom ? { transferredFrom } : {}),
    ...(groupChangedFrom !== undefined ? { groupChangedFrom } : {}),
    history,
  };
}

/** The problem of a row whose change the member's rules refuse (e.g. moving a retired member). */
export function changeProblem(
  error: DomainError,
  checked: { row: number; staffNumber: string },
  columns: ColumnLayout,
  /** whether the row moves the member to another branch (else a status conflict is the group's) */
  moves = true,
): RowProblem {
  const branchField: RosterField = columns.has('branchCode') ? 'branchCode' : 'branch';
  const field =
    error.reason === 'GROUP_LEADER_CANNOT_LEAVE' || (error.reason === 'MEMBER_STATUS_CONFLICT' && !moves)
      ? 'group'
      : error.reason === 'MEMBER_STATUS_CONFLICT'
        ? branchField
        : (fieldOf(error) ?? null);
  return {
    ...rowProblem(checked.row, field, error.reason, columns, error.details, error.message),
    staffNumber: checked.staffNumber,
  };
}

/** The problem of a row naming a member of a branch out of the importer's reach. */
export function outOfReachProblem(checked: { row: number; staffNumber: string }, columns: ColumnLayout) {
  return {
    ...rowProblem(checked.row, 'staffNumber', 'MEMBER_OUT_OF_REACH', columns),
    staffNumber: checked.staffNumber,
  };
}
