import type { INestApplication } from '@nestjs/common';
import { createTestIssuer, hq, inBranch, type TestIssuer } from '@unionfed/testing';
import type { Grant } from '@unionfed/auth';
import { SYSTEM } from '@unionfed/audit';
import { uuidv7 } from '@unionfed/persistence';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';
import type { ServedSubgraph } from '@unionfed/testing';
import { RosterImportRepository } from '../src/infrastructure/roster-import.repository';
import type { Member } from '../src/domain/member';

interface GraphqlResponse {
  data?: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  errors?: { message: string; extensions?: { code?: string; reason?: string; field?: string } }[];
}

const ROSTER = `query ($filter: RosterFilter) {
  members(filter: $filter, first: 100) { totalCount edges { node { name } } }
}`;

/**
 * The roster searched by part of the name or by pinyin initials, through the membership subgraph (SDL, @access,
 * tokens) against a real database: the search is SQL on stored, indexed keys, narrowed to the caller's reach, and
 * members written by every path (admission, roster import's COPY and update) are found.
 */
describe('searching the roster by name or pinyin initials (real PostgreSQL, HTTP)', () => {
  let database: MembershipDatabase;
  let app: INestApplication;
  let issuer: TestIssuer;
  let [x, y] = ['', ''];
  let staffNo = 0;

  let served: ServedSubgraph;
  const graphql = async (grants: Grant[], query: string, variables: Record<string, unknown> = {}) =>
    (await served.graphql(grants, query, variables)) as GraphqlResponse;
  /** the names the roster shows for a search (in admission order), and its count */
  const search = async (grants: Grant[], term: string, filter: Record<string, unknown> = {}) => {
    const answer = await graphql(grants, ROSTER, { filter: { search: term, ...filter } });
    expect(answer.errors).toBeUndefined();
    const { totalCount, edges } = answer.data!.members;
    const names = edges.map((e: { node: { name: string } }) => e.node.name);
    expect(totalCount).toBe(names.length);
    return names;
  };
  const names = (term: string, filter: Record<string, unknown> = {}) => search([hq('VIEWER')], term, filter);
  const admit = (branchId: string, name: string) =>
    database.commands.admitMember({
      branchId,
      staffNumber: `RS${++staffNo}`,
      name,
      gender: 'MALE',
      category: 'TEACHER',
    });

  beforeAll(async () => {
    issuer = await createTestIssuer();
    process.env.UNIONFED_JWKS = issuer.env.UNIONFED_JWKS;
    database = await membershipDatabase('roster_search');
    served = await serveMembership(database, issuer);
    ({ app } = served);
    const campusId = (await database.commands.openCampus({ code: 'main', name: '本部校区' })).id;
    const open = async (code: string) =>
      (
        await database.commands.openBranch({
          campusId,
          code,
          name: `${code}分工会`,
          kind: 'COLLEGE',
          staffHeadcount: 40,
        })
      ).id;
    [x, y] = [await open('sx'), await open('sy')];
    for (const name of ['张三', '张三丰', '李四', '单田芳', 'Anna Li', '欧阳修', '曾国藩', '100%_张', '_甲%'])
      await admit(x, name);
    await admit(y, '张伟');
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    delete process.env.UNIONFED_JWKS;
  });

  it('finds members by part of their name: a surname, a given name, any run of characters', async () => {
    expect(await names('张')).toEqual(['张三', '张三丰', '100%_张', '张伟']);
    expect(await names('三丰')).toEqual(['张三丰']);
    expect(await names(' 欧阳 ')).toEqual(['欧阳修']);
    expect(await names('张丰')).toEqual([]); // the characters, but not in a row
  });

  it('finds members by the start of their pinyin initials, in any case', async () => {
    expect(await names('zs')).toEqual(['张三', '张三丰']);
    expect(await names('ZS')).toEqual(['张三', '张三丰']);
    expect(await names('zsf')).toEqual(['张三丰']);
    expect(await names('oyx')).toEqual(['欧阳修']);
  });

  it('finds a name with several readings by each of them (单 shàn/dān, 曾 zēng/céng)', async () => {
    expect(await names('stf')).toEqual(['单田芳']);
    expect(await names('dtf')).toEqual(['单田芳']);
    expect(await names('zgf')).toEqual(['曾国藩']);
    expect(await names('cgf')).toEqual(['曾国藩']);
  });

  it('finds Latin names by their letters, takes % and _ literally, and combines with the other filters', async () => {
    expect(await names('li')).toEqual(['Anna Li']); // 李四's initials are ls, not li
    expect(await names('ANNA')).toEqual(['Anna Li']);
    expect(await names('%_')).toEqual(['100%_张']); // not _甲%: both characters, not in a row
    expect(await names('_')).toEqual(['100%_张', '_甲%']);
    expect(await names('张', { branchId: y })).toEqual(['张伟']);
    expect(await names('zs', { status: 'RETIRED' })).toEqual([]);
  });

  it("shows a branch's officer only their branch's matches", async () => {
    expect(await search([inBranch('MEMBERSHIP_OFFICER', y)], '张')).toEqual(['张伟']);
    expect(await search([inBranch('MEMBERSHIP_OFFICER', x)], 'zw')).toEqual([]);
    // Branch.members too
    const answer = await graphql(
      [inBranch('MEMBERSHIP_OFFICER', x)],
      `
        query ($id: ID!) {
          branch(id: $id) {
            members(filter: { search: "zs" }) {
              totalCount
            }
          }
        }
      `,
      { id: x },
    );
    expect(answer.data!.branch.members.totalCount).toBe(2);
  });

  it('refuses a term longer than 50 characters as BAD_USER_INPUT, and takes a blank one as no search', async () => {
    const answer = await graphql([hq('VIEWER')], ROSTER, { filter: { search: '张'.repeat(51) } });
    expect(answer.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'INVALID_SEARCH',
      field: 'search',
    });
    expect((await names('  ')).length).toBe(10);
  });

  it("finds members a roster import wrote (its COPY and its update) by their names' keys", async () => {
    const jobs = new RosterImportRepository(database.dataSource);
    const imported: Member = {
      id: uuidv7(),
      memberNumber: 'M900001',
      staffNumber: 'IMP1',
      name: '钱学森',
      gender: 'MALE',
      category: 'TEACHER',
      branchId: x,
      joinedOn: '2020-09-01',
      status: 'ACTIVE',
    };
    const updated = await admit(x, '钱钟书');
    await database.unitOfWork.run(SYSTEM, async (work) => {
      expect(await jobs.insertMembers(work.manager, [imported])).toBe(true);
      await jobs.updateMembers(work.manager, [{ ...updated, name: '钱锺书' }]);
    });
    expect(await names('qxs')).toEqual(['钱学森']);
    expect(await names('锺')).toEqual(['钱锺书']);
    expect(await names('钟')).toEqual([]);
  });

  it('is answered from the GIN indexes, in SQL', async () => {
    const plan = async (condition: string, params: unknown[]) =>
      database.dataSource.transaction(async (manager) => {
        await manager.query('SET LOCAL enable_seqscan = off');
        const rows: { 'QUERY PLAN': string }[] = await manager.query(
          `EXPLAIN SELECT id FROM member m WHERE ${condition}`,
          params,
        );
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      });
    expect(await plan('m.name_initials @> ARRAY[$1]::text[]', ['zs'])).toContain('member_name_initials');
    expect(await plan('m.name_characters @> $1::text[]', [['张']])).toContain('member_name_characters');
  });
});
