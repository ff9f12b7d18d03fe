import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { MembershipRepository } from '../src/infrastructure/membership.repository';
import { Reach } from '@unionfed/auth';
import { rosterCriteria } from '../src/domain/roster';

describe('roster queries and statistics (real PostgreSQL)', () => {
  let database: MembershipDatabase;
  let repository: MembershipRepository;
  let cs: string;
  let math: string;
  const today = '2026-11-22';
  const names = async (input: Parameters<typeof rosterCriteria>[0], reach = Reach.EVERYTHING) =>
    (await repository.roster(rosterCriteria(input, today), 100, undefined, reach)).rows
      .map((m) => m.name)
      .sort();

  beforeAll(async () => {
    database = await membershipDatabase('roster');
    ({ repository } = database);
    const { commands } = database;
    const campus = await commands.openCampus({ code: 'main', name: '本部校区' });
    cs = (
      await commands.openBranch({
        campusId: campus.id,
        code: 'cs',
        name: '计算机学院分工会',
        kind: 'COLLEGE',
        staffHeadcount: 10,
      })
    ).id;
    math = (
      await commands.openBranch({
        campusId: campus.id,
        code: 'math',
        name: '数学学院分工会',
        kind: 'COLLEGE',
        staffHeadcount: 5,
      })
    ).id;
    const admit = (
      branchId: string,
      name: string,
      gender: string,
      category: string,
      birthDate: string,
      joinedOn: string,
    ) =>
      commands.admitMember({
        branchId,
        staffNumber: `S-${name.codePointAt(0)}-${name.length}`,
        name,
        gender,
        category,
        birthDate,
        joinedOn,
      });
    await admit(cs, '赵青年', 'FEMALE', 'TEACHER', '1995-11-25', '2020-09-01'); // 30, birthday in 3 days
    await admit(cs, '钱中年', 'MALE', 'TEACHER', '1980-11-22', '2005-09-01'); // 46 today
    await admit(cs, '孙管理', 'FEMALE', 'MANAGEMENT', '1970-03-08', '1995-09-01'); // 56
    const retiree = await admit(math, '李退休', 'MALE', 'SUPPORT', '1962-12-01', '1990-09-01');
    await admit(math, '周合同', 'FEMALE', 'CONTRACT', '1988-02-29', '2015-03-01'); // leap-day birthday
    await commands.changeStatus(retiree.id, 'RETIRED', { effectiveOn: '2022-12-01' });
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('filters the roster by branch, gender, category, status and join date', async () => {
    expect(await names({ branchId: cs, gender: 'FEMALE' })).toEqual(['孙管理', '赵青年']);
    expect(await names({ category: 'TEACHER' })).toEqual(['赵青年', '钱中年']);
    expect(await names({ status: 'RETIRED' })).toEqual(['李退休']);
    expect(await names({ joinedFrom: '2005-09-01', joinedTo: '2015-03-01' })).toEqual(['周合同', '钱中年']);
  });

  it('filters by age band as of today and by birthday month', async () => {
    expect(await names({ ageBand: 'UNDER_35' })).toEqual(['赵青年']);
    expect(await names({ ageBand: 'FROM_45_TO_54' })).toEqual(['钱中年']);
    expect(await names({ ageBand: 'FROM_55' })).toEqual(['孙管理', '李退休']);
    expect(await names({ birthMonth: 11 })).toEqual(['赵青年', '钱中年']);
  });

  it('counts the composition of the active membership per branch and for the federation', async () => {
    const federation = await repository.statistics(undefined, today);
    expect(federation).toMatchObject({ staffHeadcount: 15, activeMembers: 4, retirees: 1 });
    expect(federation.byGender).toEqual(
      expect.arrayContaining([
        { key: 'FEMALE', count: 3 },
        { key: 'MALE', count: 1 },
      ]),
    );
    expect(federation.byAgeBand).toEqual(
      expect.arrayContaining([
        { key: 'UNDER_35', count: 1 },
        { key: 'FROM_35_TO_44', count: 1 },
        { key: 'FROM_45_TO_54', count: 1 },
        { key: 'FROM_55', count: 1 },
      ]),
    );
    const math_ = await repository.statistics(math, today);
    expect(math_).toMatchObject({
      staffHeadcount: 5,
      activeMembers: 1,
      retirees: 1,
      byCategory: [{ key: 'CONTRACT', count: 1 }],
    });
  });

  it('lists upcoming birthdays of active members, today included, soonest first', async () => {
    const soon = await repository.upcomingBirthdays(today, 7, undefined, Reach.EVERYTHING);
    expect(soon.map((b) => [b.member.name, b.date, b.turning])).toEqual([
      ['钱中年', '2026-11-22', 46],
      ['赵青年', '2026-11-25', 31],
    ]);
    // a leap-day birthday is greeted on 28 February in a common year; retirees are not on the list
    const spring = await repository.upcomingBirthdays('2027-02-20', 10, undefined, Reach.EVERYTHING);
    expect(spring.map((b) => [b.member.name, b.date])).toEqual([['周合同', '2027-02-28']]);
  });

  it("narrows the roster and the birthday list to the caller's reach in the query itself", async () => {
    expect(await names({}, Reach.of([math]))).toEqual(['周合同', '李退休']);
    expect(await names({ category: 'TEACHER' }, Reach.of([math]))).toEqual([]);
    const self = (await repository.findMemberByStaffNumber(`S-${'赵'.codePointAt(0)}-3`))!;
    expect(await names({}, Reach.of([], self.id))).toEqual(['赵青年']);
    expect(await names({}, Reach.NOTHING)).toEqual([]);
    const page = await repository.roster(rosterCriteria({}, today), 1, undefined, Reach.of([math]));
    expect(page.totalCount).toBe(2);
    const birthdays = await repository.upcomingBirthdays(today, 7, undefined, Reach.of([math]));
    expect(birthdays).toEqual([]);
  });
});
