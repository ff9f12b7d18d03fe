import { createTestIssuer, hq, type GraphqlResponse, type ServedSubgraph } from '@unionfed/testing';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';
import { STRUCTURE_PROVIDERS } from '../src/membership.providers';

/**
 * Input that used to reach PostgreSQL and come back as INTERNAL_SERVER_ERROR — a NUL byte in a string, an empty
 * id or date — is refused at the subgraph's door with BAD_USER_INPUT naming the argument, for every operation,
 * and nothing is written (real PostgreSQL, HTTP, an HQ admin's token).
 */
describe('bad input to the membership subgraph (real PostgreSQL, HTTP)', () => {
  let database: MembershipDatabase;
  let subgraph: ServedSubgraph;
  let branchId: string;
  let memberId: string;

  const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
    const response = await subgraph.post([hq('ADMIN')], query, variables);
    return { status: response.status, body: (await response.json()) as GraphqlResponse };
  };
  const outboxRows = async () =>
    Number((await database.dataSource.query('SELECT count(*)::int AS n FROM outbox'))[0].n);

  beforeAll(async () => {
    database = await membershipDatabase('bad_input_graphql');
    subgraph = await serveMembership(database, await createTestIssuer(), { providers: STRUCTURE_PROVIDERS });
    const campusId = (await database.commands.openCampus({ code: 'main', name: '本部校区' })).id;
    branchId = (
      await database.commands.openBranch({
        campusId,
        code: 'cs',
        name: '计算机学院分工会',
        kind: 'COLLEGE',
        staffHeadcount: 10,
      })
    ).id;
    memberId = (
      await database.commands.admitMember({
        branchId,
        staffNumber: 'B1',
        name: '张三',
        gender: 'MALE',
        category: 'TEACHER',
      })
    ).id;
  });

  afterAll(async () => {
    await subgraph?.close();
    await database?.drop();
  });

  const NUL = 'a\u0000b';
  // the eight operations a generated-input run found answering INTERNAL_SERVER_ERROR, and the NUL byte paths
  const cases: [string, string, () => Record<string, unknown>, string][] = [
    [
      'admitMember with a NUL in the name',
      'mutation($i: AdmitMemberInput!) { admitMember(input: $i) { id } }',
      () => ({ i: { branchId, staffNumber: 'N1', name: NUL, gender: 'MALE', category: 'TEACHER' } }),
      'input.name',
    ],
    [
      'admitMember with a NUL in the title',
      'mutation($i: AdmitMemberInput!) { admitMember(input: $i) { id } }',
      () => ({
        i: { branchId, staffNumber: 'N2', name: '李四', title: NUL, gender: 'MALE', category: 'TEACHER' },
      }),
      'input.title',
    ],
    [
      'memberByStaffNumber with a NUL',
      'query($s: String!) { memberByStaffNumber(staffNumber: $s) { id } }',
      () => ({ s: NUL }),
      'staffNumber',
    ],
    [
      'openCampus with a NUL in the name',
      'mutation($i: OpenCampusInput!) { openCampus(input: $i) { id } }',
      () => ({ i: { code: 'x', name: NUL } }),
      'input.name',
    ],
    [
      'appointCommitteeMember with an empty member id',
      'mutation($i: AppointCommitteeMemberInput!) { appointCommitteeMember(input: $i) { id } }',
      () => ({ i: { branchId, memberId: '', role: 'COMMITTEE' } }),
      'input.memberId',
    ],
    [
      'appointCommitteeMember with an empty branch id',
      'mutation($i: AppointCommitteeMemberInput!) { appointCommitteeMember(input: $i) { id } }',
      () => ({ i: { branchId: '', memberId, role: 'COMMITTEE' } }),
      'input.branchId',
    ],
    [
      'committee with an empty branch id',
      'query($b: ID) { committee(branchId: $b) { id } }',
      () => ({ b: '' }),
      'branchId',
    ],
    [
      'committeeHistory with an empty branch id',
      'query($b: ID) { committeeHistory(branchId: $b) { id } }',
      () => ({ b: '' }),
      'branchId',
    ],
    [
      'dissolveBranch with an empty id',
      'mutation($i: DissolveBranchInput!) { dissolveBranch(input: $i) { id } }',
      () => ({ i: { branchId: '' } }),
      'input.branchId',
    ],
    [
      'endCommitteeAppointment with an empty id',
      'mutation($i: EndCommitteeAppointmentInput!) { endCommitteeAppointment(input: $i) { id } }',
      () => ({ i: { appointmentId: '' } }),
      'input.appointmentId',
    ],
    [
      'formUnionGroup with an empty leader',
      'mutation($i: FormUnionGroupInput!) { formUnionGroup(input: $i) { id } }',
      () => ({ i: { branchId, name: '一组', leaderMemberId: '' } }),
      'input.leaderMemberId',
    ],
    [
      'membershipStatistics with an empty branch id',
      'query($b: ID) { membershipStatistics(branchId: $b) { activeMembers } }',
      () => ({ b: '' }),
      'branchId',
    ],
    [
      'mergeBranches with empty ids',
      'mutation($i: MergeBranchesInput!) { mergeBranches(input: $i) { movedMembers } }',
      () => ({ i: { sourceBranchId: '', targetBranchId: branchId } }),
      'input.sourceBranchId',
    ],
  ];

  it.each(cases)(
    '%s: BAD_USER_INPUT naming the argument, nothing written',
    async (_name, query, variables, field) => {
      const before = await outboxRows();
      const { status, body } = await graphql(query, variables());
      expect({ status, errors: body.errors?.map((e) => e.extensions) }).toEqual({
        status: 200,
        errors: [expect.objectContaining({ code: 'BAD_USER_INPUT', argument: field })],
      });
      expect(JSON.stringify(body)).not.toMatch(/stack|postgres|SQL|\\u0000/i);
      expect(await outboxRows()).toBe(before);
    },
  );

  it.each([
    ['an empty date', ''],
    ['an impossible date', '2023-02-30'],
    ['a date with a time', '2024-01-01T00:00:00Z'],
  ])('refuses %s with BAD_USER_INPUT before any resolver runs', async (_name, on) => {
    const committee = await graphql('query($b: ID, $d: Date) { committee(branchId: $b, asOf: $d) { id } }', {
      b: branchId,
      d: on,
    });
    expect(committee.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    const before = await outboxRows();
    const retire = await graphql(
      'mutation($i: MemberStatusChangeInput!) { retireMember(input: $i) { id } }',
      {
        i: { memberId, effectiveOn: on },
      },
    );
    expect(retire.body.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(await outboxRows()).toBe(before);
  });

  it('still takes good input after the bad', async () => {
    const { body } = await graphql('mutation($i: AdmitMemberInput!) { admitMember(input: $i) { name } }', {
      i: {
        branchId,
        staffNumber: 'OK1',
        name: '王五\t',
        gender: 'FEMALE',
        category: 'TEACHER',
        joinedOn: '2024-02-29',
      },
    });
    expect(body).toEqual({ data: { admitMember: { name: '王五' } } });
  });
});
