import {
  assertHasNotLeft,
  assertMayOpenAccount,
  hasLeft,
  isMemberAccount,
  memberUsername,
  planMemberAccounts,
  type DirectoryMember,
} from './member-accounts';

const member = (staffNumber: string | null, status = 'ACTIVE'): DirectoryMember => ({
  id: `id-${staffNumber}`,
  branchId: 'branch',
  staffNumber,
  name: '会员',
  status,
});

describe('member accounts', () => {
  it('names a member’s account after their staff number in lower case', () => {
    expect(memberUsername('T2019001')).toBe('t2019001');
    expect(memberUsername('JS-0042')).toBe('js-0042');
  });

  it('gives no username for a staff number that cannot be one', () => {
    expect(memberUsername('7')).toBeUndefined();
    expect(memberUsername('12')).toBeUndefined();
    expect(memberUsername(null)).toBeUndefined();
  });

  it('opens an account only for an active member, and resets none of one who has left', () => {
    expect(() => assertMayOpenAccount(member('T1'))).not.toThrow();
    for (const status of ['RETIRED', 'WITHDRAWN', 'DECEASED', 'TRANSFERRED_OUT'])
      expect(() => assertMayOpenAccount(member('T1', status))).toThrow(
        expect.objectContaining({ kind: 'CONFLICT', reason: 'MEMBER_NOT_ACTIVE' }),
      );
    // a retiree stays a member and keeps their account
    expect(() => assertHasNotLeft(member('T1', 'RETIRED'))).not.toThrow();
    expect(() => assertHasNotLeft(member('T1', 'WITHDRAWN'))).toThrow(
      expect.objectContaining({ kind: 'CONFLICT', reason: 'MEMBER_HAS_LEFT' }),
    );
  });

  it('counts withdrawn, deceased and transferred-out members as gone, retirees and the unknown not', () => {
    expect(['WITHDRAWN', 'DECEASED', 'TRANSFERRED_OUT'].map(hasLeft)).toEqual([true, true, true]);
    expect(['ACTIVE', 'RETIRED'].map(hasLeft)).toEqual([false, false]);
    expect(hasLeft(undefined)).toBe(false);
  });

  it('treats an account with no staff role as the member’s own', () => {
    expect(isMemberAccount([])).toBe(true);
    expect(isMemberAccount([{ role: 'VIEWER', branchId: 'b' }])).toBe(false);
  });

  it('plans one account per member and skips those whose username cannot be had, with the reason', () => {
    const members = [member('T1001'), member('12'), member('T1002'), member('t1002'), member('T1003')];
    const plan = planMemberAccounts(members, new Set(['t1003']));
    expect(plan.create.map((c) => c.username)).toEqual(['t1001', 't1002']);
    expect(plan.skip.map((s) => [s.member.staffNumber, s.reason])).toEqual([
      ['12', 'NO_USABLE_USERNAME'],
      ['t1002', 'USERNAME_TAKEN'],
      ['T1003', 'USERNAME_TAKEN'],
    ]);
  });
});
