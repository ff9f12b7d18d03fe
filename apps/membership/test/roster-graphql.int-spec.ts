import { createTestIssuer, hq, inBranch, type GraphqlResponse, type ServedSubgraph } from '@unionfed/testing';
import type { Grant } from '@unionfed/auth';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';
import { MembershipRepository } from '../src/infrastructure/membership.repository';
import type { Member } from '../src/domain/member';

interface Page {
  totalCount?: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { node: { id: string; name: string; branch: { code: string; name: string } } }[];
}

/**
 * The roster (`members`, `Branch.members`) served over HTTP as the app serves it — the SDL, @access enforcement,
 * token verification — against a real database: what it answers, how many SQL statements a page costs, and that
 * `totalCount` is counted only when asked for.
 */
describe('the roster through the membership subgraph (real PostgreSQL, HTTP)', () => {
  let database: MembershipDatabase;
  let subgraph: ServedSubgraph;
  let cs: string;
  let math: string;
  const csMembers: Member[] = [];
  const mathMembers: Member[] = [];
  const HQ = [hq('MEMBERSHIP_OFFICER')];

  const post = (grants: Grant[], query: string, variables: Record<string, unknown> = {}) =>
    subgraph.post(grants, query, variables);
  const graphql = (grants: Grant[], query: string, variables: Record<string, unknown> = {}) =>
    subgraph.graphql(grants, query, variables);
  /** the SQL statements a request sends to the member table */
  const statements = async <T>(work: () => Promise<T>): Promise<{ result: T; sql: string[] }> => {
    const query = jest.spyOn(database.dataSource, 'query');
    try {
      const result = await work();
      const sql = query.mock.calls.map(([text]) => String(text)).filter((text) => /\bmember\b/.test(text));
      return { result, sql };
    } finally {
      query.mockRestore();
    }
  };
  const ROSTER = `
    query ($filter: RosterFilter, $first: Int, $after: String) {
      members(filter: $filter, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id name branch { code name } } }
      }
    }`;
  const page = (response: GraphqlResponse) => {
    expect(response.errors).toBeUndefined();
    return response.data!.members as Page;
  };

  beforeAll(async () => {
    database = await membershipDatabase('roster_graphql');
    subgraph = await serveMembership(database, await createTestIssuer());
    const { commands } = database;
    const campusId = (await commands.openCampus({ code: 'main', name: '本部校区' })).id;
    const open = async (code: string, name: string) =>
      (await commands.openBranch({ campusId, code, name, kind: 'COLLEGE', staffHeadcount: 10 })).id;
    cs = await open('cs', '计算机学院分工会');
    math = await open('math', '数学学院分工会');
    let n = 0;
    for (const [branchId, into] of [
      [cs, csMembers],
      [math, mathMembers],
      [cs, csMembers],
      [cs, csMembers],
      [math, mathMembers],
      [cs, csMembers],
      [cs, csMembers],
    ] as const) {
      into.push(
        await commands.admitMember({
          branchId,
          staffNumber: `R${++n}`,
          name: `会员${n}`,
          gender: n % 2 ? 'FEMALE' : 'MALE',
          category: 'TEACHER',
          joinedOn: '2015-09-01',
        }),
      );
    }
  });

  afterAll(async () => {
    await subgraph?.close();
    await database?.drop();
  });

  it('answers a page — rows, their branches and the count — with one SQL statement and no branch lookup', async () => {
    const findBranches = jest.spyOn(MembershipRepository.prototype, 'findBranches');
    try {
      const { result, sql } = await statements(() => graphql(HQ, ROSTER, { first: 3 }));
      const first = page(result);
      const all = [...csMembers, ...mathMembers].sort((a, b) => (a.id < b.id ? -1 : 1));
      expect(first.totalCount).toBe(7);
      expect(first.pageInfo.hasNextPage).toBe(true);
      expect(first.edges.map((e) => e.node)).toEqual(
        all.slice(0, 3).map((m) => ({
          id: m.id,
          name: m.name,
          branch:
            m.branchId === cs
              ? { code: 'CS', name: '计算机学院分工会' }
              : { code: 'MATH', name: '数学学院分工会' },
        })),
      );
      expect(sql).toHaveLength(1);
      expect(sql[0]).toMatch(/count\(\*\)/);
      expect(findBranches).not.toHaveBeenCalled();
    } finally {
      findBranches.mockRestore();
    }
  });

  it('does not count when the query does not ask for totalCount, and counts when a fragment does', async () => {
    const uncounted = await statements(() =>
      graphql(HQ, 'query { members(first: 2) { edges { node { id branch { code } } } } }'),
    );
    expect(uncounted.result.errors).toBeUndefined();
    expect(uncounted.sql).toHaveLength(1);
    expect(uncounted.sql[0]).not.toMatch(/count\(/i);

    const counted = await statements(() =>
      graphql(
        HQ,
        'query { members(first: 2) { ...Total } } fragment Total on MemberConnection { totalCount }',
      ),
    );
    expect(counted.result.data).toEqual({ members: { totalCount: 7 } });
    expect(counted.sql).toHaveLength(1);
  });

  it('walks the roster with cursors in admission order to its end, counting every page', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const current = page(await graphql(HQ, ROSTER, { filter: { branchId: cs }, first: 2, after }));
      expect(current.totalCount).toBe(csMembers.length);
      seen.push(...current.edges.map((e) => e.node.id));
      if (!current.pageInfo.hasNextPage) break;
      after = current.pageInfo.endCursor;
    }
    expect(seen).toEqual(csMembers.map((m) => m.id).sort());
    // a page after the last member: empty, still counted
    const beyond = page(
      await graphql(HQ, ROSTER, {
        filter: { branchId: cs },
        after: seen.length ? cursorOf(seen.at(-1)!) : null,
      }),
    );
    expect(beyond).toEqual({
      totalCount: csMembers.length,
      pageInfo: { hasNextPage: false, endCursor: null },
      edges: [],
    });
    // a branch's own roster field answers the same
    const branchRoster = await graphql(
      HQ,
      'query ($id: ID!) { branch(id: $id) { members(first: 10) { totalCount edges { node { id branch { code } } } } } }',
      { id: math },
    );
    expect(branchRoster.data).toEqual({
      branch: {
        members: {
          totalCount: 2,
          edges: mathMembers.map((m) => ({ node: { id: m.id, branch: { code: 'MATH' } } })),
        },
      },
    });
  });

  it("keeps a branch officer to their branch: narrowed in the query, refused for another branch's roster", async () => {
    const officer = [inBranch('MEMBERSHIP_OFFICER', math)];
    const own = page(await graphql(officer, ROSTER, { first: 10 }));
    expect(own.totalCount).toBe(mathMembers.length);
    expect(own.edges.map((e) => e.node.id)).toEqual(mathMembers.map((m) => m.id));
    expect(own.edges.every((e) => e.node.branch.code === 'MATH')).toBe(true);
    const other = await graphql(officer, ROSTER, { filter: { branchId: cs } });
    expect(other.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OUT_OF_SCOPE' });
    const otherBranch = await graphql(
      officer,
      'query ($id: ID!) { branch(id: $id) { members { totalCount } } }',
      {
        id: cs,
      },
    );
    expect(otherBranch.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OUT_OF_SCOPE' });
    // roles without the roster are refused before anything is read
    const welfare = await graphql([hq('WELFARE_OFFICER')], ROSTER);
    expect(welfare.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it("answers a reference to another branch's member as one that is not there, batched references too", async () => {
    const query = `query ($r: [_Any!]!) {
      _entities(representations: $r) { ... on Member { id staffNumber name phone birthDate branch { code } } }
    }`;
    const missing = '0190a000-0000-7000-8000-00000000dead';
    const references = [csMembers[0], mathMembers[0], csMembers[1]].map((m) => ({
      __typename: 'Member',
      id: m.id,
    }));
    for (const role of ['MEMBERSHIP_OFFICER', 'VIEWER', 'WELFARE_OFFICER', 'FINANCE_AUDITOR'] as const) {
      const answer = await graphql([inBranch(role, math)], query, {
        r: [...references, { __typename: 'Member', id: missing }],
      });
      expect({ role, answer }).toEqual({
        role,
        answer: {
          data: {
            _entities: [
              null,
              expect.objectContaining({ id: mathMembers[0].id, name: mathMembers[0].name }),
              null,
              null,
            ],
          },
        },
      });
    }
    // within reach, the same references answer
    const hqAnswer = await graphql(HQ, query, { r: references });
    expect((hqAnswer.data!._entities as { name: string }[]).map((m) => m.name)).toEqual([
      csMembers[0].name,
      mathMembers[0].name,
      csMembers[1].name,
    ]);
  });

  it("answers a lookup of another branch's member exactly as one of a member that does not exist", async () => {
    const officer = [inBranch('MEMBERSHIP_OFFICER', math)];
    const lookup =
      'query ($id: ID!, $s: String!) { member(id: $id) { name } memberByStaffNumber(staffNumber: $s) { name } }';
    const other = await graphql(officer, lookup, { id: csMembers[0].id, s: csMembers[0].staffNumber });
    const none = await graphql(officer, lookup, { id: '0190a000-0000-7000-8000-00000000dead', s: 'NOBODY' });
    expect(other).toEqual({ data: { member: null, memberByStaffNumber: null } });
    expect(none).toEqual(other);
    const change = 'mutation ($i: MemberStatusChangeInput!) { retireMember(input: $i) { id } }';
    const refused = await graphql(officer, change, { i: { memberId: csMembers[0].id } });
    const absent = await graphql(officer, change, {
      i: { memberId: '0190a000-0000-7000-8000-00000000dead' },
    });
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(refused)).not.toContain(csMembers[0].memberNumber);
    expect(absent.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
  });

  it('refuses a cursor it did not give out, and answers uncacheable', async () => {
    const response = await post(HQ, ROSTER, { after: 'not a cursor' });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as GraphqlResponse;
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' });
    const ok = await post(HQ, ROSTER, { first: 1 });
    expect(ok.headers.get('cache-control')).toBe('no-store');
  });
});

const cursorOf = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
