import { ConflictError, InvalidInputError } from '@unionfed/domain-kit';
import { admitMember, changeStatus, type Member, type MemberHistoryEntry } from './member';
import { correctProfile, reinstate, statusBeforeWithdrawal } from './member-record';
import { openBranch, type Branch } from './structure';

const campus = { id: 'c1', code: 'MAIN', name: '本部校区' };
const cs: Branch = openBranch('b1', campus, {
  code: 'cs',
  name: '计算机学院分工会',
  kind: 'COLLEGE',
  staffHeadcount: 80,
});
const math: Branch = openBranch('b2', campus, {
  code: 'math',
  name: '数学学院分工会',
  kind: 'COLLEGE',
  staffHeadcount: 60,
});
const today = '2026-11-22';
const { member } = admitMember(
  { id: 'm1', memberNumber: 'M000001' },
  cs,
  {
    staffNumber: 'T1',
    name: '张伟',
    gender: 'MALE',
    category: 'TEACHER',
    title: '讲师',
    phone: '13800000000',
    birthDate: '1980-05-05',
    joinedOn: '2010-09-01',
  },
  today,
);

let seq = 0;
/** history entries in the order they were recorded (ids ordered like UUIDv7s) */
const entry = (
  change: MemberHistoryEntry['change'],
  effectiveOn: string,
  details = {},
): MemberHistoryEntry => ({
  id: `0190-${String(++seq).padStart(4, '0')}`,
  memberId: 'm1',
  change,
  branchId: 'b1',
  effectiveOn,
  details,
});

describe('correcting a member’s profile (更正会员信息)', () => {
  it('changes the fields given, keeps the rest, and records before and after', () => {
    const corrected = correctProfile(member, { name: ' 张玮 ', title: null, reason: '录入错误' }, today)!;
    expect(corrected.member).toEqual({ ...member, name: '张玮', title: undefined });
    expect(corrected.changed).toEqual(['name', 'title']);
    expect(corrected.history).toEqual({
      memberId: 'm1',
      change: 'PROFILE_UPDATED',
      branchId: 'b1',
      effectiveOn: today,
      details: {
        fields: 'name,title',
        correction: true,
        before: { name: '张伟', title: '讲师' },
        after: { name: '张玮', title: null },
        reason: '录入错误',
      },
    });
  });

  it('records personal data as changed, never by value', () => {
    const corrected = correctProfile(member, { phone: '13900000000', birthDate: '1981-05-05' }, today)!;
    expect(corrected.member).toMatchObject({ phone: '13900000000', birthDate: '1981-05-05' });
    expect(corrected.history.details).toEqual({
      fields: 'birthDate,phone',
      correction: true,
      before: {},
      after: {},
    });
  });

  it('normalises as admission does and changes nothing when the values are the same', () => {
    expect(
      correctProfile(member, { staffNumber: ' t1 ', name: '张伟', gender: 'MALE' }, today),
    ).toBeUndefined();
    expect(correctProfile(member, {}, today)).toBeUndefined();
    expect(correctProfile(member, { staffNumber: 't2' }, today)?.member.staffNumber).toBe('T2');
  });

  it('corrects a record whatever its status (a retiree’s, a deceased member’s)', () => {
    const { member: deceased } = changeStatus(member, 'DECEASED', {}, today);
    expect(correctProfile(deceased, { name: '张玮' }, today)?.member).toMatchObject({
      name: '张玮',
      status: 'DECEASED',
    });
  });

  it.each([
    [{ name: null }, 'FIELD_REQUIRED', 'name'],
    [{ name: '  ' }, 'FIELD_REQUIRED', 'name'],
    [{ gender: null }, 'FIELD_REQUIRED', 'gender'],
    [{ staffNumber: null }, 'FIELD_REQUIRED', 'staffNumber'],
    [{ gender: 'X' }, 'INVALID_GENDER', 'gender'],
    [{ category: 'PROFESSOR' }, 'INVALID_CATEGORY', 'category'],
    [{ staffNumber: 'T 1' }, 'INVALID_STAFF_NUMBER', 'staffNumber'],
    [{ name: '张'.repeat(51) }, 'NAME_TOO_LONG', 'name'],
    [{ birthDate: '2000-02-30' }, 'INVALID_DATE', 'birthDate'],
    // younger than 16 on the day they joined (2010-09-01): admission's rule
    [{ birthDate: '1999-01-01' }, 'IMPLAUSIBLE_BIRTH_DATE', 'birthDate'],
    [{ phone: 'abc' }, 'INVALID_PHONE', 'phone'],
    [{ email: 'nope' }, 'INVALID_EMAIL', 'email'],
  ])('refuses %p (%s) by admission’s rules, naming the field', (correction, reason, field) => {
    expect.assertions(2);
    try {
      correctProfile(member, correction, today);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ reason, details: { field } });
    }
  });
});

describe('reinstating a member who withdrew (重新入会)', () => {
  const withdrawn: Member = { ...member, status: 'WITHDRAWN', groupId: 'g1' };
  const history = [entry('JOINED', '2010-09-01'), entry('WITHDRAWN', '2024-03-01', { reason: '调离' })];

  it('makes them active again in their branch, in no group, from a day after they withdrew', () => {
    const back = reinstate(withdrawn, history, cs, { effectiveOn: '2026-09-01', reason: '调回' }, today);
    expect(back.member).toEqual({ ...member, status: 'ACTIVE', groupId: undefined });
    expect(back.history).toEqual({
      memberId: 'm1',
      change: 'REINSTATED',
      branchId: 'b1',
      effectiveOn: '2026-09-01',
      details: { status: 'ACTIVE', fromGroupId: 'g1', reason: '调回' },
    });
    expect(back.fromBranchId).toBeUndefined();
  });

  it('rejoins another branch when one is named, recording the branch they left', () => {
    const back = reinstate(withdrawn, history, math, {}, today);
    expect(back.member).toMatchObject({ branchId: 'b2', status: 'ACTIVE' });
    expect(back.history).toMatchObject({
      branchId: 'b2',
      effectiveOn: today,
      details: { fromBranchId: 'b1' },
    });
    expect(back.fromBranchId).toBe('b1');
  });

  it('gives a retiree who left their RETIRED status back', () => {
    const retiree = [
      entry('JOINED', '2010-09-01'),
      entry('RETIRED', '2025-07-01'),
      entry('WITHDRAWN', '2026-01-01'),
    ];
    expect(statusBeforeWithdrawal(retiree)).toBe('RETIRED');
    expect(reinstate(withdrawn, retiree, cs, {}, today).member.status).toBe('RETIRED');
    // withdrew, rejoined, withdrew again while active: active
    const twice = [
      ...retiree,
      entry('REINSTATED', '2026-02-01', { status: 'ACTIVE' }),
      entry('WITHDRAWN', '2026-03-01'),
    ];
    expect(statusBeforeWithdrawal(twice)).toBe('ACTIVE');
  });

  it.each([
    ['ACTIVE', /still a member/],
    ['RETIRED', /still a member/],
    ['DECEASED', /only a member who withdrew/],
    ['TRANSFERRED_OUT', /only a member who withdrew/],
  ] as const)('refuses to reinstate a member who is %s', (status, message) => {
    expect(() => reinstate({ ...member, status }, history, cs, {}, today)).toThrow(
      expect.objectContaining({ reason: 'MEMBER_STATUS_CONFLICT', message: expect.stringMatching(message) }),
    );
  });

  it('refuses a branch that no longer admits members', () => {
    expect(() => reinstate(withdrawn, history, { ...cs, status: 'MERGED' }, {}, today)).toThrow(
      ConflictError,
    );
  });

  it.each([
    ['2027-01-01', 'EFFECTIVE_IN_FUTURE'],
    ['2024-02-29', 'EFFECTIVE_BEFORE_WITHDRAWAL'],
    ['2026-02-30', 'INVALID_DATE'],
  ])('refuses the effective date %s (%s)', (effectiveOn, reason) => {
    expect(() => reinstate(withdrawn, history, cs, { effectiveOn }, today)).toThrow(
      expect.objectContaining({ reason }),
    );
  });
});
