import { ConflictError, InvalidInputError, parseIsoDate, todayInShanghai } from '@unionfed/domain-kit';
import {
  admitMember,
  type AdmitMemberInput,
  type HistoryValue,
  type Member,
  type MemberHistoryEntry,
  type MemberStatus,
} from './member';
import type { Branch } from './structure';

/**
 * The facts of a member's record that describe the person (not their place in the union — branch, group — nor
 * their lifecycle — joining day, status): what a correction may change.
 */
export const PROFILE_FIELDS = [
  'staffNumber',
  'name',
  'gender',
  'birthDate',
  'category',
  'title',
  'phone',
  'email',
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];

/** Fields every member has: a correction may change them, not clear them. */
const REQUIRED: ReadonlySet<ProfileField> = new Set(['staffNumber', 'name', 'gender', 'category']);

/** Personal data a history entry records as changed, never by value (as the audit trail redacts it). */
const PERSONAL: ReadonlySet<ProfileField> = new Set(['birthDate', 'phone', 'email']);

/** A correction: each field given is set (null clears an optional one); a field left out stays as it is. */
export type ProfileCorrection = { [F in ProfileField]?: string | null } & { reason?: string | null };

export interface CorrectedProfile {
  member: Member;
  /** the fields whose value changed, in PROFILE_FIELDS order */
  changed: ProfileField[];
  history: Omit<MemberHistoryEntry, 'id'>;
}

/**
 * 更正会员信息: corrects the profile facts of a member's record without a re-import, whatever the member's
 * status. The corrected profile must pass the rules a member is admitted by (member.ts's `admitMember`, on the
 * member's joining day): one set of rules for a name, a staff number, a birth date, a phone number. Nothing
 * changed → undefined (nothing is written). The history entry (PROFILE_UPDATED, effective today) keeps the
 * changed fields, the values before and after (personal data — birth date, phone, e-mail — only by name) and the
 * reason.
 */
export function correctProfile(
  member: Member,
  correction: ProfileCorrection,
  today: string = todayInShanghai(),
): CorrectedProfile | undefined {
  const input: Record<string, string | null | undefined> = {
    staffNumber: member.staffNumber,
    name: member.name,
    gender: member.gender,
    birthDate: member.birthDate,
    category: member.category,
    title: member.title,
    phone: member.phone,
    email: member.email,
  };
  for (const field of PROFILE_FIELDS) {
    if (!(field in correction) || correction[field] === undefined) continue;
    const value = correction[field];
    if (REQUIRED.has(field) && (value === null || value.trim() === '')) {
      throw new InvalidInputError(`${field} cannot be cleared`, 'FIELD_REQUIRED', { field });
    }
    input[field] = value;
  }
  const { member: checked } = admitMember(
    { id: member.id, memberNumber: member.memberNumber },
    ANY_ACTIVE_BRANCH,
    { ...(input as unknown as AdmitMemberInput), joinedOn: member.joinedOn },
    today,
  );
  const corrected: Member = { ...member };
  const changed: ProfileField[] = [];
  for (const field of PROFILE_FIELDS) {
    if ((member[field] ?? undefined) !== (checked[field] ?? undefined)) {
      (corrected as unknown as Record<string, unknown>)[field] = checked[field];
      changed.push(field);
    }
  }
  if (changed.length === 0) return undefined;
  const shown = (m: Member) =>
    Object.fromEntries(
      changed.filter((f) => !PERSONAL.has(f)).map((f) => [f, (m[f] ?? null) as HistoryValue]),
    );
  const reason = correction.reason?.trim();
  return {
    member: corrected,
    changed,
    history: {
      memberId: member.id,
      change: 'PROFILE_UPDATED',
      branchId: member.branchId,
      effectiveOn: today,
      details: {
        fields: changed.join(','),
        correction: true,
        before: shown(member),
        after: shown(corrected),
        ...(reason ? { reason } : {}),
      },
    },
  };
}

/** The branch the profile rules are checked against: a correction moves no one, so only the rules count. */
const ANY_ACTIVE_BRANCH: Branch = {
  id: '00000000-0000-7000-8000-000000000000',
  campusId: '00000000-0000-7000-8000-000000000000',
  code: 'ANY',
  name: '',
  kind: 'COLLEGE',
  staffHeadcount: 0,
  status: 'ACTIVE',
};

/**
 * The status a member had when they last withdrew, replayed from their history in the order it was recorded
 * (UUIDv7 ids): ACTIVE, or RETIRED for a retiree who left the union.
 */
export function statusBeforeWithdrawal(history: readonly MemberHistoryEntry[]): MemberStatus {
  let status: MemberStatus = 'ACTIVE';
  let before: MemberStatus = 'ACTIVE';
  for (const entry of [...history].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    switch (entry.change) {
      case 'JOINED':
      case 'TRANSFERRED':
        status = 'ACTIVE';
        break;
      case 'REINSTATED':
        status = entry.details.status === 'RETIRED' ? 'RETIRED' : 'ACTIVE';
        break;
      case 'RETIRED':
        status = 'RETIRED';
        break;
      case 'DECEASED':
        status = 'DECEASED';
        break;
      case 'WITHDRAWN':
        before = status;
        status = 'WITHDRAWN';
        break;
    }
  }
  return before;
}

export interface Reinstatement {
  member: Member;
  history: Omit<MemberHistoryEntry, 'id'>;
  /** the branch the member left from, when they rejoin in another one */
  fromBranchId?: string;
}

/**
 * 重新入会: a member who withdrew (退会) rejoins the union, keeping their record, member number and history. Only
 * WITHDRAWN can be reinstated: a retiree (RETIRED) is still a member and has nothing to rejoin, a death is final,
 * and TRANSFERRED_OUT is no lifecycle this federation records. The member gets back the status they withdrew
 * from — ACTIVE (counted in the join rate again), or RETIRED for a retiree who had left — effective on a day
 * between their withdrawal and today, in their last branch or in `to` (an active branch either way). They rejoin
 * in no union group (the one they left may be gone): their branch puts them into one again.
 */
export function reinstate(
  member: Member,
  history: readonly MemberHistoryEntry[],
  to: Branch,
  input: { effectiveOn?: string | null; reason?: string | null },
  today: string = todayInShanghai(),
): Reinstatement {
  if (member.status !== 'WITHDRAWN') {
    throw new ConflictError(
      member.status === 'RETIRED' || member.status === 'ACTIVE'
        ? `member ${member.memberNumber} is ${member.status.toLowerCase()} and still a member: there is nothing to reinstate`
        : `member ${member.memberNumber} is ${member.status.toLowerCase()}: only a member who withdrew can be reinstated`,
      'MEMBER_STATUS_CONFLICT',
      { memberId: member.id, status: member.status },
    );
  }
  if (to.status !== 'ACTIVE') {
    throw new ConflictError(
      `branch ${to.code} is ${to.status.toLowerCase()} and admits no members: name an active branch to rejoin`,
      'BRANCH_NOT_ACTIVE',
      { branchId: to.id },
    );
  }
  const withdrawnOn = history
    .filter((e) => e.change === 'WITHDRAWN')
    .reduce<string | undefined>(
      (last, e) => (last && last > e.effectiveOn ? last : e.effectiveOn),
      undefined,
    );
  const effectiveOn = input.effectiveOn ? parseIsoDate(input.effectiveOn, 'effectiveOn') : today;
  if (effectiveOn > today) {
    throw new InvalidInputError('effectiveOn lies in the future', 'EFFECTIVE_IN_FUTURE', {
      field: 'effectiveOn',
    });
  }
  if (effectiveOn < (withdrawnOn ?? member.joinedOn)) {
    throw new InvalidInputError(
      'effectiveOn lies before the member withdrew',
      'EFFECTIVE_BEFORE_WITHDRAWAL',
      { field: 'effectiveOn' },
    );
  }
  const status = statusBeforeWithdrawal(history);
  const moved = to.id !== member.branchId;
  const reason = input.reason?.trim();
  return {
    member: { ...member, status, branchId: to.id, groupId: undefined },
    history: {
      memberId: member.id,
      change: 'REINSTATED',
      branchId: to.id,
      effectiveOn,
      details: {
        status,
        ...(moved ? { fromBranchId: member.branchId } : {}),
        ...(member.groupId ? { fromGroupId: member.groupId } : {}),
        ...(reason ? { reason } : {}),
      },
    },
    ...(moved ? { fromBranchId: member.branchId } : {}),
  };
}
