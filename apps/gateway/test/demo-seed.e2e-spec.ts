import {
  graphqlData,
  queryDatabase,
  seedDemoFederation,
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

  it('seeds campuses, branch unions and members once, through the real write path, and every service follows', async () => {
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
});
