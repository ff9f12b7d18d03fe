import { DomainError, ForbiddenError, InvalidInputError } from '@unionfed/domain-kit';
import { isRole, STAFF_ROLES, type Grant, type Principal } from '@unionfed/auth';

/** Login names: what people type, so kept simple and case-insensitive. */
const USERNAME = /^[a-z0-9][a-z0-9._@-]{2,63}$/;

export function normaliseUsername(value: string): string {
  const username = value.trim().toLowerCase();
  if (!USERNAME.test(username)) {
    throw new InvalidInputError(
      'username must be 3–64 letters, digits or . _ @ -, starting with a letter or digit',
      'INVALID_USERNAME',
      { field: 'username' },
    );
  }
  return username;
}

export const PASSWORD_MIN_LENGTH = 10;
const PASSWORD_MAX_LENGTH = 128;
/** the passwords people pick first; refused outright */
const COMMON_PASSWORDS = new Set([
  'password123',
  'password1234',
  '1234567890',
  'qwertyuiop',
  'abc1234567',
  'admin12345',
  'admin123456',
  'iloveyou12',
  '11111111111',
  'a123456789',
  'woaini1314',
]);

/**
 * Password rules (NIST SP 800-63B style): long enough, not absurdly long, not the login name, not a well-known
 * password, and mixing at least letters and digits. Throws with the rule broken.
 */
export function checkPassword(password: string, username: string): void {
  const fail = (message: string, reason: string) => {
    throw new InvalidInputError(message, reason, { field: 'password' });
  };
  if (password.length < PASSWORD_MIN_LENGTH)
    fail(`password must have at least ${PASSWORD_MIN_LENGTH} characters`, 'PASSWORD_TOO_SHORT');
  if (password.length > PASSWORD_MAX_LENGTH)
    fail(`password must have at most ${PASSWORD_MAX_LENGTH} characters`, 'PASSWORD_TOO_LONG');
  if (!/\p{L}/u.test(password) || !/\p{N}/u.test(password))
    fail('password must contain letters and digits', 'PASSWORD_TOO_SIMPLE');
  if (password.toLowerCase().includes(username.toLowerCase()))
    fail('password must not contain the username', 'PASSWORD_CONTAINS_USERNAME');
  if (COMMON_PASSWORDS.has(password.toLowerCase()))
    fail('this password is too common', 'PASSWORD_TOO_COMMON');
}

/**
 * Sign-in throttling, without any lock a stranger could trigger. Failures are counted per (username, address)
 * pair, per address across usernames, and per username across addresses; unknown usernames are counted exactly
 * like known ones, so the answers never tell which usernames exist.
 * - a pair gets a few free failures in a row, then waits, doubling with every further failure: that pair alone
 *   is refused (before the password is checked) while the same username from another address is not;
 * - an address gets a budget of failures per window across all usernames (password spraying);
 * - a username gets a much larger budget across all addresses; once it is spent (a distributed guessing attack)
 *   every pair has a single free failure before it waits. This slows the attack and never refuses an address
 *   that has not been failing — the owner of the account still signs in.
 */
export const SIGN_IN_THROTTLE = {
  pairFreeFailures: 3,
  pairFreeFailuresUnderAttack: 1,
  pairWaitSeconds: 5,
  pairWaitMaxSeconds: 900,
  /** a pair's failures are forgotten a day after its last one */
  pairForgetSeconds: 86_400,
  addressFailures: 20,
  addressWindowSeconds: 900,
  usernameFailures: 100,
  usernameWindowSeconds: 3600,
} as const;

/** Failures counted since `since` (the start of the window); `last` is the latest of them. */
export interface FailureCount {
  failures: number;
  since: Date;
  last: Date;
}

export interface SignInCounts {
  pair?: FailureCount;
  address?: FailureCount;
  username?: FailureCount;
}

export type SignInDecision =
  | { allowed: true }
  | { allowed: false; reason: 'TOO_MANY_ATTEMPTS' | 'ADDRESS_THROTTLED'; retryAfterSeconds: number };

const seconds = (s: number) => s * 1000;
const inWindow = (count: FailureCount | undefined, windowSeconds: number, now: Date) =>
  count && now.getTime() < count.since.getTime() + seconds(windowSeconds) ? count.failures : 0;
const pairFailures = (count: FailureCount | undefined, now: Date) =>
  count && now.getTime() < count.last.getTime() + seconds(SIGN_IN_THROTTLE.pairForgetSeconds)
    ? count.failures
    : 0;
const retryAfter = (untilMs: number, now: Date) => Math.max(1, Math.ceil((untilMs - now.getTime()) / 1000));

/** How long a pair waits after its last failure, having failed `failures` times in a row (0: no wait). */
export function pairWaitSeconds(failures: number, underAttack = false): number {
  const free = underAttack ? SIGN_IN_THROTTLE.pairFreeFailuresUnderAttack : SIGN_IN_THROTTLE.pairFreeFailures;
  if (failures < free) return 0;
  const doublings = Math.min(failures - free, 16);
  return Math.min(SIGN_IN_THROTTLE.pairWaitSeconds * 2 ** doublings, SIGN_IN_THROTTLE.pairWaitMaxSeconds);
}

/** Whether a sign-in attempt may go on to the password check, given what was counted so far. */
export function decideSignIn(counts: SignInCounts, now: Date): SignInDecision {
  const address = inWindow(counts.address, SIGN_IN_THROTTLE.addressWindowSeconds, now);
  if (counts.address && address >= SIGN_IN_THROTTLE.addressFailures)
    return {
      allowed: false,
      reason: 'ADDRESS_THROTTLED',
      retryAfterSeconds: retryAfter(
        counts.address.since.getTime() + seconds(SIGN_IN_THROTTLE.addressWindowSeconds),
        now,
      ),
    };
  const underAttack =
    inWindow(counts.username, SIGN_IN_THROTTLE.usernameWindowSeconds, now) >=
    SIGN_IN_THROTTLE.usernameFailures;
  const wait = pairWaitSeconds(pairFailures(counts.pair, now), underAttack);
  const until = counts.pair ? counts.pair.last.getTime() + seconds(wait) : 0;
  if (wait > 0 && until > now.getTime())
    return { allowed: false, reason: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: retryAfter(until, now) };
  return { allowed: true };
}

/**
 * The counts after one more failure at `now`. An attempt is counted as a failure before its password is checked
 * (so that concurrent attempts cannot slip past the count) and taken back when it succeeds.
 */
export function countFailure(counts: SignInCounts, now: Date): Required<SignInCounts> {
  const next = (failures: number, count: FailureCount | undefined): FailureCount =>
    failures > 0 && count
      ? { failures: failures + 1, since: count.since, last: now }
      : { failures: 1, since: now, last: now };
  return {
    pair: next(pairFailures(counts.pair, now), counts.pair),
    address: next(inWindow(counts.address, SIGN_IN_THROTTLE.addressWindowSeconds, now), counts.address),
    username: next(inWindow(counts.username, SIGN_IN_THROTTLE.usernameWindowSeconds, now), counts.username),
  };
}

export function parseGrant(input: { role: string; branchId?: string | null }): Grant {
  if (!isRole(input.role) || input.role === 'INTEGRATION' || input.role === 'MEMBER') {
    throw new InvalidInputError(`role must be one of ${STAFF_ROLES.join(', ')}`, 'INVALID_ROLE', {
      field: 'role',
    });
  }
  return { role: input.role, branchId: input.branchId || null };
}

/**
 * Who may grant or revoke what: HQ admins (ADMIN for the federation) anything; a branch admin (ADMIN of a
 * branch) only roles of that same branch; nobody else.
 */
export function assertMayManageGrant(actor: Principal, grant: Grant): void {
  const admin = actor.grants.filter((g) => g.role === 'ADMIN');
  if (admin.some((g) => g.branchId === null)) return;
  if (grant.branchId && admin.some((g) => g.branchId === grant.branchId)) return;
  throw new ForbiddenError(
    grant.branchId
      ? 'Only HQ admins or admins of that branch union may manage its roles'
      : 'Only HQ admins may manage federation-wide roles',
    'GRANT_OUT_OF_SCOPE',
    { role: grant.role, branchId: grant.branchId },
  );
}

export function isHqAdmin(principal: Principal): boolean {
  return principal.grants.some((g) => g.role === 'ADMIN' && g.branchId === null);
}

/**
 * The branches whose accounts an actor administers: all of them for HQ admins, else those the actor is ADMIN of.
 */
export function administeredBranches(actor: Principal): 'ALL' | string[] {
  if (isHqAdmin(actor)) return 'ALL';
  return actor.grants.filter((g) => g.role === 'ADMIN' && g.branchId).map((g) => g.branchId as string);
}

/**
 * Whether an actor may administer an account holding `grants` — anything about it: its roles, status, password,
 * member link, sessions. HQ admins administer every account. A branch admin only an account wholly within the
 * branches they administer: at least one role, and every role one of such a branch. An account holding an HQ
 * role, a role of another branch, or no role at all is for HQ admins alone.
 */
export function mayAdministerAccount(actor: Principal, grants: readonly Grant[]): boolean {
  const branches = administeredBranches(actor);
  if (branches === 'ALL') return true;
  return (
    branches.length > 0 &&
    grants.length > 0 &&
    grants.every((g) => g.branchId !== null && branches.includes(g.branchId))
  );
}

/**
 * The grants of an account that an actor may see: all of them for HQ admins; for a branch admin, those of the
 * branches they administer, and none at all of an account beyond their reach.
 */
export function visibleGrants(actor: Principal, grants: readonly Grant[]): Grant[] {
  if (!mayAdministerAccount(actor, grants)) return [];
  const branches = administeredBranches(actor);
  return grants.filter((g) => branches === 'ALL' || (g.branchId !== null && branches.includes(g.branchId)));
}

/**
 * The one answer for an account that does not exist and for one beyond the actor's reach: it names no id,
 * username or role, so that "not yours" reads exactly like "not there".
 */
export class AccountNotFoundError extends DomainError {
  readonly kind = 'NOT_FOUND' as const;
  constructor() {
    super('No such account (账号不存在)', 'ACCOUNT_NOT_FOUND');
  }
}
