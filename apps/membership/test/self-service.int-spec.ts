import { createTestIssuer, hq, inBranch, type GraphqlResponse, type ServedSubgraph } from '@unionfed/testing';
import type { Grant, Principal } from '@unionfed/auth';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';
import type { Member } from '../src/domain/member';

/**
 * Self-service (会员自助) through the membership subgraph as the app serves it: a member signed in with their
 * own account (MEMBER, linked to their record — the gateway's session) reads their profile and history, and no
 * one else's, however they ask.
 */
describe('a member’s own record through the membership subgraph (real PostgreSQL, HTTP)', () => {
  let database: MembershipDatabase;
  let served: ServedSubgraph;
  let cs: string;
  let self: Member;
  let colleague: Member;
  let elsewhere: Member;
  const MEMBER: Grant = { role: 'MEMBER', branchId: null };

  const ask = (
    grants: Grant[],
    query: string,
    variables: Record<string, unknown> = {},
    principal: Partial<Omit<Principal, 'grants'>> = {},
  ): Promise<GraphqlResponse> => served.graphql({ ...principal, grants }, query, variables);
  /** as the member signed in: the session the gateway gives their account */
  const asMember = (query: string, variables: Record<string, unknown> = {}, memberId = self.id) =>
    ask([MEMBER], query, variables, { memberId });
  const codes = (response: GraphqlResponse) => response.errors?.map((e) => e.extensions?.code);

  beforeAll(async () => {
    database = await membershipDatabase('self_service');
    served = await serveMembership(database, await createTestIssuer());
    const { commands } = database;
    const campusId = (await commands.openCampus({ code: 'main', name: '本部校区' })).id;
    const open = async (code: string, name: string) =>
      (await commands.openBranch({ campusId, code, name, kind: 'COLLEGE', staffHeadcount: 10 })).id;
    cs = await open('cs', '计算机学院分工会');
    const math = await open('math', '数学学院分工会');
    const admit = (branchId: string, staffNumber: string, name: string) =>
      commands.admitMember({
        branchId,
        staffNumber,
        name,
        gender: 'FEMALE',
        category: 'TEACHER',
        phone: '13900000000',
        joinedOn: '2015-09-01',
      });
    self = await admit(cs, 'SS001', '陈思');
    colleague = await admit(cs, 'SS002', '同事甲');
    elsewhere = await admit(math, 'SS003', '外院乙');
    await commands.changeStatus(self.id, 'RETIRED', { effectiveOn: '2026-07-01' });
  });

  afterAll(async () => {
    await served?.close();
    await database?.drop();
  });

  it('answers a member their own profile, branch and history', async () => {
    const answer = await asMember(
      '{ myMembership { id name staffNumber phone status branch { name } history { change effectiveOn } } }',
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.myMembership).toEqual({
      id: self.id,
      name: '陈思',
      staffNumber: 'SS001',
      phone: '13900000000',
      status: 'RETIRED',
      branch: { name: '计算机学院分工会' },
      history: [
        { change: 'JOINED', effectiveOn: '2015-09-01' },
        { change: 'RETIRED', effectiveOn: '2026-07-01' },
      ],
    });
  });

  it('answers a member asking for another member — of their branch or another — as for nobody', async () => {
    for (const other of [colleague, elsewhere]) {
      const byId = await asMember('query($id: ID!) { member(id: $id) { name phone history { change } } }', {
        id: other.id,
      });
      expect(byId).toEqual({ data: { member: null } });
      const byReference = await asMember(
        'query($r: [_Any!]!) { _entities(representations: $r) { ... on Member { name phone } } }',
        { r: [{ __typename: 'Member', id: other.id }] },
      );
      expect(byReference).toEqual({ data: { _entities: [null] } });
    }
    // their own, by the same fields, answers
    const own = await asMember('query($id: ID!) { member(id: $id) { name } }', { id: self.id });
    expect(own).toEqual({ data: { member: { name: '陈思' } } });
  });

  it('refuses a member the roster, the statistics and lookups by staff number', async () => {
    const answers = await Promise.all([
      asMember('{ members { totalCount } }'),
      asMember(`query($b: ID!) { membershipStatistics(branchId: $b) { activeMembers } }`, { b: cs }),
      asMember('{ memberByStaffNumber(staffNumber: "SS002") { name } }'),
    ]);
    for (const answer of answers) {
      expect(codes(answer)).toEqual(['FORBIDDEN']);
      expect(JSON.stringify(answer)).not.toContain('同事甲');
    }
  });

  it('answers myMembership only to a session linked to a member record, refusing staff roles alone', async () => {
    expect(codes(await ask([MEMBER], '{ myMembership { id } }'))).toEqual(['FORBIDDEN']);
    const staff = await ask([inBranch('MEMBERSHIP_OFFICER', cs)], '{ myMembership { id } }');
    expect(codes(staff)).toEqual(['FORBIDDEN']);
    expect(codes(await ask([hq('ADMIN')], '{ myMembership { id } }'))).toEqual(['FORBIDDEN']);
    // a staff account linked to its holder's member record: their own record, beside their staff roles
    const both = await ask(
      [inBranch('VIEWER', cs), MEMBER],
      '{ myMembership { name } }',
      {},
      {
        memberId: colleague.id,
      },
    );
    expect(both).toEqual({ data: { myMembership: { name: '同事甲' } } });
  });
});
