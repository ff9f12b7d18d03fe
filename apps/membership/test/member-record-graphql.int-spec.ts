import type { INestApplication } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { createTestDatabase, createTestIssuer, hq, inBranch, type TestIssuer } from '@unionfed/testing';
import type { Grant } from '@unionfed/auth';
import { todayInShanghai } from '@unionfed/domain-kit';
import { createDataSource, migrate } from '@unionfed/persistence';
import { MESSAGING_MIGRATIONS, ServiceConsumers } from '@unionfed/messaging';
import {
  EVENT_REGISTRY,
  MemberStatus,
  MembershipEvents,
  type MemberProfileUpdated,
  type MemberReinstated,
} from '@unionfed/contracts';
import {
  DIRECTORY_ENTITIES,
  DIRECTORY_MIGRATIONS,
  DirectoryConsumer,
  DirectoryReader,
} from '@unionfed/directory';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';
import type { ServedSubgraph } from '@unionfed/testing';
import { publishToOwnTopic } from './outbox-topic';
import { STRUCTURE_PROVIDERS } from '../src/membership.providers';
import { StructureCommands } from '../src/application/structure.commands';
import { StructureRepository } from '../src/infrastructure/structure.repository';
import type { Member } from '../src/domain/member';

interface GraphqlResponse {
  data?: Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any
  errors?: { message: string; extensions?: { code?: string; reason?: string; field?: string } }[];
}

const TODAY = todayInShanghai();
const CORRECT = `mutation ($input: CorrectMemberProfileInput!) {
  correctMemberProfile(input: $input) { id staffNumber name gender birthDate category title phone email status }
}`;
const REINSTATE = `mutation ($input: ReinstateMemberInput!) {
  reinstateMember(input: $input) { id status branch { id } history { change effectiveOn } }
}`;
const JOIN_RATE = `query ($id: ID!) { branch(id: $id) { activeMembers joinRateDetail { members staffHeadcount } } }`;

/**
 * 更正会员信息 and 重新入会 through the membership subgraph as the app serves it (SDL, @access, tokens, error codes)
 * against a real database: the record, its history entry, its event and its audit row, refusals that change
 * nothing; the events go through the relay to Kafka and into a membership directory.
 */
describe('correcting a profile and reinstating a member (real PostgreSQL, Kafka, HTTP)', () => {
  let database: MembershipDatabase;
  let dataSource: DataSource;
  let structure: StructureCommands;
  let app: INestApplication;
  let issuer: TestIssuer;
  let [x, y] = ['', ''];
  let staffNo = 0;

  let served: ServedSubgraph;
  const graphql = async (grants: Grant[], query: string, variables: Record<string, unknown> = {}) =>
    (await served.graphql(grants, query, variables)) as GraphqlResponse;
  const officerOf = (branchId: string) => [inBranch('MEMBERSHIP_OFFICER', branchId)];
  const correct = (grants: Grant[], input: Record<string, unknown>) => graphql(grants, CORRECT, { input });
  const reinstate = (grants: Grant[], input: Record<string, unknown>) =>
    graphql(grants, REINSTATE, { input });
  const admit = (branchId: string, name = `会员${staffNo + 1}`): Promise<Member> =>
    database.commands.admitMember({
      branchId,
      staffNumber: `MR${++staffNo}`,
      name,
      gender: 'MALE',
      category: 'TEACHER',
      title: '讲师',
      phone: '13800000000',
      birthDate: '1980-05-05',
      joinedOn: '2015-09-01',
    });
  const withdrawn = async (branchId: string, effectiveOn = '2024-03-01') => {
    const member = await admit(branchId);
    await database.commands.changeStatus(member.id, 'WITHDRAWN', { effectiveOn, reason: '调离' });
    return member;
  };
  const row = async (memberId: string) =>
    (
      await dataSource.query(
        `SELECT staff_number, name, title, phone, status, branch_id, group_id, name_initials FROM member WHERE id = $1`,
        [memberId],
      )
    )[0];
  const history = (memberId: string) =>
    dataSource.query(
      `SELECT id, change, branch_id, effective_on::text, details FROM member_history WHERE member_id = $1 ORDER BY id`,
      [memberId],
    );
  const lastSeq = async () =>
    Number((await dataSource.query(`SELECT coalesce(max(seq), 0) AS n FROM outbox`))[0].n);
  const eventsSince = async (seq: number): Promise<{ type: string; key: string; message: unknown }[]> =>
    (
      await dataSource.query(
        `SELECT event_type, message_key, payload FROM outbox WHERE seq > $1 ORDER BY seq`,
        [seq],
      )
    ).map((r: { event_type: string; message_key: string; payload: Buffer }) => ({
      type: r.event_type,
      key: r.message_key,
      message: EVENT_REGISTRY.decode(r.event_type, r.payload)!.message,
    }));
  const audited = (memberId: string) =>
    dataSource.query(
      `SELECT action, role, branch_id, before, after, details FROM audit_log WHERE entity_id = $1 ORDER BY id`,
      [memberId],
    );
  const activeIn = async (branchId: string) => {
    const answer = await graphql([hq('VIEWER')], JOIN_RATE, { id: branchId });
    expect(answer.errors).toBeUndefined();
    return answer.data!.branch as { activeMembers: number; joinRateDetail: { members: number } };
  };

  beforeAll(async () => {
    issuer = await createTestIssuer();
    process.env.UNIONFED_JWKS = issuer.env.UNIONFED_JWKS;
    database = await membershipDatabase('member_record_graphql');
    dataSource = database.dataSource;
    structure = new StructureCommands(
      database.unitOfWork,
      database.repository,
      new StructureRepository(dataSource),
    );
    served = await serveMembership(database, issuer, { providers: STRUCTURE_PROVIDERS });
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
    [x, y] = [await open('rx'), await open('ry')];
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
    delete process.env.UNIONFED_JWKS;
  });

  describe('更正会员信息', () => {
    it("corrects the fields given as the branch's officer: the record, PROFILE_UPDATED with before and after, MemberProfileUpdated, an audit row with personal data redacted", async () => {
      const member = await admit(x, '张伟');
      const seq = await lastSeq();
      const answer = await correct(officerOf(x), {
        memberId: member.id,
        name: '张玮',
        title: null,
        phone: '13900000001',
        reason: '录入错误',
      });
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.correctMemberProfile).toEqual({
        id: member.id,
        staffNumber: member.staffNumber,
        name: '张玮',
        gender: 'MALE',
        birthDate: '1980-05-05',
        category: 'TEACHER',
        title: null,
        phone: '13900000001',
        email: null,
        status: 'ACTIVE',
      });
      expect(await row(member.id)).toMatchObject({ name: '张玮', title: null, phone: '13900000001' });
      expect((await row(member.id)).name_initials).toEqual(['z', 'zw']);
      const entries = await history(member.id);
      expect(entries.map((e: { change: string }) => e.change)).toEqual(['JOINED', 'PROFILE_UPDATED']);
      expect(entries[1]).toMatchObject({
        branch_id: x,
        effective_on: TODAY,
        details: {
          fields: 'name,title,phone',
          correction: true,
          before: { name: '张伟', title: '讲师' },
          after: { name: '张玮', title: null },
          reason: '录入错误',
        },
      });
      const events = await eventsSince(seq);
      expect(events.map((e) => e.type)).toEqual([MembershipEvents.MemberProfileUpdated.type]);
      expect(events[0].key).toBe(member.id);
      expect(events[0].message as MemberProfileUpdated).toMatchObject({
        memberId: member.id,
        branchId: x,
        version: entries[1].id,
        profile: { name: '张玮', title: '', phone: '13900000001', staffNumber: member.staffNumber },
      });
      const [, audit] = await audited(member.id);
      expect(audit).toMatchObject({
        action: 'MEMBER_PROFILE_CORRECTED',
        role: 'MEMBERSHIP_OFFICER',
        branch_id: x,
        before: { name: '张伟', title: '讲师', phone: '[REDACTED]' },
        after: { name: '张玮', phone: '[REDACTED]' },
        details: { fields: ['name', 'title', 'phone'], reason: '录入错误' },
      });
      expect(JSON.stringify(audit)).not.toMatch(/1380000000|13900000001/);
    });

    it('finds the member on the roster by the corrected name’s initials, not by the old name', async () => {
      const member = await admit(x, '李明');
      await correct([hq('ADMIN')], { memberId: member.id, name: '黎鸣' });
      const search = async (term: string) =>
        (
          await graphql(
            [hq('VIEWER')],
            `
              query ($f: RosterFilter) {
                members(filter: $f) {
                  edges {
                    node {
                      id
                    }
                  }
                }
              }
            `,
            {
              f: { search: term, branchId: x },
            },
          )
        ).data!.members.edges.map((e: { node: { id: string } }) => e.node.id);
      expect(await search('黎')).toEqual([member.id]);
      expect(await search('李')).toEqual([]);
    });

    it('corrects a staff number (工号), refusing one another member has (CONFLICT)', async () => {
      const [member, other] = [await admit(x), await admit(x)];
      const taken = await correct([hq('ADMIN')], { memberId: member.id, staffNumber: other.staffNumber });
      expect(taken.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'STAFF_NUMBER_TAKEN' });
      const fixed = await correct([hq('ADMIN')], { memberId: member.id, staffNumber: ' mr-fixed ' });
      expect(fixed.data!.correctMemberProfile.staffNumber).toBe('MR-FIXED');
      const found = await graphql(
        [hq('ADMIN')],
        `
          {
            memberByStaffNumber(staffNumber: "MR-FIXED") {
              id
            }
          }
        `,
      );
      expect(found.data!.memberByStaffNumber).toEqual({ id: member.id });
    });

    it('writes nothing for a correction that changes nothing', async () => {
      const member = await admit(x);
      const seq = await lastSeq();
      const answer = await correct([hq('ADMIN')], {
        memberId: member.id,
        name: ` ${member.name} `,
        gender: 'MALE',
      });
      expect(answer.data!.correctMemberProfile).toMatchObject({ name: member.name });
      expect(await eventsSince(seq)).toEqual([]);
      expect((await history(member.id)).length).toBe(1);
      expect((await audited(member.id)).length).toBe(1);
    });

    it("answers another branch's officer NOT_FOUND, naming nothing, and changes nothing", async () => {
      const member = await admit(x, '王芳');
      const seq = await lastSeq();
      const answer = await correct(officerOf(y), { memberId: member.id, name: '王放' });
      expect(answer.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(JSON.stringify(answer)).not.toContain('王芳');
      expect(await row(member.id)).toMatchObject({ name: '王芳' });
      expect(await eventsSince(seq)).toEqual([]);
      expect((await audited(member.id)).map((a: { action: string }) => a.action)).toEqual([
        'MEMBER_ADMITTED',
      ]);
      const viewer = await correct([hq('VIEWER')], { memberId: member.id, name: '王放' });
      expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });

    it.each([
      [{ name: null }, 'FIELD_REQUIRED', 'name'],
      [{ name: '  ' }, 'FIELD_REQUIRED', 'name'],
      [{ staffNumber: 'T 1' }, 'INVALID_STAFF_NUMBER', 'staffNumber'],
      [{ phone: 'abc' }, 'INVALID_PHONE', 'phone'],
      [{ email: 'nope' }, 'INVALID_EMAIL', 'email'],
      [{ birthDate: '2012-01-01' }, 'IMPLAUSIBLE_BIRTH_DATE', 'birthDate'],
    ])('refuses %p as BAD_USER_INPUT (%s, naming %s) and writes nothing', async (input, reason, field) => {
      const member = await admit(x);
      const seq = await lastSeq();
      const answer = await correct([hq('ADMIN')], { memberId: member.id, ...input });
      expect(answer.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason, field });
      expect(await eventsSince(seq)).toEqual([]);
      expect((await history(member.id)).length).toBe(1);
    });
  });

  describe('重新入会', () => {
    it('makes a withdrawn member active again: REINSTATED, MemberReinstated, an audit row, counted in the join rate again', async () => {
      const [leader, member] = [await admit(x), await admit(x)];
      const group = await structure.formUnionGroup({ branchId: x, name: '一组', leaderMemberId: leader.id });
      await structure.assignMemberToGroup({ memberId: member.id, groupId: group.id });
      const active = (await activeIn(x)).activeMembers;
      await database.commands.changeStatus(member.id, 'WITHDRAWN', { effectiveOn: '2024-03-01' });
      expect(await activeIn(x)).toMatchObject({
        activeMembers: active - 1,
        joinRateDetail: { members: active - 1 },
      });
      const seq = await lastSeq();
      const answer = await reinstate(officerOf(x), {
        memberId: member.id,
        effectiveOn: '2025-09-01',
        reason: '调回',
      });
      expect(answer.errors).toBeUndefined();
      expect(answer.data!.reinstateMember).toMatchObject({
        id: member.id,
        status: 'ACTIVE',
        branch: { id: x },
      });
      expect(await row(member.id)).toMatchObject({ status: 'ACTIVE', branch_id: x, group_id: null });
      expect(await activeIn(x)).toMatchObject({ activeMembers: active, joinRateDetail: { members: active } });
      const entries = await history(member.id);
      expect(entries.map((e: { change: string }) => e.change)).toEqual([
        'JOINED',
        'GROUP_CHANGED',
        'WITHDRAWN',
        'REINSTATED',
      ]);
      expect(entries[3]).toMatchObject({
        branch_id: x,
        effective_on: '2025-09-01',
        details: { status: 'ACTIVE', fromGroupId: group.id, reason: '调回' },
      });
      const events = await eventsSince(seq);
      expect(events.map((e) => e.type)).toEqual([MembershipEvents.MemberReinstated.type]);
      expect(events[0]).toMatchObject({
        key: member.id,
        message: {
          memberId: member.id,
          branchId: x,
          fromBranchId: '',
          status: MemberStatus.ACTIVE,
          effectiveOn: { iso: '2025-09-01' },
          reason: '调回',
          version: entries[3].id,
        },
      });
      const audit = (await audited(member.id)).at(-1);
      expect(audit).toMatchObject({
        action: 'MEMBER_REINSTATED',
        role: 'MEMBERSHIP_OFFICER',
        branch_id: x,
        before: { status: 'WITHDRAWN', phone: '[REDACTED]' },
        after: { status: 'ACTIVE' },
        details: { effectiveOn: '2025-09-01', reason: '调回', fromBranchId: null },
      });
    });

    it('rejoins another branch when the caller reaches both; an officer of only the old one is refused', async () => {
      const member = await withdrawn(x);
      const seq = await lastSeq();
      const refused = await reinstate(officerOf(x), { memberId: member.id, branchId: y });
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OUT_OF_SCOPE' });
      expect(await eventsSince(seq)).toEqual([]);
      const moved = await reinstate([hq('ADMIN')], { memberId: member.id, branchId: y });
      expect(moved.data!.reinstateMember).toMatchObject({ status: 'ACTIVE', branch: { id: y } });
      const events = await eventsSince(seq);
      expect(events[0].message as MemberReinstated).toMatchObject({ branchId: y, fromBranchId: x });
      expect((await history(member.id)).at(-1)).toMatchObject({
        change: 'REINSTATED',
        branch_id: y,
        details: { fromBranchId: x },
      });
    });

    it('gives a retiree who withdrew their RETIRED status back, not counted as active', async () => {
      const member = await admit(x);
      await database.commands.changeStatus(member.id, 'RETIRED', { effectiveOn: '2025-07-01' });
      await database.commands.changeStatus(member.id, 'WITHDRAWN', { effectiveOn: '2025-08-01' });
      const active = (await activeIn(x)).activeMembers;
      const answer = await reinstate([hq('ADMIN')], { memberId: member.id });
      expect(answer.data!.reinstateMember).toMatchObject({ status: 'RETIRED' });
      expect((await activeIn(x)).activeMembers).toBe(active);
    });

    it('refuses a retiree and a deceased member (CONFLICT), and another branch’s withdrawn member (NOT_FOUND), changing nothing', async () => {
      const retiree = await admit(x);
      await database.commands.changeStatus(retiree.id, 'RETIRED', {});
      const deceased = await admit(x);
      await database.commands.changeStatus(deceased.id, 'DECEASED', {});
      const other = await withdrawn(x);
      const seq = await lastSeq();
      for (const member of [retiree, deceased]) {
        const answer = await reinstate([hq('ADMIN')], { memberId: member.id });
        expect(answer.errors?.[0]?.extensions).toMatchObject({
          code: 'CONFLICT',
          reason: 'MEMBER_STATUS_CONFLICT',
        });
      }
      const outsider = await reinstate(officerOf(y), { memberId: other.id });
      expect(outsider.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect(await eventsSince(seq)).toEqual([]);
      expect((await row(other.id)).status).toBe('WITHDRAWN');
    });

    it.each([
      ['2024-02-29', 'EFFECTIVE_BEFORE_WITHDRAWAL'],
      ['2999-01-01', 'EFFECTIVE_IN_FUTURE'],
    ])('refuses the effective date %s as BAD_USER_INPUT (%s)', async (effectiveOn, reason) => {
      const member = await withdrawn(x, '2024-03-01');
      const answer = await reinstate([hq('ADMIN')], { memberId: member.id, effectiveOn });
      expect(answer.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason,
        field: 'effectiveOn',
      });
      expect((await row(member.id)).status).toBe('WITHDRAWN');
    });
  });

  it('publishes both through the relay to Kafka, and a membership directory takes the new name and the return', async () => {
    const member = await admit(x, '赵磊');
    await correct([hq('ADMIN')], { memberId: member.id, name: '赵蕾' });
    await database.commands.changeStatus(member.id, 'WITHDRAWN', { effectiveOn: '2024-03-01' });
    await reinstate([hq('ADMIN')], { memberId: member.id });
    const published = await publishToOwnTopic(database, 'membership-records');
    const ofMember = published.filter((e) => e.key === member.id);
    expect(ofMember.map((e) => e.type)).toEqual([
      MembershipEvents.MemberJoined.type,
      MembershipEvents.MemberProfileUpdated.type,
      MembershipEvents.MemberWithdrew.type,
      MembershipEvents.MemberReinstated.type,
    ]);
    // another service's copy of the directory, fed the messages as the broker delivered them
    const directoryDatabase = await createTestDatabase('member_record_directory');
    const directory = createDataSource({
      url: directoryDatabase.url,
      entities: DIRECTORY_ENTITIES,
      migrations: [...MESSAGING_MIGRATIONS, ...DIRECTORY_MIGRATIONS],
      applicationName: 'member-record-directory-test',
    });
    try {
      await migrate(directory);
      const dispatcher = new ServiceConsumers(directory, 'test', EVENT_REGISTRY, [
        new DirectoryConsumer(),
      ]).dispatcher('test.directory');
      const reader = new DirectoryReader(directory, 'test');
      for (const { consumed } of ofMember.slice(0, 3))
        await dispatcher.dispatch(consumed.message, consumed.topic, consumed.partition);
      expect(await reader.member(member.id)).toMatchObject({ name: '赵蕾', status: 'WITHDRAWN' });
      await dispatcher.dispatch(
        ofMember[3].consumed.message,
        ofMember[3].consumed.topic,
        ofMember[3].consumed.partition,
      );
      expect(await reader.member(member.id)).toMatchObject({ name: '赵蕾', status: 'ACTIVE', branchId: x });
    } finally {
      await directory.destroy();
      await directoryDatabase.drop();
    }
  });
});
