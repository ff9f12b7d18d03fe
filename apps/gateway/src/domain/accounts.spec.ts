import type { Principal } from '@unionfed/auth';
import {
  assertMayManageGrant,
  checkPassword,
  countFailure,
  decideSignIn,
  mayAdministerAccount,
  normaliseUsername,
  pairWaitSeconds,
  parseGrant,
  SIGN_IN_THROTTLE,
  visibleGrants,
  type SignInCounts,
} from './accounts';

const actor = (grants: Principal['grants']): Principal => ({
  kind: 'user',
  subject: 'a',
  name: 'a',
  grants,
  scopes: [],
});

describe('account rules', () => {
  it.each([
    ['short1', 'PASSWORD_TOO_SHORT'],
    ['onlyletterslong', 'PASSWORD_TOO_SIMPLE'],
    ['12345678901234', 'PASSWORD_TOO_SIMPLE'],
    ['wangfang-2026-x', 'PASSWORD_CONTAINS_USERNAME'],
    ['password123', 'PASSWORD_TOO_COMMON'],
    ['x1'.repeat(65), 'PASSWORD_TOO_LONG'],
  ])('refuses the password %s (%s)', (password, reason) => {
    expect(() => checkPassword(password, 'wangfang')).toThrow(expect.objectContaining({ reason }));
  });

  it('accepts a long password mixing letters and digits, Chinese letters included', () => {
    expect(() => checkPassword('工会之家2026年度', 'wangfang')).not.toThrow();
    expect(() => checkPassword('Tongxin-9527-Gonghui', 'wangfang')).not.toThrow();
  });

  it('normalises usernames to lower case and refuses odd ones', () => {
    expect(normaliseUsername('  Wang.Fang ')).toBe('wang.fang');
    expect(() => normaliseUsername('a')).toThrow(expect.objectContaining({ reason: 'INVALID_USERNAME' }));
    expect(() => normaliseUsername('王芳')).toThrow(expect.objectContaining({ reason: 'INVALID_USERNAME' }));
  });

  it('lets a username and address fail three times in a row for free, then waits 5 s, doubling up to 15 minutes', () => {
    expect([0, 2, 3, 4, 5, 30].map((n) => pairWaitSeconds(n))).toEqual([0, 0, 5, 10, 20, 900]);
    expect([0, 1, 2].map((n) => pairWaitSeconds(n, true))).toEqual([0, 5, 10]);
  });

  it('only grants staff roles', () => {
    expect(parseGrant({ role: 'VIEWER', branchId: 'b' })).toEqual({ role: 'VIEWER', branchId: 'b' });
    for (const role of ['MEMBER', 'INTEGRATION', 'ROOT'])
      expect(() => parseGrant({ role })).toThrow(expect.objectContaining({ reason: 'INVALID_ROLE' }));
  });

  it('lets HQ admins manage any grant and branch admins only their own branch’s', () => {
    const hq = actor([{ role: 'ADMIN', branchId: null }]);
    const branchAdmin = actor([{ role: 'ADMIN', branchId: 'b1' }]);
    const officer = actor([{ role: 'MEMBERSHIP_OFFICER', branchId: null }]);
    expect(() => assertMayManageGrant(hq, { role: 'ADMIN', branchId: null })).not.toThrow();
    expect(() => assertMayManageGrant(branchAdmin, { role: 'VIEWER', branchId: 'b1' })).not.toThrow();
    expect(() => assertMayManageGrant(branchAdmin, { role: 'VIEWER', branchId: 'b2' })).toThrow(
      expect.objectContaining({ kind: 'FORBIDDEN' }),
    );
    expect(() => assertMayManageGrant(branchAdmin, { role: 'VIEWER', branchId: null })).toThrow(
      expect.objectContaining({ kind: 'FORBIDDEN' }),
    );
    expect(() => assertMayManageGrant(officer, { role: 'VIEWER', branchId: 'b1' })).toThrow(
      expect.objectContaining({ kind: 'FORBIDDEN' }),
    );
  });

  describe('sign-in throttling', () => {
    const t0 = new Date('2026-12-01T08:00:00Z');
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    /** the counts after `n` failures of one pair at t0 */
    const failed = (n: number, counts: SignInCounts = {}): SignInCounts => {
      for (let i = 0; i < n; i++) counts = countFailure(counts, t0);
      return counts;
    };

    it('refuses a pair after its free failures until its wait is over, saying when to retry', () => {
      expect(decideSignIn(failed(2), at(0))).toEqual({ allowed: true });
      expect(decideSignIn(failed(3), at(1))).toEqual({
        allowed: false,
        reason: 'TOO_MANY_ATTEMPTS',
        retryAfterSeconds: 4,
      });
      expect(decideSignIn(failed(3), at(5))).toEqual({ allowed: true });
      expect(decideSignIn(failed(4), at(5))).toMatchObject({ allowed: false, retryAfterSeconds: 5 });
    });

    it('forgets a pair’s failures a day after the last one', () => {
      const counts = failed(10);
      expect(decideSignIn(counts, at(SIGN_IN_THROTTLE.pairForgetSeconds))).toEqual({ allowed: true });
      expect(countFailure(counts, at(SIGN_IN_THROTTLE.pairForgetSeconds)).pair.failures).toBe(1);
    });

    it('does not hold one pair’s failures against another pair of the same username', () => {
      const attacker = failed(10);
      // the owner, from an address that has not been failing: the username's and address's counts are theirs
      expect(decideSignIn({ username: attacker.username }, at(1))).toEqual({ allowed: true });
    });

    it('refuses an address that spent its budget across usernames until the window is over', () => {
      const sprayed: SignInCounts = {
        address: { failures: SIGN_IN_THROTTLE.addressFailures, since: t0, last: at(60) },
      };
      expect(decideSignIn(sprayed, at(60))).toEqual({
        allowed: false,
        reason: 'ADDRESS_THROTTLED',
        retryAfterSeconds: SIGN_IN_THROTTLE.addressWindowSeconds - 60,
      });
      expect(decideSignIn(sprayed, at(SIGN_IN_THROTTLE.addressWindowSeconds))).toEqual({ allowed: true });
    });

    it('slows, but never locks, a username whose budget a distributed attack spent: one free failure per address', () => {
      const username = { failures: SIGN_IN_THROTTLE.usernameFailures, since: t0, last: t0 };
      expect(decideSignIn({ username }, at(1))).toEqual({ allowed: true });
      const oneFailure = countFailure({ username }, t0);
      expect(decideSignIn(oneFailure, at(1))).toMatchObject({ allowed: false, reason: 'TOO_MANY_ATTEMPTS' });
      // below the budget the same pair would still have had two free failures
      expect(decideSignIn(countFailure({}, t0), at(1))).toEqual({ allowed: true });
    });

    it('starts a new window once the old one is over', () => {
      const counts = countFailure(
        { address: { failures: 7, since: t0, last: t0 } },
        at(SIGN_IN_THROTTLE.addressWindowSeconds + 1),
      );
      expect(counts.address).toEqual({
        failures: 1,
        since: at(SIGN_IN_THROTTLE.addressWindowSeconds + 1),
        last: at(SIGN_IN_THROTTLE.addressWindowSeconds + 1),
      });
    });
  });

  describe('who administers an account', () => {
    const hq = actor([{ role: 'ADMIN', branchId: null }]);
    const xAdmin = actor([{ role: 'ADMIN', branchId: 'x' }]);
    const xViewer = { role: 'VIEWER' as const, branchId: 'x' };

    it('lets a branch admin administer only an account wholly within their branch', () => {
      expect(mayAdministerAccount(xAdmin, [xViewer, { role: 'ADMIN', branchId: 'x' }])).toBe(true);
      expect(mayAdministerAccount(xAdmin, [{ role: 'MEMBERSHIP_OFFICER', branchId: 'y' }])).toBe(false);
      expect(mayAdministerAccount(xAdmin, [{ role: 'ADMIN', branchId: null }])).toBe(false);
      expect(mayAdministerAccount(xAdmin, [xViewer, { role: 'FINANCE_CASHIER', branchId: 'y' }])).toBe(false);
      expect(mayAdministerAccount(xAdmin, [xViewer, { role: 'VIEWER', branchId: null }])).toBe(false);
      expect(mayAdministerAccount(xAdmin, [])).toBe(false);
    });

    it('lets HQ admins administer every account, and nobody else any', () => {
      expect(mayAdministerAccount(hq, [{ role: 'FINANCE_CASHIER', branchId: 'y' }])).toBe(true);
      expect(mayAdministerAccount(hq, [])).toBe(true);
      expect(mayAdministerAccount(actor([{ role: 'VIEWER', branchId: 'x' }]), [xViewer])).toBe(false);
    });

    it('shows a branch admin no grant of an account beyond their branch', () => {
      const mixed = [xViewer, { role: 'FINANCE_CASHIER' as const, branchId: 'y' }];
      expect(visibleGrants(xAdmin, mixed)).toEqual([]);
      expect(visibleGrants(xAdmin, [xViewer])).toEqual([xViewer]);
      expect(visibleGrants(hq, mixed)).toEqual(mixed);
    });
  });
});
