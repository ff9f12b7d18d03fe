import type { INestApplication } from '@nestjs/common';
import { createTestIssuer, hq, inBranch, type TestIssuer } from '@unionfed/testing';
import type { Grant } from '@unionfed/auth';
import { todayInShanghai } from '@unionfed/domain-kit';
import { uuidv7 } from '@unionfed/persistence';
import {
  EVENT_REGISTRY,
  MembershipEvents,
  type BranchMerged,
  type BranchStaffHeadcountSet,
  type BranchUpdated,
} from '@unionfed/contracts';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';
import type { ServedSubgraph } from '@unionfed/testing';
import { publishToOwnTopic } from './outbox-topic';
import { STRUCTURE_PROVIDERS } from '../src/membership.providers';
import { StructureCommands } from '../src/application/structure.commands';
import { StructureRepository } from '../src/infrastructure/structure.repository';

interface GraphqlResponse {
  data?: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  errors?: { message: string; extensions?: { code?: string; reason?: string; field?: string } }[];
}

const THIS_YEAR = Number(todayInShanghai().slice(0, 4));

const SET = `mutation ($input: SetBranchStaffHeadcountInput!) {
  setBranchStaffHeadcount(input: $input) { id staffHeadcount staffHeadcounts { year staffHeadcount recordedAt } }
}`;
const BRANCH = `query ($id: ID!, $earlier: Int, $before: Int, $first: Int) {
  branch(id: $id) {
    staffHeadcount
    earlier: staffHeadcount(year: $earlier)
    before: staffHeadcount(year: $before)
    first: staffHeadcount(year: $first)
    staffHeadcounts { year staffHeadcount }
    activeMembers
    joinRate
    joinRateDetail { year members staffHeadcount percent exceedsHeadcount }
  }
}`;

/**
 * 教职工总数 counted per year and 入会率 in exact parts, through the membership subgraph as the app serves it (SDL,
 * @access, tokens, error codes) against a real database; the events go through the relay to Kafka. Also: the
 * branches' member counts and headcounts are loaded once per request, not once per branch.
 */
describe('staff headcounts per year and the join rate (real PostgreSQL, Kafka, HTTP)', () => {
  let database: MembershipDatabase;
  let app: INestApplication;
  let issuer: TestIssuer;
  let campusId: string;
  let [x, y] = ['', ''];
  let staffNo = 0;
  let code = 0;

  let served: ServedSubgraph;
  const graphql = async (grants: Grant[], query: string, variables: Record<string, unknown> = {}) =>
    (await served.graphql(grants, query, variables)) as GraphqlResponse;
  const set = (grants: Grant[], branchId: string, year: number, staffHeadcount: number) =>
    graphql(grants, SET, { input: { branchId, year, staffHeadcount } });
  const branch = async (id: string, years: { earlier?: number; before?: number; first?: number } = {}) => {
    const answer = await graphql([hq('VIEWER')], BRANCH, { id, ...years });
    expect(answer.errors).toBeUndefined();
    return answer.data!.branch;
  };
  const open = async (staffHeadcount = 40) =>
    (
      await database.commands.openBranch({
        campusId,
        code: `hc${++code}`,
        name: `第${code}分工会`,
        kind: 'COLLEGE',
        staffHeadcount,
      })
    ).id;
  const admit = (branchId: string) =>
    database.commands.admitMember({
      branchId,
      staffNumber: `HC${++staffNo}`,
      name: `会员${staffNo}`,
      gender: 'FEMALE',
      category: 'TEACHER',
    });
  const stored = (branchId: string) =>
    database.dataSource.query(
      `SELECT year::int, staff_headcount AS "staffHeadcount" FROM branch_staff_headcount WHERE branch_id = $1 ORDER BY year`,
      [branchId],
    );
  const lastSeq = async () =>
    Number((await database.dataSource.query(`SELECT coalesce(max(seq), 0) AS n FROM outbox`))[0].n);
  const eventsSince = async (seq: number): Promise<{ type: string; key: string; message: unknown }[]> =>
    (
      await database.dataSource.query(
        `SELECT event_type, message_key, payload FROM outbox WHERE seq > $1 ORDER BY seq`,
        [seq],
      )
    ).map((r: { event_type: string; message_key: string; payload: Buffer }) => ({
      type: r.event_type,
      key: r.message_key,
      message: EVENT_REGISTRY.decode(r.event_type, r.payload)!.message,
    }));
  const auditRows = (branchId: string) =>
    database.dataSource.query(
      `SELECT action, role, branch_id, before, after, details FROM audit_log
        WHERE entity_id = $1 AND action = 'BRANCH_STAFF_HEADCOUNT_SET' ORDER BY id`,
      [branchId],
    );

  beforeAll(async () => {
    issuer = await createTestIssuer();
    process.env.UNIONFED_JWKS = issuer.env.UNIONFED_JWKS;
    database = await membershipDatabase('headcount_graphql');
    served = await serveMembership(database, issuer, { providers: STRUCTURE_PROVIDERS });
    ({ app } = served);
    campusId = (await database.commands.openCampus({ code: 'main', name: '本部校区' })).id;
    [x, y] = [await open(), await open()];
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    delete process.env.UNIONFED_JWKS;
  });

  it('opens a branch with its headcount counted for this year', async () => {
    expect(await stored(x)).toEqual([{ year: THIS_YEAR, staffHeadcount: 40 }]);
    expect(await branch(x)).toMatchObject({
      staffHeadcount: 40,
      staffHeadcounts: [{ year: THIS_YEAR, staffHeadcount: 40 }],
    });
  });

  it("lets the branch's officer count this year again: the count in effect, BranchStaffHeadcountSet and BranchUpdated, an audit row", async () => {
    const seq = await lastSeq();
    const answer = await set([inBranch('MEMBERSHIP_OFFICER', x)], x, THIS_YEAR, 45);
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.setBranchStaffHeadcount).toMatchObject({
      id: x,
      staffHeadcount: 45,
      staffHeadcounts: [{ year: THIS_YEAR, staffHeadcount: 45, recordedAt: expect.any(String) }],
    });
    expect(await stored(x)).toEqual([{ year: THIS_YEAR, staffHeadcount: 45 }]);
    const events = await eventsSince(seq);
    expect(events.map((e) => e.type)).toEqual([
      MembershipEvents.BranchStaffHeadcountSet.type,
      MembershipEvents.BranchUpdated.type,
    ]);
    expect(events[0]).toMatchObject({
      key: x,
      message: { branchId: x, year: THIS_YEAR, staffHeadcount: 45, previousStaffHeadcount: 40 },
    });
    expect((events[1].message as BranchUpdated).staffHeadcount).toBe(45);
    expect(await auditRows(x)).toEqual([
      {
        action: 'BRANCH_STAFF_HEADCOUNT_SET',
        role: 'MEMBERSHIP_OFFICER',
        branch_id: x,
        before: { year: THIS_YEAR, staffHeadcount: 40 },
        after: { year: THIS_YEAR, staffHeadcount: 45 },
        details: { inEffectToday: { before: 40, after: 45 } },
      },
    ]);
  });

  it('counts an earlier year without rewriting this one or the years between (a count holds until a later one)', async () => {
    const seq = await lastSeq();
    expect((await set([hq('ADMIN')], x, THIS_YEAR - 2, 30)).errors).toBeUndefined();
    expect(
      await branch(x, { earlier: THIS_YEAR - 2, before: THIS_YEAR - 1, first: THIS_YEAR - 3 }),
    ).toMatchObject({
      staffHeadcount: 45,
      earlier: 30,
      before: 30, // no count of its own: the earlier year's holds
      first: 0, // before any count
      staffHeadcounts: [
        { year: THIS_YEAR - 2, staffHeadcount: 30 },
        { year: THIS_YEAR, staffHeadcount: 45 },
      ],
    });
    // this year's count did not change: no BranchUpdated; the earlier year had none before
    const events = await eventsSince(seq);
    expect(events.map((e) => e.type)).toEqual([MembershipEvents.BranchStaffHeadcountSet.type]);
    expect((events[0].message as BranchStaffHeadcountSet).previousStaffHeadcount).toBeUndefined();
    expect((await set([hq('ADMIN')], x, THIS_YEAR - 2, 31)).errors).toBeUndefined();
    expect(await stored(x)).toEqual([
      { year: THIS_YEAR - 2, staffHeadcount: 31 },
      { year: THIS_YEAR, staffHeadcount: 45 },
    ]);
  });

  it('writes nothing when the same count is given again', async () => {
    const [seq, audited] = [await lastSeq(), (await auditRows(x)).length];
    const answer = await set([hq('ADMIN')], x, THIS_YEAR, 45);
    expect(answer.data!.setBranchStaffHeadcount).toMatchObject({ staffHeadcount: 45 });
    expect(await eventsSince(seq)).toEqual([]);
    expect(await auditRows(x)).toHaveLength(audited);
  });

  it("refuses another branch's officer and a role it does not name, and leaves the branch as it was", async () => {
    const [seq, before] = [await lastSeq(), await stored(x)];
    const outsider = await set([inBranch('MEMBERSHIP_OFFICER', y)], x, THIS_YEAR, 1);
    expect(outsider.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OUT_OF_SCOPE' });
    expect(outsider.errors?.[0]?.message).not.toContain(x);
    const viewer = await set([hq('VIEWER')], x, THIS_YEAR, 1);
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await stored(x)).toEqual(before);
    expect(await eventsSince(seq)).toEqual([]);
    const missing = await set([hq('ADMIN')], uuidv7(), THIS_YEAR, 1);
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it.each([
    [THIS_YEAR + 1, 10, 'INVALID_HEADCOUNT_YEAR', 'year'],
    [1949, 10, 'INVALID_HEADCOUNT_YEAR', 'year'],
    [THIS_YEAR, -1, 'INVALID_HEADCOUNT', 'staffHeadcount'],
    [THIS_YEAR, 100_001, 'INVALID_HEADCOUNT', 'staffHeadcount'],
  ])(
    'refuses year %i with %i staff as BAD_USER_INPUT (%s, naming %s)',
    async (year, count, reason, field) => {
      const seq = await lastSeq();
      const answer = await set([hq('ADMIN')], x, year, count);
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason, field });
      expect(await eventsSince(seq)).toEqual([]);
    },
  );

  it('gives the join rate in exact parts and a percent rounded half up, above 100 and flagged when the headcount is stale', async () => {
    const z = await open(7);
    for (let i = 0; i < 3; i++) await admit(z);
    expect(await branch(z)).toMatchObject({
      activeMembers: 3,
      joinRate: 0.4286, // deprecated: its old meaning kept
      joinRateDetail: {
        year: THIS_YEAR,
        members: 3,
        staffHeadcount: 7,
        percent: 42.9,
        exceedsHeadcount: false,
      },
    });
    await set([hq('ADMIN')], z, THIS_YEAR, 2);
    expect((await branch(z)).joinRateDetail).toEqual({
      year: THIS_YEAR,
      members: 3,
      staffHeadcount: 2,
      percent: 150,
      exceedsHeadcount: true,
    });
    const unknown = await open(0);
    expect(await branch(unknown)).toMatchObject({ staffHeadcount: 0, joinRate: null, joinRateDetail: null });
  });

  it('gives the federation’s join rate from the headcounts in effect today', async () => {
    const answer = await graphql(
      [hq('VIEWER')],
      `
        {
          membershipStatistics {
            staffHeadcount
            activeMembers
            joinRateDetail {
              members
              staffHeadcount
              percent
            }
          }
        }
      `,
    );
    expect(answer.errors).toBeUndefined();
    const { staffHeadcount, activeMembers, joinRateDetail } = answer.data!.membershipStatistics;
    const [{ sum }] = await database.dataSource.query(
      `SELECT sum(h.staff_headcount)::int AS sum FROM branch b
         JOIN LATERAL (SELECT staff_headcount FROM branch_staff_headcount WHERE branch_id = b.id
                        ORDER BY year DESC LIMIT 1) h ON TRUE
        WHERE b.status = 'ACTIVE'`,
    );
    expect(staffHeadcount).toBe(sum);
    expect(joinRateDetail).toEqual({
      members: activeMembers,
      staffHeadcount: sum,
      percent: Math.floor((2000 * activeMembers + sum) / (2 * sum)) / 10,
    });
  });

  it("loads every listed branch's members and headcounts with one query each, however many branches", async () => {
    const BRANCHES = `{ branches { id activeMembers joinRate joinRateDetail { members percent }
      staffHeadcount last: staffHeadcount(year: ${THIS_YEAR - 1}) staffHeadcounts { year } } }`;
    /** the SQL statements one request sends, by what they read */
    const statements = async () => {
      const logQuery = jest.spyOn(database.dataSource.logger, 'logQuery');
      try {
        const answer = await graphql([hq('VIEWER')], BRANCHES);
        expect(answer.errors).toBeUndefined();
        const sql = logQuery.mock.calls.map(([text]) => String(text));
        return {
          branches: answer.data!.branches as { id: string; activeMembers: number }[],
          member: sql.filter((s) => /\bFROM member\b/.test(s)).length,
          // the loader's own (the branch list reads each branch's count in effect in its own statement)
          headcounts: sql.filter((s) => /FROM branch_staff_headcount WHERE branch_id = ANY/.test(s)).length,
          all: sql.length,
        };
      } finally {
        logQuery.mockRestore();
      }
    };
    const few = await statements();
    for (let i = 0; i < 4; i++) {
      const more = await open(10 + i);
      for (let j = 0; j <= i; j++) await admit(more);
    }
    const many = await statements();
    expect(many.branches.length).toBe(few.branches.length + 4);
    expect(many).toMatchObject({ member: 1, headcounts: 1, all: few.all });
    // and the counts are each branch's own
    const counted = new Map(
      (
        await database.dataSource.query(
          `SELECT branch_id, count(*)::int AS n FROM member WHERE status = 'ACTIVE' GROUP BY branch_id`,
        )
      ).map((r: { branch_id: string; n: number }) => [r.branch_id, r.n]),
    );
    for (const b of many.branches) expect(b.activeMembers).toBe(counted.get(b.id) ?? 0);
  });

  it('counts a merged branch’s staff in the target from the merge’s year on, leaving earlier years as counted', async () => {
    const structure = new StructureCommands(
      database.unitOfWork,
      database.repository,
      new StructureRepository(database.dataSource),
    );
    const [source, target] = [await open(25), await open(50)];
    await set([hq('ADMIN')], source, THIS_YEAR - 1, 20);
    const seq = await lastSeq();
    await structure.mergeBranches({ sourceBranchId: source, targetBranchId: target });
    expect(await stored(source)).toEqual([
      { year: THIS_YEAR - 1, staffHeadcount: 20 },
      { year: THIS_YEAR, staffHeadcount: 0 },
    ]);
    expect(await stored(target)).toEqual([{ year: THIS_YEAR, staffHeadcount: 75 }]);
    expect(await branch(target)).toMatchObject({ staffHeadcount: 75 });
    const merged = (await eventsSince(seq)).find((e) => e.type === MembershipEvents.BranchMerged.type)!;
    expect((merged.message as BranchMerged).movedStaffHeadcount).toBe(25);
    // a merged branch is counted no more
    const answer = await set([hq('ADMIN')], source, THIS_YEAR, 3);
    expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'BRANCH_NOT_ACTIVE' });
  });

  it('publishes BranchStaffHeadcountSet through the relay to Kafka, keyed by the branch', async () => {
    await set([hq('ADMIN')], y, THIS_YEAR, 41);
    const published = await publishToOwnTopic(database, 'membership-headcounts');
    const ofY = published.filter((e) => e.key === y).map((e) => e.type);
    expect(ofY).toEqual([
      MembershipEvents.BranchOpened.type,
      MembershipEvents.BranchStaffHeadcountSet.type,
      MembershipEvents.BranchUpdated.type,
    ]);
    const set41 = published.find(
      (e) => e.key === y && e.type === MembershipEvents.BranchStaffHeadcountSet.type,
    )!;
    expect(set41.message).toMatchObject({ branchId: y, year: THIS_YEAR, staffHeadcount: 41 });
  });
});
