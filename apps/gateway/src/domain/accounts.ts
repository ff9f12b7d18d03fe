import { ForbiddenError, InvalidInputError } from '@unionfed/domain-kit';
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

/** Repeated failures lock the account for a while; many failures from one address throttle that address. */
export const LOCKOUT = {
  /** failed logins in a row after which the account is locked */
  accountFailures: 5,
  /** how long, doubling with every further lock-out, up to the maximum */
  accountLockSeconds: 60,
  accountLockMaxSeconds: 3600,
  /** failed logins per address per window */
  addressFailures: 20,
  addressWindowSeconds: 900,
} as const;

/** How long an account is locked after `failures` failed logins in a row (0 = not locked). */
export function lockSecondsAfter(failures: number): number {
  if (failures < LOCKOUT.accountFailures) return 0;
  const doublings = failures - LOCKOUT.accountFailures;
  return Math.min(LOCKOUT.accountLockSeconds * 2 ** Math.min(doublings, 16), LOCKOUT.accountLockMaxSeconds);
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
