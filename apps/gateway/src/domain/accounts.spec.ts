import type { Principal } from '@unionfed/auth';
import {
  assertMayManageGrant,
  checkPassword,
  lockSecondsAfter,
  normaliseUsername,
  parseGrant,
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

  it('locks after five failures in a row, doubling up to an hour', () => {
    expect([1, 4, 5, 6, 7, 30].map(lockSecondsAfter)).toEqual([0, 0, 60, 120, 240, 3600]);
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
});
