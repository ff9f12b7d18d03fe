import { ConflictError, InvalidInputError } from '@unionfed/domain-kit';
import { admitMember, changeStatus, transfer } from './member';
import { openBranch, type Branch } from './structure';

const campus = { id: 'c1', code: 'MAIN', name: '本部校区' };
const from: Branch = openBranch('b1', campus, {
  code: 'cs',
  name: '计算机学院分工会',
  kind: 'COLLEGE',
  staffHeadcount: 80,
});
const to: Branch = openBranch('b2', campus, {
  code: 'math',
  name: '数学学院分工会',
  kind: 'COLLEGE',
  staffHeadcount: 60,
});
const today = '2026-11-22';
const { member } = admitMember(
  { id: 'm1', memberNumber: 'M000001' },
  from,
  { staffNumber: 'T1', name: '张伟', gender: 'MALE', category: 'TEACHER', joinedOn: '2010-09-01' },
  today,
);

describe('a member’s lifecycle (会员档案)', () => {
  it('retires an active member, effective on the given date', () => {
    const { member: retired, history } = changeStatus(
      member,
      'RETIRED',
      { effectiveOn: '2026-07-01' },
      today,
    );
    expect(retired.status).toBe('RETIRED');
    expect(history).toMatchObject({ change: 'RETIRED', effectiveOn: '2026-07-01', branchId: 'b1' });
  });

  it('lets a retiree withdraw, keeping the reason in the history', () => {
    const { member: retired } = changeStatus(member, 'RETIRED', {}, today);
    const { member: withdrawn, history } = changeStatus(retired, 'WITHDRAWN', { reason: '本人申请' }, today);
    expect(withdrawn.status).toBe('WITHDRAWN');
    expect(history.details).toEqual({ reason: '本人申请' });
  });

  it('refuses to change a record that has ended', () => {
    const { member: deceased } = changeStatus(member, 'DECEASED', {}, today);
    expect(() => changeStatus(deceased, 'RETIRED', {}, today)).toThrow(ConflictError);
    expect(() => transfer(deceased, to, {}, today)).toThrow(ConflictError);
  });

  it.each([
    ['2027-01-01', 'EFFECTIVE_IN_FUTURE'],
    ['2009-01-01', 'EFFECTIVE_BEFORE_JOINING'],
    ['2026-02-30', 'INVALID_DATE'],
  ])('rejects the effective date %s (%s)', (effectiveOn, reason) => {
    expect(() => changeStatus(member, 'RETIRED', { effectiveOn }, today)).toThrow(
      expect.objectContaining({ reason }),
    );
  });

  it('transfers to another active branch and records where from', () => {
    const { member: moved, history } = transfer(member, to, { effectiveOn: '2025-03-01' }, today);
    expect(moved).toMatchObject({ branchId: 'b2', status: 'ACTIVE' });
    expect(history).toMatchObject({ change: 'TRANSFERRED', branchId: 'b2', details: { fromBranchId: 'b1' } });
  });

  it('refuses a transfer to the same branch or to a dissolved one', () => {
    expect(() => transfer(member, from, {}, today)).toThrow(InvalidInputError);
    expect(() => transfer(member, { ...to, status: 'DISSOLVED' }, {}, today)).toThrow(ConflictError);
  });
});
