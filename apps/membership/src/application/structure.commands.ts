import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { ConflictError, NotFoundError, todayInShanghai } from '@unionfed/domain-kit';
import { inTransaction, uuidv7 } from '@unionfed/persistence';
import { Outbox, type OutboxContext } from '@unionfed/messaging';
import type { EncodedEvent } from '@unionfed/contracts';
import type { Branch } from '../domain/structure';
import type { Member } from '../domain/member';
import {
  changeGroup,
  dissolveUnionGroup,
  dissolveWithBranch,
  formUnionGroup,
  leaveDissolvedGroup,
  renameUnionGroup,
  type UnionGroup,
} from '../domain/union-group';
import {
  appoint,
  closeAppointment,
  endAppointment,
  handOverLeadership,
  termsOverlap,
  type AppointInput,
  type CommitteeAppointment,
} from '../domain/committee';
import { dissolveBranch, mergeBranches } from '../domain/reorganisation';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { StructureRepository } from '../infrastructure/structure.repository';
import {
  branchDissolved,
  branchMerged,
  branchUpdated,
  committeeRoleAssigned,
  committeeRoleEnded,
  memberGroupChanged,
  memberMovedByMerge,
  unionGroupDissolved,
  unionGroupFormed,
  unionGroupRenamed,
} from '../infrastructure/structure-events';

const UNIQUE_VIOLATION = '23505';
const DEADLOCK = '40P01';
/** PostgreSQL takes at most 65535 parameters per statement; an outbox row takes 6. */
const EVENTS_PER_INSERT = 5000;

const driverCode = (error: unknown) =>
  error instanceof QueryFailedError
    ? (error as QueryFailedError & { driverError?: { code?: string; constraint?: string } }).driverError
    : undefined;

function groupNameTaken(error: unknown, name: string): ConflictError | undefined {
  const driver = driverCode(error);
  if (driver?.code === UNIQUE_VIOLATION && driver.constraint === 'union_group_active_name') {
    return new ConflictError(`the branch already has a union group named ${name}`, 'GROUP_NAME_TAKEN', {
      name,
    });
  }
  return undefined;
}

/**
 * A merge locks two branches and then their members, a transfer a member and then its branch: when both meet,
 * PostgreSQL aborts one of them. The aborted one is simply tried again.
 */
async function retryingDeadlocks<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= attempts || driverCode(error)?.code !== DEADLOCK) throw error;
    }
  }
}

async function addEvents(
  outbox: Outbox,
  manager: EntityManager,
  events: EncodedEvent[],
  context: OutboxContext,
): Promise<void> {
  for (let from = 0; from < events.length; from += EVENTS_PER_INSERT) {
    await outbox.add(manager, events.slice(from, from + EVENTS_PER_INSERT), context);
  }
}

export interface MergeResult {
  source: Branch;
  target: Branch;
  movedMembers: Member[];
}

/**
 * The federation's structure: union groups, committee appointments, branch merges and dissolutions. Like every
 * membership command, each one stores its changes, the members' history entries and its integration events in
 * ONE transaction.
 *
 * Locks are taken in one order — branch, the branch's structure lock (`lockCommittee`), groups, members — so
 * that these commands never wait on each other in a circle.
 */
@Injectable()
export class StructureCommands {
  constructor(
    private readonly dataSource: DataSource,
    private readonly members: MembershipRepository,
    private readonly structure: StructureRepository,
    private readonly outbox: Outbox,
  ) {}

  /** 成立工会小组 with its leader (组长), who becomes a member of the group. */
  async formUnionGroup(
    input: { branchId: string; name: string; leaderMemberId: string; formedOn?: string | null },
    context: OutboxContext = {},
  ): Promise<UnionGroup> {
    try {
      return await inTransaction(this.dataSource, async (manager) => {
        const branch = await this.members.findBranch(input.branchId, manager, true);
        if (!branch) throw new NotFoundError('Branch', input.branchId);
        await this.structure.lockCommittee(manager, branch.id);
        const taken = (await this.structure.activeGroupsOf(manager, branch.id)).map((g) => g.name);
        const group = formUnionGroup(uuidv7(), branch, input, taken);
        await this.structure.insertGroup(manager, group);
        const leader = await this.appointLeader(
          manager,
          branch,
          group,
          input.leaderMemberId,
          group.formedOn,
          [],
        );
        await addEvents(
          this.outbox,
          manager,
          [unionGroupFormed(group, input.leaderMemberId), ...leader.events],
          context,
        );
        return group;
      });
    } catch (error) {
      throw groupNameTaken(error, input.name.trim()) ?? error;
    }
  }

  async renameUnionGroup(groupId: string, name: string, context: OutboxContext = {}): Promise<UnionGroup> {
    try {
      return await inTransaction(this.dataSource, async (manager) => {
        const group = await this.lockGroup(manager, groupId, 'pessimistic_write');
        const taken = (await this.structure.activeGroupsOf(manager, group.branchId)).map((g) => g.name);
        const renamed = renameUnionGroup(group, name, taken);
        await this.structure.saveGroup(manager, renamed);
        await this.outbox.add(manager, unionGroupRenamed(renamed), context);
        return renamed;
      });
    } catch (error) {
      throw groupNameTaken(error, name.trim()) ?? error;
    }
  }

  /** 撤销工会小组: its leader's term ends and its members are taken out of it (the record stays). */
  dissolveUnionGroup(
    groupId: string,
    input: { effectiveOn?: string | null },
    context: OutboxContext = {},
  ): Promise<UnionGroup> {
    return inTransaction(this.dataSource, async (manager) => {
      const group = await this.lockGroup(manager, groupId, 'pessimistic_write');
      const dissolved = dissolveUnionGroup(group, input);
      const events = await this.closeGroup(manager, dissolved, 'GROUP_DISSOLVED');
      await addEvents(this.outbox, manager, events, context);
      return dissolved;
    });
  }

  /** Puts an active member into a union group of their branch (or moves them from the one they are in). */
  assignMemberToGroup(
    input: { memberId: string; groupId: string; effectiveOn?: string | null },
    context: OutboxContext = {},
  ): Promise<Member> {
    return inTransaction(this.dataSource, async (manager) => {
      // group before member, as a dissolution locks them
      const group = await this.structure.findGroup(input.groupId, manager, 'pessimistic_read');
      if (!group) throw new NotFoundError('UnionGroup', input.groupId);
      return this.changeGroupOf(manager, input.memberId, group, input.effectiveOn, context);
    });
  }

  /** Takes a member out of their union group. */
  unassignMemberFromGroup(
    input: { memberId: string; effectiveOn?: string | null },
    context: OutboxContext = {},
  ): Promise<Member> {
    return inTransaction(this.dataSource, (manager) =>
      this.changeGroupOf(manager, input.memberId, undefined, input.effectiveOn, context),
    );
  }

  /** 更换组长: the current leader's term ends the day before the successor's starts. */
  changeUnionGroupLeader(
    input: { groupId: string; memberId: string; effectiveOn?: string | null },
    context: OutboxContext = {},
  ): Promise<CommitteeAppointment> {
    return inTransaction(this.dataSource, async (manager) => {
      const found = await this.structure.findGroup(input.groupId, manager);
      if (!found) throw new NotFoundError('UnionGroup', input.groupId);
      const branch = await this.members.findBranch(found.branchId, manager, true);
      const group = await this.lockGroup(manager, input.groupId, 'pessimistic_read');
      const today = todayInShanghai();
      const leaders = await this.structure.leadersOfGroup(manager, group.id);
      const day = input.effectiveOn ?? today;
      const current = leaders.find((a) => termsOverlap(a, { startsOn: day }));
      const { startsOn, ended } = handOverLeadership(current, input.memberId, input, today);
      const events: EncodedEvent[] = [];
      if (ended) {
        await this.structure.saveAppointmentEnd(manager, ended);
        events.push(committeeRoleEnded(ended));
      }
      const successor = await this.appointLeader(
        manager,
        branch!,
        group,
        input.memberId,
        startsOn,
        ended ? [ended] : [],
      );
      await addEvents(this.outbox, manager, [...events, ...successor.events], context);
      return successor.appointment;
    });
  }

  /**
   * 任命: appoints a member to a role of a branch's committee (or, without a branch, of the federation's) for a
   * term. A group leader also becomes a member of the group they lead.
   */
  appointCommitteeMember(
    input: AppointInput & { branchId?: string | null; memberId: string },
    context: OutboxContext = {},
  ): Promise<CommitteeAppointment> {
    return inTransaction(this.dataSource, async (manager) => {
      const branch = input.branchId
        ? await this.members.findBranch(input.branchId, manager, true)
        : undefined;
      if (input.branchId && !branch) throw new NotFoundError('Branch', input.branchId);
      await this.structure.lockCommittee(manager, branch?.id);
      const group = input.groupId
        ? await this.structure.findGroup(input.groupId, manager, 'pessimistic_read')
        : undefined;
      if (input.groupId && !group) throw new NotFoundError('UnionGroup', input.groupId);
      const member = await this.members.findMember(input.memberId, manager, true);
      if (!member) throw new NotFoundError('Member', input.memberId);
      const existing = await this.structure.appointmentsOfCommittee(manager, branch?.id);
      const appointment = appoint(uuidv7(), branch, member, input, { group, existing });
      await this.structure.insertAppointment(manager, appointment);
      const events = [committeeRoleAssigned(appointment)];
      if (group && member.groupId !== group.id) {
        events.push(await this.moveIntoGroup(manager, member, group, appointment.startsOn));
      }
      await addEvents(this.outbox, manager, events, context);
      return appointment;
    });
  }

  /** 免职 / 届满: ends an appointment on its last day in office. */
  endCommitteeAppointment(
    appointmentId: string,
    input: { endsOn?: string | null; reason?: string | null },
    context: OutboxContext = {},
  ): Promise<CommitteeAppointment> {
    return inTransaction(this.dataSource, async (manager) => {
      const found = await this.structure.findAppointment(appointmentId, manager);
      if (!found) throw new NotFoundError('CommitteeAppointment', appointmentId);
      await this.structure.lockCommittee(manager, found.branchId ?? undefined);
      // read again under the committee's lock: another end may have committed meanwhile
      const appointment = (await this.structure.findAppointment(appointmentId, manager))!;
      const ended = endAppointment(appointment, input);
      await this.structure.saveAppointmentEnd(manager, ended);
      await this.outbox.add(manager, committeeRoleEnded(ended), context);
      return ended;
    });
  }

  /**
   * 分工会合并: every active member of the source moves to the target (one history entry and one
   * MemberTransferred each), the source's groups dissolve and its committee's terms end, the source becomes
   * MERGED into the target and its headcount moves there.
   */
  mergeBranches(
    input: { sourceBranchId: string; targetBranchId: string; effectiveOn?: string | null },
    context: OutboxContext = {},
  ): Promise<MergeResult> {
    return retryingDeadlocks(() =>
      inTransaction(this.dataSource, async (manager) => {
        const branches = await this.structure.lockBranches(manager, [
          input.sourceBranchId,
          input.targetBranchId,
        ]);
        const source = branches.get(input.sourceBranchId);
        if (!source) throw new NotFoundError('Branch', input.sourceBranchId);
        const target = branches.get(input.targetBranchId);
        if (!target) throw new NotFoundError('Branch', input.targetBranchId);
        await this.structure.lockCommittee(manager, source.id);
        await this.structure.activeGroupsOf(manager, source.id, true);
        const active = await this.structure.activeMembersOf(manager, source.id);
        const merge = mergeBranches(source, target, active, input);
        const events: EncodedEvent[] = [];
        for (const { member, history } of merge.moves) {
          const version = uuidv7();
          await this.members.recordChange(manager, member, { id: version, ...history });
          events.push(memberMovedByMerge(member, source.id, merge.effectiveOn, version));
        }
        events.push(
          ...(await this.closeBranchStructure(manager, source.id, merge.effectiveOn, 'BRANCH_MERGED')),
        );
        await this.structure.saveBranch(manager, merge.source);
        await this.structure.saveBranch(manager, merge.target);
        events.push(
          branchMerged(
            merge.source,
            merge.target,
            merge.effectiveOn,
            merge.moves.length,
            source.staffHeadcount,
          ),
          branchUpdated(merge.target),
        );
        await addEvents(this.outbox, manager, events, context);
        return { source: merge.source, target: merge.target, movedMembers: merge.moves.map((m) => m.member) };
      }),
    );
  }

  /** 撤销分工会: only without active members; its groups dissolve and its committee's terms end. */
  dissolveBranch(
    input: { branchId: string; effectiveOn?: string | null; reason?: string | null },
    context: OutboxContext = {},
  ): Promise<Branch> {
    return retryingDeadlocks(() =>
      inTransaction(this.dataSource, async (manager) => {
        const branch = (await this.structure.lockBranches(manager, [input.branchId])).get(input.branchId);
        if (!branch) throw new NotFoundError('Branch', input.branchId);
        await this.structure.lockCommittee(manager, branch.id);
        const activeMembers = await this.structure.countActiveMembers(manager, branch.id);
        const dissolved = dissolveBranch(branch, activeMembers, input);
        const events = await this.closeBranchStructure(
          manager,
          branch.id,
          dissolved.closedOn!,
          'BRANCH_DISSOLVED',
        );
        await this.structure.saveBranch(manager, dissolved);
        events.push(branchDissolved(dissolved, input.reason?.trim() || undefined));
        await addEvents(this.outbox, manager, events, context);
        return dissolved;
      }),
    );
  }

  /** A group, locked after its branch's structure lock (the lock order), read again under both. */
  private async lockGroup(
    manager: EntityManager,
    groupId: string,
    mode: 'pessimistic_read' | 'pessimistic_write',
  ): Promise<UnionGroup> {
    const found = await this.structure.findGroup(groupId, manager);
    if (!found) throw new NotFoundError('UnionGroup', groupId);
    await this.structure.lockCommittee(manager, found.branchId);
    return (await this.structure.findGroup(groupId, manager, mode))!;
  }

  /** Appoints a group's leader and moves them into the group (caller holds the committee lock). */
  private async appointLeader(
    manager: EntityManager,
    branch: Branch,
    group: UnionGroup,
    memberId: string,
    startsOn: string,
    replaced: CommitteeAppointment[],
  ): Promise<{ appointment: CommitteeAppointment; events: EncodedEvent[] }> {
    const member = await this.members.findMember(memberId, manager, true);
    if (!member) throw new NotFoundError('Member', memberId);
    const existing = (await this.structure.appointmentsOfCommittee(manager, branch.id)).map(
      (a) => replaced.find((r) => r.id === a.id) ?? a,
    );
    const appointment = appoint(
      uuidv7(),
      branch,
      member,
      { role: 'GROUP_LEADER', groupId: group.id, startsOn },
      {
        group,
        existing,
      },
    );
    await this.structure.insertAppointment(manager, appointment);
    const events = [committeeRoleAssigned(appointment)];
    if (member.groupId !== group.id) events.push(await this.moveIntoGroup(manager, member, group, startsOn));
    return { appointment, events };
  }

  private async moveIntoGroup(
    manager: EntityManager,
    member: Member,
    group: UnionGroup,
    startsOn: string,
  ): Promise<EncodedEvent> {
    const today = todayInShanghai();
    const effectiveOn = startsOn > today ? today : startsOn;
    const ledGroupId = await this.structure.groupLedBy(manager, member.id, today);
    const { member: moved, history } = changeGroup(member, group, { effectiveOn, ledGroupId }, today);
    const version = uuidv7();
    await this.members.recordChange(manager, moved, { id: version, ...history });
    return memberGroupChanged(moved, member.groupId, history.effectiveOn, version);
  }

  private async changeGroupOf(
    manager: EntityManager,
    memberId: string,
    group: UnionGroup | undefined,
    effectiveOn: string | null | undefined,
    context: OutboxContext,
  ): Promise<Member> {
    const member = await this.members.findMember(memberId, manager, true);
    if (!member) throw new NotFoundError('Member', memberId);
    const today = todayInShanghai();
    const ledGroupId = await this.structure.groupLedBy(manager, member.id, today);
    const { member: changed, history } = changeGroup(member, group, { effectiveOn, ledGroupId }, today);
    const version = uuidv7();
    await this.members.recordChange(manager, changed, { id: version, ...history });
    await this.outbox.add(
      manager,
      memberGroupChanged(changed, member.groupId, history.effectiveOn, version),
      context,
    );
    return changed;
  }

  /** Marks a group dissolved: its leaders' terms end, everyone still in it is taken out. */
  private async closeGroup(
    manager: EntityManager,
    dissolved: UnionGroup,
    reason: string,
  ): Promise<EncodedEvent[]> {
    await this.structure.saveGroup(manager, dissolved);
    const events: EncodedEvent[] = [unionGroupDissolved(dissolved)];
    for (const leader of await this.structure.leadersOfGroup(manager, dissolved.id)) {
      const ended = closeAppointment(leader, dissolved.dissolvedOn!, reason);
      if (!ended) continue;
      await this.structure.saveAppointmentEnd(manager, ended);
      events.push(committeeRoleEnded(ended));
    }
    for (const member of await this.structure.membersOfGroup(manager, dissolved.id)) {
      const { member: out, history } = leaveDissolvedGroup(member, dissolved);
      const version = uuidv7();
      await this.members.recordChange(manager, out, { id: version, ...history });
      events.push(memberGroupChanged(out, dissolved.id, history.effectiveOn, version));
    }
    return events;
  }

  /** A branch that closes (merged or dissolved): its groups dissolve and its committee's terms end. */
  private async closeBranchStructure(
    manager: EntityManager,
    branchId: string,
    day: string,
    reason: string,
  ): Promise<EncodedEvent[]> {
    const events: EncodedEvent[] = [];
    for (const group of await this.structure.activeGroupsOf(manager, branchId, true)) {
      events.push(...(await this.closeGroup(manager, dissolveWithBranch(group, day), reason)));
    }
    for (const appointment of await this.structure.appointmentsOfCommittee(manager, branchId)) {
      const ended = closeAppointment(appointment, day, reason);
      if (!ended) continue;
      await this.structure.saveAppointmentEnd(manager, ended);
      events.push(committeeRoleEnded(ended));
    }
    return events;
  }
}

/**
 * When a member leaves a branch (transfer) or active membership (retirement, withdrawal, death), the terms they
 * hold there end the day before: on the old branch's committee for a transfer, everywhere otherwise. Runs in the
 * caller's transaction; returns what it wrote to the outbox.
 */
export async function closeAppointmentsOnLeaving(
  manager: EntityManager,
  outbox: Outbox,
  member: { id: string; branchId: string },
  change: 'TRANSFERRED' | 'RETIRED' | 'WITHDRAWN' | 'DECEASED',
  effectiveOn: string,
  context: OutboxContext = {},
): Promise<CommitteeAppointment[]> {
  const structure = new StructureRepository(manager.connection);
  const held = await structure.appointmentsOfMember(manager, member.id);
  const ended = held
    .filter((a) => change !== 'TRANSFERRED' || a.branchId === member.branchId)
    .map((a) => closeAppointment(a, effectiveOn, `MEMBER_${change}`))
    .filter((a): a is CommitteeAppointment => a !== undefined);
  for (const appointment of ended) await structure.saveAppointmentEnd(manager, appointment);
  await outbox.add(manager, ended.map(committeeRoleEnded), context);
  return ended;
}
