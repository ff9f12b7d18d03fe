import { ConflictError, DomainError } from '@unionfed/domain-kit';
import type { Grant } from '@unionfed/auth';
import { normaliseUsername } from './accounts';

/** A member as the gateway's copy of the membership directory knows them (libs/directory). */
export interface DirectoryMember {
  id: string;
  branchId: string;
  staffNumber: string | null;
  name: string | null;
  status: string;
}

/**
 * Statuses of a member who no longer belongs to the union: their self-service ends. A retiree (RETIRED) stays a
 * member (DOMAIN: "retires and stays a member"), and keeps their account.
 */
export const LEFT_STATUSES: readonly string[] = ['WITHDRAWN', 'DECEASED', 'TRANSFERRED_OUT'];

export function hasLeft(status: string | undefined): boolean {
  return status !== undefined && LEFT_STATUSES.includes(status);
}

/**
 * A member's own account: one that holds no staff role. Only such an account is administered by the member's
 * branch officers (created, given a new one-time password, disabled when the member leaves); an account with
 * staff roles that is also linked to a member stays its admins' (domain/accounts.ts `mayAdministerAccount`).
 */
export function isMemberAccount(grants: readonly Grant[]): boolean {
  return grants.length === 0;
}

/**
 * The username a member's account gets unless the officer gives one: the staff number (工号) in lower case, when
 * it is a valid username (3–64 letters, digits or . _ @ -); `undefined` when it is not (a 1- or 2-character
 * staff number), so the officer names one.
 */
export function memberUsername(staffNumber: string | null): string | undefined {
  if (!staffNumber) return undefined;
  try {
    return normaliseUsername(staffNumber);
  } catch {
    return undefined;
  }
}

/** Only an active member is given an account (a retiree keeps the one they have). */
export function assertMayOpenAccount(member: DirectoryMember): void {
  if (member.status !== 'ACTIVE')
    throw new ConflictError(
      'Only an active member gets an account (只能为在会会员开通账号)',
      'MEMBER_NOT_ACTIVE',
      { field: 'memberId' },
    );
}

/** A member who has left keeps no self-service: their account is not given a new password either. */
export function assertHasNotLeft(member: DirectoryMember): void {
  if (hasLeft(member.status))
    throw new ConflictError('The member has left the union (该会员已不在会)', 'MEMBER_HAS_LEFT', {
      field: 'memberId',
    });
}

/** Why a bulk run left an active member without an account. */
export type SkipReason = 'USERNAME_TAKEN' | 'NO_USABLE_USERNAME';

/**
 * The accounts a bulk run makes for a branch's active members without one: each member's staff-number username,
 * unless it cannot be a username or is taken (by an account already there, or by another member of the same run
 * whose staff number differs only in case) — those are skipped with the reason, and the officer names a username
 * for them one by one.
 */
export function planMemberAccounts(
  members: readonly DirectoryMember[],
  takenUsernames: ReadonlySet<string>,
): {
  create: { member: DirectoryMember; username: string }[];
  skip: { member: DirectoryMember; reason: SkipReason }[];
} {
  const create: { member: DirectoryMember; username: string }[] = [];
  const skip: { member: DirectoryMember; reason: SkipReason }[] = [];
  const taken = new Set(takenUsernames);
  for (const member of members) {
    const username = memberUsername(member.staffNumber);
    if (!username) skip.push({ member, reason: 'NO_USABLE_USERNAME' });
    else if (taken.has(username)) skip.push({ member, reason: 'USERNAME_TAKEN' });
    else {
      taken.add(username);
      create.push({ member, username });
    }
  }
  return { create, skip };
}

/**
 * The one answer for a member who does not exist, is not in the directory yet, or is beyond the caller's reach:
 * it names no id, so that "not yours" reads exactly like "not there".
 */
export class MemberNotFoundError extends DomainError {
  readonly kind = 'NOT_FOUND' as const;
  constructor() {
    super('No such member (会员不存在)', 'MEMBER_NOT_FOUND');
  }
}

/** A member in reach who has no account of their own (none, or only a staff account linked to them). */
export class MemberAccountNotFoundError extends DomainError {
  readonly kind = 'NOT_FOUND' as const;
  constructor() {
    super('This member has no account of their own (该会员尚未开通账号)', 'MEMBER_ACCOUNT_NOT_FOUND');
  }
}
