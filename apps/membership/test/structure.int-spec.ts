import type { DataSource } from 'typeorm';
import { Reach } from '@unionfed/auth';
import { ConflictError, InvalidInputError, todayInShanghai } from '@unionfed/domain-kit';
import {
  EVENT_REGISTRY,
  MembershipEvents,
  type BranchMerged,
  type BranchUpdated,
  type CommitteeRoleEnded,
  type MemberTransferred,
} from '@unionfed/contracts';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { StructureCommands } from '../src/application/structure.commands';
import { StructureRepository } from '../src/infrastructure/structure.repository';
import { rosterCriteria } from '../src/domain/roster';
import type { Member } from '../src/domain/member';

describe('federation structure: union groups, committees, merges (real PostgreSQL)', () => {
  let database: MembershipDatabase;
  let dataSource: DataSource;
  let commands: MembershipDatabase['commands'];
  let structure: StructureCommands;
  let repository: StructureRepository;
  let campusId: string;
  let branchNo = 0;
  let staffNo = 0;
  const today = todayInShanghai();

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await dataSource.query(sql, params))[0].n);
  const events = () => count(`SELECT count(*) AS n FROM outbox`);
  const eventTypes = async (key: string) =>
    (await dataSource.query(`SELECT event_type FROM outbox WHERE message_key = $1 ORDER BY seq`, [key])).map(
      (r: { event_type: string }) => r.event_type,
    );
  const decodedSince = async <T>(seq: number, type: string): Promise<T[]> =>
    (
      await dataSource.query(
        `SELECT event_type, payload FROM outbox WHERE seq > $1 AND event_type = $2 ORDER BY seq`,
        [seq, type],
      )
    ).map(
      (r: { event_type: string; payload: Buffer }) =>
        EVENT_REGISTRY.decode(r.event_type, r.payload)!.message as T,
    );
  const lastSeq = async () =>
    Number((await dataSource.query(`SELECT coalesce(max(seq), 0) AS n FROM outbox`))[0].n);
  const history = async (memberId: string) =>
    dataSource.query(
      `SELECT change, branch_id AS "branchId", effective_on::text AS "effectiveOn", details
         FROM member_history WHERE member_id = $1 ORDER BY effective_on, recorded_at`,
      [memberId],
    );

  const openBranch = async (staffHeadcount = 50) =>
    commands.openBranch({
      campusId,
      code: `b${++branchNo}`,
      name: `第${branchNo}分工会`,
      kind: 'COLLEGE',
      staffHeadcount,
    });
  const admit = (branchId: string, joinedOn = '2015-09-01'): Promise<Member> =>
    commands.admitMember({
      branchId,
      staffNumber: `S${++staffNo}`,
      name: `会员${staffNo}`,
      gender: staffNo % 2 ? 'FEMALE' : 'MALE',
      category: 'TEACHER',
      joinedOn,
    });

  beforeAll(async () => {
    database = await membershipDatabase('structure');
    ({ dataSource, commands } = database);
    repository = new StructureRepository(dataSource);
    structure = new StructureCommands(database.unitOfWork, database.repository, repository);
    campusId = (await commands.openCampus({ code: 'main', name: '本部校区' })).id;
  });

  afterAll(async () => {
    await database?.drop();
  });

  describe('union groups (工会小组)', () => {
    it('forms a group with its leader, who joins it: group, appointment, history and three events in one transaction', async () => {
      const branch = await openBranch();
      const leader = await admit(branch.id);
      const before = await events();
      const group = await structure.formUnionGroup({
        branchId: branch.id,
        name: '软件工程教研室小组',
        leaderMemberId: leader.id,
        formedOn: '2020-09-01',
      });
      expect(await repository.groupsOf(branch.id, today)).toEqual([
        expect.objectContaining({
          id: group.id,
          name: '软件工程教研室小组',
          memberCount: 1,
          leaderMemberId: leader.id,
        }),
      ]);
      expect(await history(leader.id)).toEqual([
        expect.objectContaining({ change: 'JOINED' }),
        {
          change: 'GROUP_CHANGED',
          branchId: branch.id,
          effectiveOn: '2020-09-01',
          details: { groupId: group.id, fromGroupId: null },
        },
      ]);
      expect(await events()).toBe(before + 3);
      expect(await eventTypes(group.id)).toEqual([MembershipEvents.UnionGroupFormed.type]);
      expect(await eventTypes(branch.id)).toEqual([
        MembershipEvents.BranchOpened.type,
        MembershipEvents.CommitteeRoleAssigned.type,
      ]);
    });

    it('refuses a leader who is not a member of that branch, writing nothing', async () => {
      const branch = await openBranch();
      const outsider = await admit((await openBranch()).id);
      const before = { events: await events(), groups: await count(`SELECT count(*) AS n FROM union_group`) };
      await expect(
        structure.formUnionGroup({ branchId: branch.id, name: '外人小组', leaderMemberId: outsider.id }),
      ).rejects.toMatchObject({ reason: 'APPOINTEE_OF_ANOTHER_BRANCH' });
      expect({
        events: await events(),
        groups: await count(`SELECT count(*) AS n FROM union_group`),
      }).toEqual(before);
    });

    it('assigns and unassigns members, filters the roster by group, and keeps the leader in the group', async () => {
      const branch = await openBranch();
      const [leader, a, b] = [await admit(branch.id), await admit(branch.id), await admit(branch.id)];
      const group = await structure.formUnionGroup({
        branchId: branch.id,
        name: '网络小组',
        leaderMemberId: leader.id,
        formedOn: '2021-01-01',
      });
      const other = await structure.formUnionGroup({
        branchId: branch.id,
        name: '数据库小组',
        leaderMemberId: b.id,
        formedOn: '2021-01-01',
      });
      await structure.assignMemberToGroup({ memberId: a.id, groupId: group.id, effectiveOn: '2022-03-01' });
      const inGroup = async (groupId: string) =>
        (
          await database.repository.roster(
            rosterCriteria({ groupId }, today),
            100,
            undefined,
            Reach.EVERYTHING,
          )
        ).rows
          .map((m) => m.id)
          .sort();
      expect(await inGroup(group.id)).toEqual([leader.id, a.id].sort());
      expect(await inGroup(other.id)).toEqual([b.id]);
      expect(await inGroup('not-a-uuid')).toEqual([]);

      const before = await events();
      await structure.assignMemberToGroup({ memberId: a.id, groupId: other.id });
      expect(await inGroup(other.id)).toEqual([a.id, b.id].sort());
      await structure.unassignMemberFromGroup({ memberId: a.id });
      expect(await inGroup(other.id)).toEqual([b.id]);
      expect(await eventTypes(a.id)).toEqual([
        MembershipEvents.MemberJoined.type,
        MembershipEvents.MemberGroupChanged.type,
        MembershipEvents.MemberGroupChanged.type,
        MembershipEvents.MemberGroupChanged.type,
      ]);
      expect(await events()).toBe(before + 2);

      await expect(structure.unassignMemberFromGroup({ memberId: leader.id })).rejects.toMatchObject({
        reason: 'GROUP_LEADER_CANNOT_LEAVE',
      });
      await expect(
        structure.assignMemberToGroup({ memberId: leader.id, groupId: other.id }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await events()).toBe(before + 2);
    });

    it('refuses a second active group of the same name in a branch', async () => {
      const branch = await openBranch();
      const [x, y] = [await admit(branch.id), await admit(branch.id)];
      const group = await structure.formUnionGroup({
        branchId: branch.id,
        name: '行政小组',
        leaderMemberId: x.id,
      });
      await expect(
        structure.formUnionGroup({ branchId: branch.id, name: '行政 小组', leaderMemberId: y.id }),
      ).rejects.toMatchObject({ reason: 'GROUP_NAME_TAKEN' });
      const renamed = await structure.renameUnionGroup(group.id, '综合办公室小组');
      expect(renamed.name).toBe('综合办公室小组');
      expect(await eventTypes(group.id)).toEqual([
        MembershipEvents.UnionGroupFormed.type,
        MembershipEvents.UnionGroupRenamed.type,
      ]);
    });

    it('hands the leadership over: the old term ends the day before the new one starts', async () => {
      const branch = await openBranch();
      const [first, second] = [await admit(branch.id), await admit(branch.id)];
      const group = await structure.formUnionGroup({
        branchId: branch.id,
        name: '实验室小组',
        leaderMemberId: first.id,
        formedOn: '2020-01-01',
      });
      const successor = await structure.changeUnionGroupLeader({
        groupId: group.id,
        memberId: second.id,
        effectiveOn: '2024-09-01',
      });
      expect(successor).toMatchObject({ memberId: second.id, role: 'GROUP_LEADER', startsOn: '2024-09-01' });
      const leaders = await repository.committee(branch.id, undefined);
      expect(leaders.map((a) => [a.memberId, a.startsOn, a.endsOn])).toEqual([
        [first.id, '2020-01-01', '2024-08-31'],
        [second.id, '2024-09-01', null],
      ]);
      expect((await repository.groupRow(group.id, today))?.leaderMemberId).toBe(second.id);
      expect((await repository.groupRow(group.id, '2023-01-01'))?.leaderMemberId).toBe(first.id);
      // the former leader may now leave the group
      await structure.unassignMemberFromGroup({ memberId: first.id });
    });

    it('dissolves a group: its leader’s term ends and everyone in it leaves it, the record stays', async () => {
      const branch = await openBranch();
      const [leader, member] = [await admit(branch.id), await admit(branch.id)];
      const group = await structure.formUnionGroup({
        branchId: branch.id,
        name: '后勤小组',
        leaderMemberId: leader.id,
        formedOn: '2020-01-01',
      });
      await structure.assignMemberToGroup({
        memberId: member.id,
        groupId: group.id,
        effectiveOn: '2021-01-01',
      });
      await structure.dissolveUnionGroup(group.id, { effectiveOn: '2025-01-01' });
      expect(await repository.groupsOf(branch.id, today)).toEqual([]);
      expect(await repository.groupsOf(branch.id, today, true)).toEqual([
        expect.objectContaining({ status: 'DISSOLVED', dissolvedOn: '2025-01-01', memberCount: 0 }),
      ]);
      expect(await count(`SELECT count(*) AS n FROM member WHERE group_id = $1`, [group.id])).toBe(0);
      expect((await repository.committee(branch.id, undefined))[0]).toMatchObject({
        endsOn: '2024-12-31',
        endReason: 'GROUP_DISSOLVED',
      });
      expect((await history(member.id)).at(-1)).toMatchObject({
        change: 'GROUP_CHANGED',
        effectiveOn: '2025-01-01',
      });
    });
  });

  describe('committees (委员会) with terms', () => {
    it('keeps one chair per committee term and lists the committee as of a day and over time', async () => {
      const branch = await openBranch();
      const [chair, vice, next] = [await admit(branch.id), await admit(branch.id), await admit(branch.id)];
      const first = await structure.appointCommitteeMember({
        branchId: branch.id,
        memberId: chair.id,
        role: 'CHAIR',
        startsOn: '2021-01-01',
      });
      await structure.appointCommitteeMember({
        branchId: branch.id,
        memberId: vice.id,
        role: 'VICE_CHAIR',
        startsOn: '2021-01-01',
      });
      const before = await events();
      await expect(
        structure.appointCommitteeMember({
          branchId: branch.id,
          memberId: next.id,
          role: 'CHAIR',
          startsOn: '2024-01-01',
        }),
      ).rejects.toMatchObject({
        reason: 'ROLE_TAKEN',
        message: expect.stringContaining('end that appointment first'),
      });
      expect(await events()).toBe(before);

      await structure.endCommitteeAppointment(first.id, { endsOn: '2023-12-31', reason: '换届' });
      await structure.appointCommitteeMember({
        branchId: branch.id,
        memberId: next.id,
        role: 'CHAIR',
        startsOn: '2024-01-01',
      });

      const on = async (day: string | undefined) =>
        (await repository.committee(branch.id, day)).map((a) => [a.role, a.memberId]);
      expect(await on('2022-06-01')).toEqual([
        ['CHAIR', chair.id],
        ['VICE_CHAIR', vice.id],
      ]);
      expect(await on(today)).toEqual([
        ['CHAIR', next.id],
        ['VICE_CHAIR', vice.id],
      ]);
      expect(await on(undefined)).toEqual([
        ['CHAIR', chair.id],
        ['CHAIR', next.id],
        ['VICE_CHAIR', vice.id],
      ]);
      expect(await eventTypes(branch.id)).toEqual([
        MembershipEvents.BranchOpened.type,
        MembershipEvents.CommitteeRoleAssigned.type,
        MembershipEvents.CommitteeRoleAssigned.type,
        MembershipEvents.CommitteeRoleEnded.type,
        MembershipEvents.CommitteeRoleAssigned.type,
      ]);
    });

    it('lets exactly one of several simultaneous chair appointments win', async () => {
      const branch = await openBranch();
      const candidates = await Promise.all([admit(branch.id), admit(branch.id), admit(branch.id)]);
      const attempts = await Promise.allSettled(
        candidates.map((m) =>
          structure.appointCommitteeMember({
            branchId: branch.id,
            memberId: m.id,
            role: 'CHAIR',
            startsOn: '2022-01-01',
          }),
        ),
      );
      expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
      for (const failed of attempts.filter((a) => a.status === 'rejected')) {
        expect((failed as PromiseRejectedResult).reason).toMatchObject({ reason: 'ROLE_TAKEN' });
      }
      expect(
        await count(`SELECT count(*) AS n FROM committee_appointment WHERE branch_id = $1`, [branch.id]),
      ).toBe(1);
    });

    it('appoints members of any branch to the federation committee (校工会), keyed "federation"', async () => {
      const [x, y] = [await admit((await openBranch()).id), await admit((await openBranch()).id)];
      await structure.appointCommitteeMember({ memberId: x.id, role: 'CHAIR', startsOn: '2022-01-01' });
      await structure.appointCommitteeMember({
        memberId: y.id,
        role: 'AUDIT_COMMITTEE',
        startsOn: '2022-01-01',
      });
      expect((await repository.committee(undefined, today)).map((a) => [a.role, a.memberName])).toEqual([
        ['CHAIR', x.name],
        ['AUDIT_COMMITTEE', y.name],
      ]);
      expect(await eventTypes('federation')).toEqual([
        MembershipEvents.CommitteeRoleAssigned.type,
        MembershipEvents.CommitteeRoleAssigned.type,
      ]);
      await expect(
        structure.appointCommitteeMember({ memberId: y.id, role: 'VICE_CHAIR', startsOn: '2023-01-01' }),
      ).rejects.toMatchObject({ reason: 'INCOMPATIBLE_ROLES' });
    });

    it('ends the terms of a member who retires, and a transferred member’s terms on the old branch only', async () => {
      const branch = await openBranch();
      const other = await openBranch();
      const [retiring, moving] = [await admit(branch.id), await admit(branch.id)];
      await structure.appointCommitteeMember({
        branchId: branch.id,
        memberId: retiring.id,
        role: 'WOMEN_COMMITTEE',
        startsOn: '2020-01-01',
      });
      await structure.appointCommitteeMember({
        branchId: branch.id,
        memberId: moving.id,
        role: 'COMMITTEE',
        startsOn: '2020-01-01',
      });
      await structure.appointCommitteeMember({
        memberId: moving.id,
        role: 'COMMITTEE',
        startsOn: '2020-01-01',
      });
      const seq = await lastSeq();
      await commands.changeStatus(retiring.id, 'RETIRED', { effectiveOn: '2025-07-01' });
      await database.transferAsHq(moving.id, other.id, '2025-09-01');
      const terms = await dataSource.query(
        `SELECT member_id AS "memberId", branch_id AS "branchId", ends_on::text AS "endsOn", end_reason AS "endReason"
           FROM committee_appointment WHERE member_id = ANY($1) ORDER BY member_id, branch_id NULLS LAST`,
        [[retiring.id, moving.id]],
      );
      expect(terms).toEqual(
        expect.arrayContaining([
          { memberId: retiring.id, branchId: branch.id, endsOn: '2025-06-30', endReason: 'MEMBER_RETIRED' },
          { memberId: moving.id, branchId: branch.id, endsOn: '2025-08-31', endReason: 'MEMBER_TRANSFERRED' },
          { memberId: moving.id, branchId: null, endsOn: null, endReason: null },
        ]),
      );
      const ended = await decodedSince<CommitteeRoleEnded>(seq, MembershipEvents.CommitteeRoleEnded.type);
      expect(ended.map((e) => [e.memberId, e.endsOn?.iso])).toEqual([
        [retiring.id, '2025-06-30'],
        [moving.id, '2025-08-31'],
      ]);
      await expect(
        structure.appointCommitteeMember({ branchId: branch.id, memberId: retiring.id, role: 'COMMITTEE' }),
      ).rejects.toMatchObject({ reason: 'APPOINTEE_NOT_ACTIVE' });
    });
  });

  describe('merging and dissolving branches', () => {
    it('moves exactly the active members to the target, with one TRANSFERRED entry and one event each; the source is MERGED', async () => {
      const source = await openBranch(30);
      const target = await openBranch(80);
      const active = [
        await admit(source.id, '2010-09-01'),
        await admit(source.id, '2018-03-01'),
        await admit(source.id),
      ];
      const retiree = await admit(source.id, '1990-09-01');
      await commands.changeStatus(retiree.id, 'RETIRED', { effectiveOn: '2022-07-01' });
      const stays = await admit(target.id);
      const group = await structure.formUnionGroup({
        branchId: source.id,
        name: '老教研室小组',
        leaderMemberId: active[0].id,
        formedOn: '2020-01-01',
      });
      await structure.appointCommitteeMember({
        branchId: source.id,
        memberId: active[1].id,
        role: 'CHAIR',
        startsOn: '2021-01-01',
      });
      const historyBefore = await count(`SELECT count(*) AS n FROM member_history`);
      const seq = await lastSeq();

      const merge = await structure.mergeBranches({
        sourceBranchId: source.id,
        targetBranchId: target.id,
        effectiveOn: '2026-09-01',
      });

      expect(merge.movedMembers.map((m) => m.id).sort()).toEqual(active.map((m) => m.id).sort());
      const rows = await dataSource.query(
        `SELECT id, branch_id AS "branchId", status, group_id AS "groupId" FROM member WHERE id = ANY($1)`,
        [[...active, retiree, stays].map((m) => m.id)],
      );
      expect(rows).toEqual(
        expect.arrayContaining([
          ...active.map((m) => ({ id: m.id, branchId: target.id, status: 'ACTIVE', groupId: null })),
          { id: retiree.id, branchId: source.id, status: 'RETIRED', groupId: null },
          { id: stays.id, branchId: target.id, status: 'ACTIVE', groupId: null },
        ]),
      );
      for (const member of active) {
        expect(
          (await history(member.id)).filter((h: { change: string }) => h.change === 'TRANSFERRED'),
        ).toEqual([
          {
            change: 'TRANSFERRED',
            branchId: target.id,
            effectiveOn: '2026-09-01',
            details: { fromBranchId: source.id, branchMerge: true },
          },
        ]);
        expect(
          await count(`SELECT count(*) AS n FROM outbox WHERE seq > $1 AND message_key = $2`, [
            seq,
            member.id,
          ]),
        ).toBe(1);
      }
      // the leader was taken out of the dissolved group by the transfer: no further history for the movers
      expect(await count(`SELECT count(*) AS n FROM member_history`)).toBe(historyBefore + active.length);
      const transfers = await decodedSince<MemberTransferred>(seq, MembershipEvents.MemberTransferred.type);
      expect(transfers).toHaveLength(3);
      expect(
        transfers.every((t) => t.branchMerge && t.fromBranchId === source.id && t.toBranchId === target.id),
      ).toBe(true);

      expect(await database.repository.findBranch(source.id)).toMatchObject({
        status: 'MERGED',
        mergedIntoId: target.id,
        closedOn: '2026-09-01',
        staffHeadcount: 0,
      });
      expect(await database.repository.findBranch(target.id)).toMatchObject({
        status: 'ACTIVE',
        staffHeadcount: 110,
      });
      expect(await repository.groupsOf(source.id, today, true)).toEqual([
        expect.objectContaining({ id: group.id, status: 'DISSOLVED', dissolvedOn: '2026-09-01' }),
      ]);
      expect(await repository.committee(source.id, today)).toEqual([]);

      const [merged] = await decodedSince<BranchMerged>(seq, MembershipEvents.BranchMerged.type);
      expect(merged).toMatchObject({
        sourceBranchId: source.id,
        targetBranchId: target.id,
        movedMembers: 3,
        movedStaffHeadcount: 30,
        effectiveOn: { iso: '2026-09-01' },
      });
      const [updated] = await decodedSince<BranchUpdated>(seq, MembershipEvents.BranchUpdated.type);
      expect(updated).toMatchObject({ branchId: target.id, staffHeadcount: 110 });

      // a merged branch admits nobody and cannot merge again
      await expect(admit(source.id)).rejects.toMatchObject({ reason: 'BRANCH_NOT_ACTIVE' });
      await expect(
        structure.mergeBranches({ sourceBranchId: source.id, targetBranchId: target.id }),
      ).rejects.toBeInstanceOf(ConflictError);
    });

    it('leaves no active member behind when admissions race the merge', async () => {
      const source = await openBranch();
      const target = await openBranch();
      await Promise.all([admit(source.id), admit(source.id)]);
      const racing = await Promise.allSettled([
        admit(source.id),
        structure.mergeBranches({ sourceBranchId: source.id, targetBranchId: target.id }),
        admit(source.id),
      ]);
      expect(racing[1].status).toBe('fulfilled');
      for (const admission of [racing[0], racing[2]].filter((r) => r.status === 'rejected')) {
        expect((admission as PromiseRejectedResult).reason).toMatchObject({ reason: 'BRANCH_NOT_ACTIVE' });
      }
      expect(
        await count(`SELECT count(*) AS n FROM member WHERE branch_id = $1 AND status = 'ACTIVE'`, [
          source.id,
        ]),
      ).toBe(0);
      const moved = (racing[1] as PromiseFulfilledResult<{ movedMembers: Member[] }>).value.movedMembers;
      expect(moved.length).toBe(2 + racing.filter((r, i) => i !== 1 && r.status === 'fulfilled').length);
    });

    it('refuses a merge dated before a moving member joined, moving nobody', async () => {
      const source = await openBranch();
      const target = await openBranch();
      await admit(source.id, '2024-01-01');
      const before = await events();
      await expect(
        structure.mergeBranches({
          sourceBranchId: source.id,
          targetBranchId: target.id,
          effectiveOn: '2023-01-01',
        }),
      ).rejects.toBeInstanceOf(InvalidInputError);
      expect(await events()).toBe(before);
      expect((await database.repository.findBranch(source.id))?.status).toBe('ACTIVE');
    });

    it('refuses to dissolve a branch with active members, with a clear CONFLICT, and writes nothing', async () => {
      const branch = await openBranch();
      await admit(branch.id);
      await admit(branch.id);
      const before = await events();
      await expect(structure.dissolveBranch({ branchId: branch.id })).rejects.toMatchObject({
        kind: 'CONFLICT',
        reason: 'BRANCH_HAS_ACTIVE_MEMBERS',
        message: expect.stringContaining('still has 2 active members'),
      });
      expect(await events()).toBe(before);
      expect((await database.repository.findBranch(branch.id))?.status).toBe('ACTIVE');
    });

    it('dissolves a branch whose members have all left; their records stay with it', async () => {
      const branch = await openBranch();
      const other = await openBranch();
      const [leaving, retiring] = [await admit(branch.id), await admit(branch.id)];
      await database.transferAsHq(leaving.id, other.id, '2025-01-01');
      await commands.changeStatus(retiring.id, 'RETIRED', { effectiveOn: '2025-01-01' });
      await structure.dissolveBranch({ branchId: branch.id, effectiveOn: '2025-12-31', reason: '机构调整' });
      expect(await database.repository.findBranch(branch.id)).toMatchObject({
        status: 'DISSOLVED',
        closedOn: '2025-12-31',
      });
      expect(await eventTypes(branch.id)).toEqual([
        MembershipEvents.BranchOpened.type,
        MembershipEvents.BranchDissolved.type,
      ]);
      expect((await database.repository.findMember(retiring.id))?.branchId).toBe(branch.id);
      await expect(admit(branch.id)).rejects.toMatchObject({ reason: 'BRANCH_NOT_ACTIVE' });
    });
  });
});
