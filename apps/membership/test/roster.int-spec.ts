import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { MembershipRepository } from '../src/infrastructure/membership.repository';
import { Reach } from '@unionfed/auth';
import { rosterCriteria, type RosterCriteria, type RosterInput } from '../src/domain/roster';
import type { Member } from '../src/domain/member';

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

  describe('every filter within every reach, page by page, as a plain reading of the table says', () => {
    /** the roster's rules applied in JavaScript to every member: the reference the SQL must match */
    const expected = (all: Member[], c: RosterCriteria, reach: Reach) =>
      all
        .filter((m) => reach.includesMember(m.id, m.branchId))
        .filter((m) => !c.branchId || m.branchId === c.branchId)
        .filter((m) => !c.groupId || m.groupId === c.groupId)
        .filter((m) => !c.status || m.status === c.status)
        .filter((m) => !c.category || m.category === c.category)
        .filter((m) => !c.gender || m.gender === c.gender)
        .filter((m) => !c.bornAfter || (m.birthDate !== undefined && m.birthDate > c.bornAfter))
        .filter((m) => !c.bornOnOrBefore || (m.birthDate !== undefined && m.birthDate <= c.bornOnOrBefore))
        .filter((m) => !c.joinedFrom || m.joinedOn >= c.joinedFrom)
        .filter((m) => !c.joinedTo || m.joinedOn <= c.joinedTo)
        .filter(
          (m) =>
            !c.birthMonth || (m.birthDate !== undefined && Number(m.birthDate.slice(5, 7)) === c.birthMonth),
        )
        .sort((a, b) => (a.id < b.id ? -1 : 1));

    it('returns the same members in admission order, the same count, and each row with its branch', async () => {
      const ids: string[] = (await database.dataSource.query(`SELECT id FROM member ORDER BY id`)).map(
        (r: { id: string }) => r.id,
      );
      const all = await Promise.all(ids.map(async (id) => (await repository.findMember(id))!));
      // the branches as the repository reads them one by one (without their creation time, which the roster omits)
      const branches = new Map(
        (await repository.listBranches()).map((b) => [
          b.id,
          Object.fromEntries(Object.entries(b).filter(([key]) => key !== 'createdAt')),
        ]),
      );
      const [self] = all.filter((m) => m.branchId === cs);
      const filters: RosterInput[] = [
        {},
        { branchId: cs },
        { branchId: math, status: 'ACTIVE' },
        { branchId: cs, category: 'TEACHER', gender: 'FEMALE' },
        { category: 'MANAGEMENT', gender: 'FEMALE' },
        { status: 'RETIRED' },
        { ageBand: 'UNDER_35' },
        { ageBand: 'FROM_35_TO_44' },
        { ageBand: 'FROM_55', status: 'ACTIVE' },
        { joinedFrom: '2005-09-01', joinedTo: '2015-03-01' },
        { joinedFrom: '2016-01-01' },
        { birthMonth: 11 },
        { birthMonth: 2, status: 'ACTIVE' },
        { groupId: '0193a9b2-0000-7000-8000-000000000000' },
        { groupId: 'not-a-uuid' },
      ];
      const reaches = [
        Reach.EVERYTHING,
        Reach.of([math]),
        Reach.of([], self.id),
        Reach.of([math], self.id),
        Reach.NOTHING,
      ];
      for (const filter of filters) {
        const criteria = rosterCriteria(filter, today);
        for (const reach of reaches) {
          const want = expected(all, criteria, reach);
          const label = JSON.stringify({
            filter,
            reach: reach.all ? 'all' : [...reach.branchIds, reach.ownMemberId],
          });
          // pages of 2 through the cursor, with the count and the branches as the GraphQL roster asks for them
          const seen: Member[] = [];
          for (let after: string | undefined, page = 0; page < 10; page++) {
            const result = await repository.roster(criteria, 2, after, reach, {
              count: true,
              branches: true,
            });
            expect({ label, totalCount: result.totalCount }).toEqual({ label, totalCount: want.length });
            for (const member of result.rows) {
              expect({ label, branch: result.branches?.get(member.branchId) }).toEqual({
                label,
                branch: branches.get(member.branchId),
              });
            }
            seen.push(...result.rows.slice(0, 2));
            if (result.rows.length <= 2) break;
            after = result.rows[1].id;
          }
          expect({ label, members: seen }).toEqual({ label, members: want });
          // without the count (e.g. the export), the same rows and no count
          const uncounted = await repository.roster(criteria, 100, undefined, reach, { count: false });
          expect({ label, rows: uncounted.rows, totalCount: uncounted.totalCount }).toEqual({
            label,
            rows: want,
            totalCount: undefined,
          });
          expect({ label, count: await repository.rosterCount(criteria, reach) }).toEqual({
            label,
            count: want.length,
          });
        }
      }
    });

    it('still counts on a page after the last member', async () => {
      const [last] = (await database.dataSource.query(`SELECT id FROM member ORDER BY id DESC LIMIT 1`)) as {
        id: string;
      }[];
      const page = await repository.roster(rosterCriteria({}, today), 20, last.id, Reach.EVERYTHING);
      expect(page.rows).toEqual([]);
      expect(page.totalCount).toBe(5);
    });
  });
});
