import {
  graphqlData,
  queryDatabase,
  seedDemoAccounts,
  seedDemoFederation,
  signIn,
  startTestPlatform,
  type TestPlatform,
} from '@unionfed/platform';
import { eventually, testInfrastructure } from '@unionfed/testing';

describe('the demo federation `npm start` seeds (through the gateway, separate processes)', () => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform(testInfrastructure());
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('seeds campuses, branch unions, members, union groups and committees once, through the real write path, and every service follows', async () => {
    expect(await seedDemoFederation(t.gatewayUrl, t.admin.headers)).toBe(true);
    const data = await graphqlData<{
      campuses: { name: string }[];
      branches: { name: string; joinRate: number | null; staffHeadcount: number; activeMembers: number }[];
      members: { totalCount: number; edges: { node: { name: string } }[] };
    }>(
      t.gatewayUrl,
      '{ campuses { name } branches { name joinRate staffHeadcount activeMembers } members(first: 5) { totalCount edges { node { name } } } }',
      {},
      t.admin.headers,
    );
    expect(data.campuses.map((c) => c.name)).toEqual(
      expect.arrayContaining(['本部校区', '东湖校区', '南山校区']),
    );
    expect(data.branches).toHaveLength(10);
    for (const branch of data.branches) {
      expect(branch.name).toMatch(/分工会$/);
      expect(branch.joinRate).toBeGreaterThanOrEqual(0.8);
      expect(branch.joinRate).toBeLessThanOrEqual(1);
    }
    const total = data.members.totalCount;
    expect(total).toBe(data.branches.reduce((sum, b) => sum + b.activeMembers, 0));
    expect(total).toBeGreaterThan(250);
    for (const { node } of data.members.edges) expect(node.name).toMatch(/^[\u4e00-\u9fff]{2,3}$/);

    // every member reaches every other service's directory (counted by id: the test broker outlives runs)
    const ids = (
      await queryDatabase<{ id: string }>(t.databaseUrl('membership'), 'SELECT id FROM member')
    ).map((r) => r.id);
    expect(ids).toHaveLength(total);
    await eventually(
      async () => {
        for (const service of ['finance', 'congress', 'activities', 'welfare'] as const) {
          const [row] = await queryDatabase<{ n: string }>(
            t.databaseUrl(service),
            `SELECT count(*) AS n FROM member_directory WHERE member_id = ANY($1::uuid[]) AND status = 'ACTIVE'`,
            [ids],
          );
          expect({ service, members: Number(row.n) }).toEqual({ service, members: total });
        }
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    // below every branch: 工会小组 with a 组长 each and every member in one, and a committee of 主席, 女工委员, 经审委员
    const { branches: structure } = await graphqlData<{
      branches: {
        code: string;
        activeMembers: number;
        unionGroups: { id: string; memberCount: number; leader: { group: { id: string } | null } | null }[];
        committee: { role: string; member: { id: string; gender: string } | null }[];
      }[];
    }>(
      t.gatewayUrl,
      '{ branches { code activeMembers unionGroups { id memberCount leader { group { id } } } committee { role member { id gender } } } }',
      {},
      t.admin.headers,
    );
    for (const branch of structure) {
      expect({ branch: branch.code, groups: branch.unionGroups.length >= 2 }).toEqual({
        branch: branch.code,
        groups: true,
      });
      for (const group of branch.unionGroups) expect(group.leader?.group?.id).toBe(group.id);
      expect(branch.unionGroups.reduce((sum, g) => sum + g.memberCount, 0)).toBe(branch.activeMembers);
      const seats = branch.committee.filter((a) => a.role !== 'GROUP_LEADER');
      expect(seats.map((a) => a.role)).toEqual(['CHAIR', 'WOMEN_COMMITTEE', 'AUDIT_COMMITTEE']);
      expect(seats[1].member?.gender).toBe('FEMALE');
      expect(new Set(seats.map((a) => a.member?.id)).size).toBe(3);
      expect(branch.committee.filter((a) => a.role === 'GROUP_LEADER')).toHaveLength(
        branch.unionGroups.length,
      );
    }
    const groupIds = structure.flatMap((b) => b.unionGroups.map((g) => g.id));
    const appointmentIds = (
      await queryDatabase<{ id: string }>(t.databaseUrl('membership'), 'SELECT id FROM committee_appointment')
    ).map((r) => r.id);
    expect(appointmentIds).toHaveLength(groupIds.length + 3 * structure.length);
    // every other service follows the groups and committees too (teams, approvals)
    await eventually(
      async () => {
        for (const service of ['finance', 'congress', 'activities', 'welfare'] as const) {
          const [row] = await queryDatabase<{ grouped: string; groups: string; seats: string }>(
            t.databaseUrl(service),
            `SELECT (SELECT count(*) FROM member_directory WHERE member_id = ANY($1::uuid[]) AND group_id IS NOT NULL) AS grouped,
                    (SELECT count(*) FROM union_group_directory WHERE group_id = ANY($2::uuid[]) AND leader_member_id IS NOT NULL) AS groups,
                    (SELECT count(*) FROM committee_directory WHERE appointment_id = ANY($3::uuid[])) AS seats`,
            [ids, groupIds, appointmentIds],
          );
          expect({ service, ...row }).toEqual({
            service,
            grouped: String(total),
            groups: String(groupIds.length),
            seats: String(appointmentIds.length),
          });
        }
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );

    // the federation's composition adds up (会员结构), and the greeting list answers
    const { membershipStatistics: stats, upcomingBirthdays } = await graphqlData<{
      membershipStatistics: {
        scope: string;
        activeMembers: number;
        joinRate: number;
        byGender: { count: number }[];
        byAgeBand: { count: number }[];
      };
      upcomingBirthdays: { member: { status: string }; turning: number }[];
    }>(
      t.gatewayUrl,
      '{ membershipStatistics { scope activeMembers joinRate byGender { count } byAgeBand { count } } upcomingBirthdays(days: 31) { member { status } turning } }',
      {},
      t.admin.headers,
    );
    expect(stats.scope).toBe('FEDERATION');
    expect(stats.activeMembers).toBe(total);
    expect(stats.byGender.reduce((sum, g) => sum + g.count, 0)).toBe(total);
    expect(stats.byAgeBand.reduce((sum, g) => sum + g.count, 0)).toBe(total);
    expect(stats.joinRate).toBeGreaterThan(0.8);
    expect(upcomingBirthdays.length).toBeGreaterThan(0);
    for (const birthday of upcomingBirthdays) expect(birthday.member.status).toBe('ACTIVE');

    // a second start finds the federation there and seeds nothing
    expect(await seedDemoFederation(t.gatewayUrl, t.admin.headers)).toBe(false);
  });

  it("makes the demo's staff accounts once, each with a one-time password and the roles of its branch", async () => {
    const made = await seedDemoAccounts(t.gatewayUrl, t.admin.headers);
    expect(made.map((account) => account.username)).toEqual(['cs-officer', 'cs-admin', 'hq-viewer']);
    expect(await seedDemoAccounts(t.gatewayUrl, t.admin.headers)).toEqual([]);
    const { accounts, branches } = await graphqlData<{
      accounts: {
        username: string;
        mustChangePassword: boolean;
        grants: { role: string; branchId: string | null }[];
      }[];
      branches: { id: string; code: string }[];
    }>(
      t.gatewayUrl,
      '{ accounts { username mustChangePassword grants { role branchId } } branches { id code } }',
      {},
      t.admin.headers,
    );
    const cs = branches.find((branch) => branch.code === 'CS')!.id;
    const grantsOf = (username: string) => accounts.find((account) => account.username === username);
    expect(grantsOf('cs-officer')).toEqual({
      username: 'cs-officer',
      mustChangePassword: true,
      grants: [{ role: 'MEMBERSHIP_OFFICER', branchId: cs }],
    });
    expect(grantsOf('cs-admin')?.grants).toEqual([{ role: 'ADMIN', branchId: cs }]);
    expect(grantsOf('hq-viewer')?.grants).toEqual([{ role: 'VIEWER', branchId: null }]);
    const officer = made.find((account) => account.username === 'cs-officer')!;
    await expect(signIn(t.gatewayUrl, 'cs-officer', officer.oneTimePassword)).resolves.toMatchObject({
      accountId: expect.any(String),
    });
  });
});
