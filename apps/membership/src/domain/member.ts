import {
  ConflictError,
  DomainError,
  InvalidInputError,
  parseIsoDate,
  todayInShanghai,
} from '@unionfed/domain-kit';
import { requireName, type Branch } from './structure';

export const GENDERS = ['MALE', 'FEMALE'] as const;
export type Gender = (typeof GENDERS)[number];
export const MEMBER_CATEGORIES = ['TEACHER', 'MANAGEMENT', 'SUPPORT', 'CONTRACT'] as const;
export type MemberCategory = (typeof MEMBER_CATEGORIES)[number];
export const MEMBER_STATUSES = ['ACTIVE', 'RETIRED', 'TRANSFERRED_OUT', 'WITHDRAWN', 'DECEASED'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** 会员 */
export interface Member {
  id: string;
  memberNumber: string;
  /** 工号: unique in the federation, the natural key for roster imports */
  staffNumber: string;
  name: string;
  gender: Gender;
  birthDate?: string;
  phone?: string;
  email?: string;
  category: MemberCategory;
  title?: string;
  branchId: string;
  groupId?: string;
  joinedOn: string;
  status: MemberStatus;
}

export type HistoryValue = string | number | boolean | null;
/** What a history entry records beside its change: flat values, or one level of them (a correction's before/after). */
export type HistoryDetails = Record<string, HistoryValue | Record<string, HistoryValue>>;

/** One entry of the 会员档案: what happened, effective when. */
export interface MemberHistoryEntry {
  id: string;
  memberId: string;
  change:
    | 'JOINED'
    | 'PROFILE_UPDATED'
    | 'TRANSFER_REQUESTED'
    | 'TRANSFER_DECLINED'
    | 'TRANSFER_CANCELLED'
    | 'TRANSFERRED'
    | 'RETIRED'
    | 'WITHDRAWN'
    | 'DECEASED'
    | 'REINSTATED'
    | 'GROUP_CHANGED';
  branchId: string;
  effectiveOn: string;
  details: HistoryDetails;
}

export interface AdmitMemberInput {
  staffNumber: string;
  name: string;
  gender: string;
  birthDate?: string | null;
  category: string;
  title?: string | null;
  phone?: string | null;
  email?: string | null;
  joinedOn?: string | null;
}

const STAFF_NUMBER = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/;
const PHONE = /^\+?[0-9][0-9 -]{5,19}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseStaffNumber(value: string): string {
  const staffNumber = value.trim().toUpperCase();
  if (!STAFF_NUMBER.test(staffNumber)) {
    throw new InvalidInputError('staffNumber must be 1–32 letters, digits or "-"', 'INVALID_STAFF_NUMBER', {
      field: 'staffNumber',
    });
  }
  return staffNumber;
}

function optional(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function oneOf<T extends string>(values: readonly T[], value: string, field: string, reason: string): T {
  if (!(values as readonly string[]).includes(value)) {
    throw new InvalidInputError(`${field} must be one of ${values.join(', ')}`, reason, { field });
  }
  return value as T;
}

/** What `checkAdmission` finds: the member the input makes, or every rule it breaks. */
export type AdmissionCheck =
  | { ok: true; member: Member; history: Omit<MemberHistoryEntry, 'id'> }
  | { ok: false; problems: DomainError[] };

/**
 * 入会's rules, every one of them: the branch must be active; the person must be of working age on the day they
 * join; contact details, when given, must be well-formed. Each rule is checked on its own, so the answer lists
 * every problem of the input at once (a roster import reports them per row), in the order `admitMember` meets
 * them. The age is judged on the joining day — or, when that day is not a valid one, on today, the latest it
 * could be.
 */
export function checkAdmission(
  ids: { id: string; memberNumber: string },
  branch: Branch,
  input: AdmitMemberInput,
  today: string = todayInShanghai(),
): AdmissionCheck {
  const problems: DomainError[] = [];
  /** one rule: its value, or undefined with its problem recorded */
  const rule = <T>(check: () => T): T | undefined => {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      problems.push(error);
      return undefined;
    }
  };
  if (branch.status !== 'ACTIVE') {
    problems.push(
      new ConflictError(
        `branch ${branch.code} is ${branch.status.toLowerCase()} and admits no members`,
        'BRANCH_NOT_ACTIVE',
        { branchId: branch.id },
      ),
    );
  }
  const joinedOn = input.joinedOn ? rule(() => parseIsoDate(input.joinedOn!, 'joinedOn')) : today;
  const inFuture = joinedOn !== undefined && joinedOn > today;
  if (inFuture) {
    problems.push(
      new InvalidInputError('joinedOn lies in the future', 'JOINED_IN_FUTURE', { field: 'joinedOn' }),
    );
  }
  const birthDate = input.birthDate ? rule(() => parseIsoDate(input.birthDate!, 'birthDate')) : undefined;
  if (birthDate) {
    const judgedOn = joinedOn === undefined || inFuture ? today : joinedOn;
    const ageOnJoining = Number(judgedOn.slice(0, 4)) - Number(birthDate.slice(0, 4));
    if (ageOnJoining < 16 || ageOnJoining > 100) {
      problems.push(
        new InvalidInputError(
          'birthDate makes the member younger than 16 or older than 100 on joining',
          'IMPLAUSIBLE_BIRTH_DATE',
          { field: 'birthDate' },
        ),
      );
    }
  }
  const phone = optional(input.phone);
  if (phone && !PHONE.test(phone))
    problems.push(new InvalidInputError('phone is not a phone number', 'INVALID_PHONE', { field: 'phone' }));
  const email = optional(input.email);
  if (email && !EMAIL.test(email))
    problems.push(
      new InvalidInputError('email is not an e-mail address', 'INVALID_EMAIL', { field: 'email' }),
    );
  const staffNumber = rule(() => normaliseStaffNumber(input.staffNumber));
  const name = rule(() => requireName(input.name, 'name', 50));
  const gender = rule(() => oneOf(GENDERS, input.gender, 'gender', 'INVALID_GENDER'));
  const category = rule(() => oneOf(MEMBER_CATEGORIES, input.category, 'category', 'INVALID_CATEGORY'));
  if (problems.length > 0) return { ok: false, problems };

  const member: Member = {
    id: ids.id,
    memberNumber: ids.memberNumber,
    staffNumber: staffNumber!,
    name: name!,
    gender: gender!,
    birthDate,
    phone,
    email,
    category: category!,
    title: optional(input.title),
    branchId: branch.id,
    joinedOn: joinedOn!,
    status: 'ACTIVE',
  };
  return {
    ok: true,
    member,
    history: {
      memberId: member.id,
      change: 'JOINED',
      branchId: branch.id,
      effectiveOn: member.joinedOn,
      details: { memberNumber: member.memberNumber },
    },
  };
}

/** 入会: admits a person to a branch by `checkAdmission`'s rules; a broken rule is thrown (the first one met). */
export function admitMember(
  ids: { id: string; memberNumber: string },
  branch: Branch,
  input: AdmitMemberInput,
  today: string = todayInShanghai(),
): { member: Member; history: Omit<MemberHistoryEntry, 'id'> } {
  const checked = checkAdmission(ids, branch, input, today);
  if (!checked.ok) throw checked.problems[0];
  return { member: checked.member, history: checked.history };
}

export type LifecycleChange = 'TRANSFERRED' | 'RETIRED' | 'WITHDRAWN' | 'DECEASED';

/** Which statuses each change may start from: a member's record only moves forward. */
const ALLOWED_FROM: Record<LifecycleChange, MemberStatus[]> = {
  TRANSFERRED: ['ACTIVE'],
  RETIRED: ['ACTIVE'],
  WITHDRAWN: ['ACTIVE', 'RETIRED'],
  DECEASED: ['ACTIVE', 'RETIRED'],
};

const STATUS_AFTER: Record<Exclude<LifecycleChange, 'TRANSFERRED'>, MemberStatus> = {
  RETIRED: 'RETIRED',
  WITHDRAWN: 'WITHDRAWN',
  DECEASED: 'DECEASED',
};

function effectiveDate(member: Member, effectiveOn: string | null | undefined, today: string): string {
  const date = effectiveOn ? parseIsoDate(effectiveOn, 'effectiveOn') : today;
  if (date > today)
    throw new InvalidInputError('effectiveOn lies in the future', 'EFFECTIVE_IN_FUTURE', {
      field: 'effectiveOn',
    });
  if (date < member.joinedOn) {
    throw new InvalidInputError('effectiveOn lies before the member joined', 'EFFECTIVE_BEFORE_JOINING', {
      field: 'effectiveOn',
    });
  }
  return date;
}

function requireStatus(member: Member, change: LifecycleChange): void {
  if (!ALLOWED_FROM[change].includes(member.status)) {
    throw new ConflictError(
      `member ${member.memberNumber} is ${member.status.toLowerCase()}: cannot record ${change.toLowerCase()}`,
      'MEMBER_STATUS_CONFLICT',
      { memberId: member.id, status: member.status },
    );
  }
}

/**
 * 退休 / 退会 / 去世: the member's status changes, effective on a date between joining and today; the record
 * itself is kept (a member is never deleted).
 */
export function changeStatus(
  member: Member,
  change: Exclude<LifecycleChange, 'TRANSFERRED'>,
  input: { effectiveOn?: string | null; reason?: string | null },
  today: string = todayInShanghai(),
): { member: Member; history: Omit<MemberHistoryEntry, 'id'> } {
  requireStatus(member, change);
  const effectiveOn = effectiveDate(member, input.effectiveOn, today);
  const reason = optional(input.reason);
  return {
    member: { ...member, status: STATUS_AFTER[change] },
    history: {
      memberId: member.id,
      change,
      branchId: member.branchId,
      effectiveOn,
      details: reason ? { reason } : {},
    },
  };
}

/** 会籍转移: the member moves to another active branch of the federation, keeping the record and its history. */
export function transfer(
  member: Member,
  to: Branch,
  input: { effectiveOn?: string | null },
  today: string = todayInShanghai(),
): { member: Member; history: Omit<MemberHistoryEntry, 'id'> } {
  requireStatus(member, 'TRANSFERRED');
  if (to.id === member.branchId) {
    throw new InvalidInputError('the member already belongs to that branch', 'SAME_BRANCH', {
      field: 'toBranchId',
    });
  }
  if (to.status !== 'ACTIVE') {
    throw new ConflictError(
      `branch ${to.code} is ${to.status.toLowerCase()} and admits no members`,
      'BRANCH_NOT_ACTIVE',
      { branchId: to.id },
    );
  }
  const effectiveOn = effectiveDate(member, input.effectiveOn, today);
  return {
    member: { ...member, branchId: to.id, groupId: undefined },
    history: {
      memberId: member.id,
      change: 'TRANSFERRED',
      branchId: to.id,
      effectiveOn,
      details: { fromBranchId: member.branchId },
    },
  };
}
