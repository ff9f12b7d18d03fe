import { ConflictError, InvalidInputError } from '@unionfed/domain-kit';
import { admitMember, checkAdmission, type AdmitMemberInput } from './member';
import { openBranch, joinRate, type Branch } from './structure';

const campus = { id: 'c1', code: 'MAIN', name: '本部校区' };
const branch: Branch = openBranch('b1', campus, {
  code: 'cs',
  name: '计算机学院分工会',
  kind: 'COLLEGE',
  staffHeadcount: 120,
});
const valid: AdmitMemberInput = {
  staffNumber: ' t2024001 ',
  name: ' 李明 ',
  gender: 'MALE',
  category: 'TEACHER',
  birthDate: '1985-06-01',
  joinedOn: '2024-09-01',
};
const ids = { id: 'm1', memberNumber: 'M000001' };

describe('admitting a member (入会)', () => {
  it('admits an active member with a JOINED history entry effective on the join date', () => {
    const { member, history } = admitMember(ids, branch, valid, '2026-11-22');
    expect(member).toMatchObject({
      staffNumber: 'T2024001',
      name: '李明',
      status: 'ACTIVE',
      branchId: 'b1',
      joinedOn: '2024-09-01',
    });
    expect(history).toMatchObject({ change: 'JOINED', effectiveOn: '2024-09-01', branchId: 'b1' });
  });

  it('joins today when no date is given', () => {
    expect(admitMember(ids, branch, { ...valid, joinedOn: undefined }, '2026-11-22').member.joinedOn).toBe(
      '2026-11-22',
    );
  });

  it.each([
    [{ name: '   ' }, 'name'],
    [{ gender: 'X' }, 'gender'],
    [{ category: 'PROFESSOR' }, 'category'],
    [{ staffNumber: 'T 1' }, 'staffNumber'],
    [{ birthDate: '1985-02-30' }, 'birthDate'],
    [{ birthDate: '2015-01-01' }, 'birthDate'],
    [{ joinedOn: '2030-01-01' }, 'joinedOn'],
    [{ email: 'not-an-email' }, 'email'],
    [{ phone: 'abc' }, 'phone'],
  ])('rejects %p naming the field %s', (change, field) => {
    expect.assertions(2);
    try {
      admitMember(ids, branch, { ...valid, ...change } as AdmitMemberInput, '2026-11-22');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).details.field).toBe(field);
    }
  });

  it('refuses members for a branch that was dissolved', () => {
    expect(() => admitMember(ids, { ...branch, status: 'DISSOLVED' }, valid, '2026-11-22')).toThrow(
      ConflictError,
    );
  });
});

describe('every rule an admission breaks, at once (checkAdmission)', () => {
  const problemsOf = (result: ReturnType<typeof checkAdmission>) => {
    if (result.ok) throw new Error('expected problems, the admission was valid');
    return result.problems.map((p) => [p.reason, p.details.field ?? null]);
  };

  it('lists every broken rule with its field, in the order admitMember meets them', () => {
    const result = checkAdmission(
      ids,
      { ...branch, status: 'MERGED' },
      {
        staffNumber: 'T 1',
        name: ' ',
        gender: 'X',
        category: 'PROFESSOR',
        birthDate: '1985-02-30',
        joinedOn: 'last spring',
        phone: 'abc',
        email: 'not-an-email',
      },
      '2026-11-22',
    );
    expect(problemsOf(result)).toEqual([
      ['BRANCH_NOT_ACTIVE', null],
      ['INVALID_DATE', 'joinedOn'],
      ['INVALID_DATE', 'birthDate'],
      ['INVALID_PHONE', 'phone'],
      ['INVALID_EMAIL', 'email'],
      ['INVALID_STAFF_NUMBER', 'staffNumber'],
      ['NAME_REQUIRED', 'name'],
      ['INVALID_GENDER', 'gender'],
      ['INVALID_CATEGORY', 'category'],
    ]);
  });

  it('reports two problems of one input together: a joining date in the future and a bad phone number', () => {
    expect(
      problemsOf(
        checkAdmission(ids, branch, { ...valid, joinedOn: '2030-01-01', phone: 'abc' }, '2026-11-22'),
      ),
    ).toEqual([
      ['JOINED_IN_FUTURE', 'joinedOn'],
      ['INVALID_PHONE', 'phone'],
    ]);
  });

  it('judges the age on the joining day, or on today when that day is not a valid one (the latest it could be)', () => {
    expect(
      problemsOf(
        checkAdmission(
          ids,
          branch,
          { ...valid, birthDate: '2015-01-01', joinedOn: '2030-01-01' },
          '2026-11-22',
        ),
      ),
    ).toEqual([
      ['JOINED_IN_FUTURE', 'joinedOn'],
      ['IMPLAUSIBLE_BIRTH_DATE', 'birthDate'],
    ]);
    expect(
      checkAdmission(ids, branch, { ...valid, birthDate: '1990-01-01', joinedOn: '2010-09-01' }, '2026-11-22')
        .ok,
    ).toBe(true);
    expect(
      problemsOf(
        checkAdmission(
          ids,
          branch,
          { ...valid, birthDate: '2000-01-01', joinedOn: '2010-09-01' },
          '2026-11-22',
        ),
      ),
    ).toEqual([['IMPLAUSIBLE_BIRTH_DATE', 'birthDate']]);
  });

  it('gives the member when no rule is broken, as admitMember does', () => {
    expect(checkAdmission(ids, branch, valid, '2026-11-22')).toEqual({
      ok: true,
      ...admitMember(ids, branch, valid, '2026-11-22'),
    });
  });

  it('is what admitMember refuses with: the first problem, as thrown', () => {
    const input = { ...valid, gender: 'X', phone: 'abc' };
    const [first] = (checkAdmission(ids, branch, input, '2026-11-22') as { problems: Error[] }).problems;
    expect(() => admitMember(ids, branch, input, '2026-11-22')).toThrow(first);
    expect(first).toMatchObject({ reason: 'INVALID_PHONE', details: { field: 'phone' } });
  });
});

describe('join rate (入会率)', () => {
  it('is active members over staff headcount', () => {
    expect(joinRate(114, 120)).toBe(0.95);
  });
  it('is unknown while the headcount is zero', () => {
    expect(joinRate(3, 0)).toBeUndefined();
  });
});
