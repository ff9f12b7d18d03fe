import { createTestIssuer, hq, inBranch, type GraphqlResponse, type ServedSubgraph } from '@unionfed/testing';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';
import { STRUCTURE_PROVIDERS } from '../src/membership.providers';
import type { Member } from '../src/domain/member';

/**
 * The membership subgraph's structure fields served over HTTP as the app serves them — the SDL files, @access
 * enforcement, token verification, error codes — against a real database (the outbox is written, not relayed).
 */
describe('federation structure through the membership subgraph (real PostgreSQL, HTTP)', () => {
  let database: MembershipDatabase;
  let subgraph: ServedSubgraph;
  let campusId: string;
  let cs: string;
  let math: string;
  let staffNo = 0;

  const graphql: ServedSubgraph['graphql'] = (...request) => subgraph.graphql(...request);
  const admit = (branchId: string): Promise<Member> =>
    database.commands.admitMember({
      branchId,
      staffNumber: `G${++staffNo}`,
      name: `会员${staffNo}`,
      gender: 'FEMALE',
      category: 'TEACHER',
      joinedOn: '2015-09-01',
    });
  const codeOf = (response: GraphqlResponse) => response.errors?.[0]?.extensions?.code;
  const officerOf = (branchId: string) => [inBranch('MEMBERSHIP_OFFICER', branchId)];
  const HQ = [hq('MEMBERSHIP_OFFICER')];

  beforeAll(async () => {
    database = await membershipDatabase('structure_graphql');
    subgraph = await serveMembership(database, await createTestIssuer(), { providers: STRUCTURE_PROVIDERS });
    campusId = (await database.commands.openCampus({ code: 'main', name: '本部校区' })).id;
    const open = async (code: string, staffHeadcount: number) =>
      (
        await database.commands.openBranch({
          campusId,
          code,
          name: `${code}分工会`,
          kind: 'COLLEGE',
          staffHeadcount,
        })
      ).id;
    cs = await open('cs', 40);
    math = await open('math', 20);
  });

  afterAll(async () => {
    await subgraph?.close();
    await database?.drop();
  });

  it('lets a branch officer form a group in their branch and read it with its leader, count and roster', async () => {
    const [leader, member] = [await admit(cs), await admit(cs)];
    const formed = await graphql(
      officerOf(cs),
      `
        mutation ($input: FormUnionGroupInput!) {
          formUnionGroup(input: $input) {
            id
            name
            status
            memberCount
            leader {
              id
            }
          }
        }
      `,
      { input: { branchId: cs, name: '算法教研室小组', leaderMemberId: leader.id, formedOn: '2020-09-01' } },
    );
    expect(formed.errors).toBeUndefined();
    const group = formed.data!.formUnionGroup as { id: string };
    expect(group).toEqual({
      id: group.id,
      name: '算法教研室小组',
      status: 'ACTIVE',
      memberCount: 1,
      leader: { id: leader.id },
    });

    const assigned = await graphql(
      officerOf(cs),
      `
        mutation ($input: AssignMemberToGroupInput!) {
          assignMemberToGroup(input: $input) {
            id
            group {
              id
            }
          }
        }
      `,
      { input: { memberId: member.id, groupId: group.id } },
    );
    expect(assigned.data?.assignMemberToGroup).toEqual({ id: member.id, group: { id: group.id } });

    const read = await graphql(
      officerOf(cs),
      `
        query ($branchId: ID!, $groupId: ID) {
          branch(id: $branchId) {
            unionGroups {
              name
              memberCount
              leader {
                id
              }
            }
          }
          members(filter: { groupId: $groupId }) {
            totalCount
          }
        }
      `,
      { branchId: cs, groupId: group.id },
    );
    expect(read.errors).toBeUndefined();
    expect(read.data).toEqual({
      branch: { unionGroups: [{ name: '算法教研室小组', memberCount: 2, leader: { id: leader.id } }] },
      members: { totalCount: 2 },
    });

    // a member (self-service) sees their group, not the leader's record
    const own = await graphql(
      { grants: [{ role: 'MEMBER', branchId: null }], memberId: member.id },
      `
        query ($id: ID!) {
          member(id: $id) {
            group {
              name
              leader {
                id
                phone
              }
            }
          }
        }
      `,
      { id: member.id },
    );
    expect(own.errors).toBeUndefined();
    expect(own.data).toEqual({ member: { group: { name: '算法教研室小组', leader: null } } });
  });

  it('refuses an officer of another branch, before anything is written', async () => {
    const leader = await admit(cs);
    const before = Number((await database.dataSource.query(`SELECT count(*) AS n FROM outbox`))[0].n);
    const response = await graphql(
      officerOf(math),
      `
        mutation ($input: FormUnionGroupInput!) {
          formUnionGroup(input: $input) {
            id
          }
        }
      `,
      { input: { branchId: cs, name: '越权小组', leaderMemberId: leader.id } },
    );
    expect(codeOf(response)).toBe('FORBIDDEN');
    const listed = await graphql(
      officerOf(math),
      `
        query ($b: ID!) {
          unionGroups(branchId: $b) {
            id
          }
        }
      `,
      { b: cs },
    );
    expect(codeOf(listed)).toBe('FORBIDDEN');
    expect(Number((await database.dataSource.query(`SELECT count(*) AS n FROM outbox`))[0].n)).toBe(before);
  });

  it('keeps the federation committee to HQ roles, and shows other branches’ appointees by name only', async () => {
    const hqChair = await admit(math);
    const byBranch = await graphql(
      officerOf(cs),
      `
        mutation ($input: AppointCommitteeMemberInput!) {
          appointCommitteeMember(input: $input) {
            id
          }
        }
      `,
      { input: { memberId: hqChair.id, role: 'CHAIR', startsOn: '2022-01-01' } },
    );
    expect(byBranch.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'FEDERATION_ONLY' });
    const byHq = await graphql(
      HQ,
      `
        mutation ($input: AppointCommitteeMemberInput!) {
          appointCommitteeMember(input: $input) {
            role
            memberName
            branchId
          }
        }
      `,
      { input: { memberId: hqChair.id, role: 'CHAIR', startsOn: '2022-01-01' } },
    );
    expect(byHq.data?.appointCommitteeMember).toEqual({
      role: 'CHAIR',
      memberName: hqChair.name,
      branchId: null,
    });
    const seen = await graphql(
      officerOf(cs),
      `
        {
          committee {
            role
            memberName
            member {
              id
            }
          }
        }
      `,
    );
    expect(seen.data?.committee).toEqual([{ role: 'CHAIR', memberName: hqChair.name, member: null }]);
  });

  it('answers CONFLICT with a clear message when a branch with active members is dissolved', async () => {
    await admit(math);
    const response = await graphql(
      HQ,
      `
        mutation ($input: DissolveBranchInput!) {
          dissolveBranch(input: $input) {
            status
          }
        }
      `,
      { input: { branchId: math } },
    );
    expect(response.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/still has \d+ active members/),
      extensions: { code: 'CONFLICT', reason: 'BRANCH_HAS_ACTIVE_MEMBERS' },
    });
  });

  it('merges branches for HQ only', async () => {
    const mutation = `mutation ($input: MergeBranchesInput!) {
      mergeBranches(input: $input) { movedMembers source { status closedOn mergedInto { id } } target { id activeMembers } }
    }`;
    const input = { sourceBranchId: math, targetBranchId: cs };
    expect(codeOf(await graphql(officerOf(math), mutation, { input }))).toBe('FORBIDDEN');
    const active = Number(
      (await database.dataSource.query(`SELECT count(*) AS n FROM member WHERE status = 'ACTIVE'`))[0].n,
    );
    const merged = await graphql(HQ, mutation, { input });
    expect(merged.errors).toBeUndefined();
    expect(merged.data?.mergeBranches).toEqual({
      movedMembers: expect.any(Number),
      source: {
        status: 'MERGED',
        closedOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        mergedInto: { id: cs },
      },
      target: { id: cs, activeMembers: active },
    });
  });
});
