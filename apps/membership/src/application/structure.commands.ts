import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { NotFoundError, todayInShanghai } from '@unionfed/domain-kit';
import { isUuid, uuidv7 } from '@unionfed/persistence';
import { SYSTEM, type AuditEntry, type RequestActing } from '@unionfed/audit';
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
  termsEndedByLeaving,
  termsOverlap,
  type AppointInput,
  type CommitteeAppointment,
  type Leaving,
} from '../domain/committee';
import { dissolveBranch, mergeBranches } from '../domain/reorganisation';
import { mergeHeadcounts } from '../domain/headcount';
import { headcountsOf, saveHeadcounts } from '../infrastructure/headcount.repository';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { MembershipUnitOfWork, type MembershipWork } from '../infrastructure/membership.unit-of-work';
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
} from './integration-events';

/** PostgreSQL takes at most 65535 parameters per statement; an outbox row takes 6. */
const EVENTS_PER_INSERT = 5000;

async function addEvents(work: MembershipWork, events: EncodedEvent[]): Promise<void> {
  for (let from = 0; from < events.length; from += EVENTS_PER_INSERT) {
    await work.publish(events.slice(from, from + EVENTS_PER_INSERT));
  }
}

export interface MergeResult {
  source: Branch;
  target: Branch;
  movedMembers: Member[];
}

/** A lookup of an id that is no UUID finds nothing (and must not reach PostgreSQL's ::uuid cast). */
const ifUuid = <T>(id: string | null | undefined, find: (id: string) => Promise<T | undefined>) =>
  id && isUuid(id) ? find(id) : Promise.resolve(undefined);

/**
 * The federation's structure: union groups, committee appointments, branch merges and dissolutions. Like every
 * membership command, each one runs in ONE unit of work: its changes, the members' history entries, its
 * integration events and its audit rows commit together.
 *
 * Access is checked inside the unit, on the locked records (a member or group out of the caller's reach reads as
 * NOT_FOUND, as one that is not there; `visible…` audits the attempt) — a transfer or merge that commits between
 * a check and the change cannot slip past it.
 *
 * Locks are taken in one order — branch, the branch's structure lock (`lockCommittee`), groups, members — so
 * that these commands never wait on each other in a circle; when a merge and a transfer still meet, PostgreSQL
 * aborts one and the unit of work tries it again.
 */
@Injectable()
export class StructureCommands {
  constructor(
    private readonly unitOfWork: MembershipUnitOfWork,
    private readonly members: MembershipRepository,
    private readonly structure: StructureRepository,
  ) {}

  /** 成立工会小组 with its leader (组长), who becomes a member of the group. */
  formUnionGroup(
    input: { branchId: string; name: string; leaderMemberId: string; formedOn?: string | null },
    acting: RequestActing = SYSTEM,
  ): Promise<UnionGroup> {
    return this.unitOfWork.run(acting, async (work) => {
      const { manager } = work;
      acting.reach.assertBranch(input.branchId);
      const branch = await ifUuid(input.branchId, (id) => this.members.findBranch(id, manager, true));
      if (!branch) throw new NotFoundError('Branch', input.branchId);
      await this.structure.lockCommittee(manager, branch.id);
      const taken = (await this.structure.activeGroupsOf(manager, branch.id)).map((g) => g.name);
      const group = formUnionGroup(uuidv7(), branch, input, taken);
      await this.structure.insertGroup(manager, group);
      const leader = await this.appointLeader(work, branch, group, input.leaderMemberId, group.formedOn, []);
      await addEvents(work, [unionGroupFormed(group, input.leaderMemberId), ...leader.events]);
      work.audit(groupAudit('UNION_GROUP_FORMED', undefined, group));
      return group;
    });
  }

  renameUnionGroup(groupId: string, name: string, acting: RequestActing = SYSTEM): Promise<UnionGroup> {
    return this.unitOfWork.run(acting, async (work) => {
      const { manager } = work;
      const group = await this.lockGroup(work, groupId, 'pessimistic_write');
      const taken = (await this.structure.activeGroupsOf(manager, group.branchId)).map((g) => g.name);
      const renamed = renameUnionGroup(group, name, taken);
      await this.structure.saveGroup(manager, renamed);
      await work.publish(unionGroupRenamed(renamed));
      work.audit(groupAudit('UNION_GROUP_RENAMED', group, renamed));
      return renamed;
    });
  }

  /** 撤销工会小组: its leader's term ends and its members are taken out of it (the record stays). */
  dissolveUnionGroup(
    groupId: string,
    input: { effectiveOn?: string | null },
    acting: RequestActing = SYSTEM,
  ): Promise<UnionGroup> {
    return this.unitOfWork.run(acting, async (work) => {
      const group = await this.lockGroup(work, groupId, 'pessimistic_write');
      const dissolved = dissolveUnionGroup(group, input);
      const events = await this.closeGroup(work.manager, dissolved, 'GROUP_DISSOLVED');
      await addEvents(work, events);
      work.audit(groupAudit('UNION_GROUP_DISSOLVED', group, dissolved));
      return dissolved;
    });
  }

  /** Puts an active member into a union group of their branch (or moves them from the one they are in). */
  assignMemberToGroup(
    input: { memberId: string; groupId: string; effectiveOn?: string | null },
    acting: RequestActing = SYSTEM,
  ): Promise<Member> {
    return this.unitOfWork.run(acting, async (work) => {
      // group before member, as a dissolution locks them
      const locked = await ifUuid(input.groupId, (id) =>
        this.structure.findGroup(id, work.manager, 'pessimistic_read'),
      );
      const group = acting.reach.visibleInBranch(locked);
      if (!group) throw new NotFoundError('UnionGroup', input.groupId);
      return this.changeGroupOf(work, input.memberId, group, input.effectiveOn);
    });
  }

  /** Takes a member out of their union group. */
  unassignMemberFromGroup(
    input: { memberId: string; effectiveOn?: string | null },
    acting: RequestActing = SYSTEM,
  ): Promise<Member> {
    return this.unitOfWork.run(acting, (work) =>
      this.changeGroupOf(work, input.memberId, undefined, input.effectiveOn),
    );
  }

  /** 更换组长: the current leader's term ends the day before the successor's starts. */
  changeUnionGroupLeader(
    input: { groupId: string; memberId: string; effectiveOn?: string | null },
    acting: RequestActing = SYSTEM,
  ): Promise<CommitteeAppointment> {
    return this.unitOfWork.run(acting, async (work) => {
      const { manager } = work;
      const found = await ifUuid(input.groupId, (id) => this.structure.findGroup(id, manager));
      if (!found) throw new NotFoundError('UnionGroup', input.groupId);
      const branch = await this.members.findBranch(found.branchId, manager, true);
      const group = await this.lockGroup(work, input.groupId, 'pessimistic_read');
      const today = todayInShanghai();
      const leaders = await this.structure.leadersOfGroup(manager, group.id);
      const day = input.effectiveOn ?? today;
      const current = leaders.find((a) => termsOverlap(a, { startsOn: day }));
      const { startsOn, ended } = handOverLeadership(current, input.memberId, input, today);
      const events: EncodedEvent[] = [];
      if (ended) {
        await this.structure.saveAppointmentEnd(manager, ended);
        events.push(committeeRoleEnded(ended));
        work.audit(appointmentAudit('COMMITTEE_APPOINTMENT_ENDED', current, ended));
      }
      const successor = await this.appointLeader(
        work,
        branch!,
        group,
        input.memberId,
        startsOn,
        ended ? [ended] : [],
      );
      await addEvents(work, [...events, ...successor.events]);
      return successor.appointment;
    });
  }

  /**
   * 任命: appoints a member to a role of a branch's committee (or, without a branch, of the federation's) for a
   * term. A group leader also becomes a member of the group they lead.
   */
  appointCommitteeMember(
    input: AppointInput & { branchId?: string | null; memberId: string },
    acting: RequestActing = SYSTEM,
  ): Promise<CommitteeAppointment> {
    return this.unitOfWork.run(acting, async (work) => {
      const { manager } = work;
      // a branch's committee is that branch's business; the federation's (校工会) is HQ's
      if (input.branchId) acting.reach.assertBranch(input.branchId);
      else acting.reach.assertFederation();
      const branch = input.branchId
        ? await ifUuid(input.branchId, (id) => this.members.findBranch(id, manager, true))
        : undefined;
      if (input.branchId && !branch) throw new NotFoundError('Branch', input.branchId);
      await this.structure.lockCommittee(manager, branch?.id);
      const group = input.groupId
        ? await ifUuid(input.groupId, (id) => this.structure.findGroup(id, manager, 'pessimistic_read'))
        : undefined;
      if (input.groupId && !group) throw new NotFoundError('UnionGroup', input.groupId);
      const member = await this.lockedMember(work, input.memberId);
      const existing = await this.structure.appointmentsOfCommittee(manager, branch?.id);
      const appointment = appoint(uuidv7(), branch, member, input, { group, existing });
      await this.structure.insertAppointment(manager, appointment);
      const events = [committeeRoleAssigned(appointment)];
      if (group && member.groupId !== group.id) {
        events.push(await this.moveIntoGroup(work, member, group, appointment.startsOn));
      }
      await addEvents(work, events);
      work.audit(appointmentAudit('COMMITTEE_MEMBER_APPOINTED', undefined, appointment));
      return appointment;
    });
  }

  /** 免职 / 届满: ends an appointment on its last day in office. */
  endCommitteeAppointment(
    appointmentId: string,
    input: { endsOn?: string | null; reason?: string | null },
    acting: RequestActing = SYSTEM,
  ): Promise<CommitteeAppointment> {
    return this.unitOfWork.run(acting, async (work) => {
      const { manager } = work;
      const found = await ifUuid(appointmentId, (id) => this.structure.findAppointment(id, manager));
      if (!found) throw new NotFoundError('CommitteeAppointment', appointmentId);
      await this.structure.lockCommittee(manager, found.branchId ?? undefined);
      // read again under the committee's lock: another end may have committed meanwhile
      const appointment = (await this.structure.findAppointment(appointmentId, manager))!;
      // one of another branch's committee is NOT_FOUND, as one that does not exist; the federation's is HQ's
      if (appointment.branchId && !acting.reach.visibleInBranch(appointment))
        throw new NotFoundError('CommitteeAppointment', appointmentId);
      if (!appointment.branchId) acting.reach.assertFederation();
      const ended = endAppointment(appointment, input);
      await this.structure.saveAppointmentEnd(manager, ended);
      await work.publish(committeeRoleEnded(ended));
      work.audit(appointmentAudit('COMMITTEE_APPOINTMENT_ENDED', appointment, ended));
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
    acting: RequestActing = SYSTEM,
  ): Promise<MergeResult> {
    return this.unitOfWork.run(acting, async (work) => {
      const { manager } = work;
      acting.reach.assertFederation();
      const ids = [input.sourceBranchId, input.targetBranchId].filter((id) => isUuid(id));
      const branches = await this.structure.lockBranches(manager, ids);
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
      // the source's staff are counted in the target from the merge's year on (earlier years stay as counted)
      const headcounts = mergeHeadcounts(
        await headcountsOf(manager, source.id),
        await headcountsOf(manager, target.id),
        source.id,
        target.id,
        merge.effectiveOn,
      );
      await saveHeadcounts(manager, [...headcounts.source, ...headcounts.target]);
      events.push(
        branchMerged(merge.source, merge.target, merge.effectiveOn, merge.moves.length, headcounts.moved),
        branchUpdated(merge.target),
      );
      await addEvents(work, events);
      // one row per branch (the members' moves are in their history and events; their ids in details)
      const movedMemberIds = merge.moves.map((m) => m.member.id);
      work.audit(
        branchAudit('BRANCH_MERGED', source, merge.source, { targetBranchId: target.id, movedMemberIds }),
      );
      work.audit(branchAudit('BRANCH_MERGED_INTO', target, merge.target, { sourceBranchId: source.id }));
      return { source: merge.source, target: merge.target, movedMembers: merge.moves.map((m) => m.member) };
    });
  }

  /** 撤销分工会: only without active members; its groups dissolve and its committee's terms end. */
  dissolveBranch(
    input: { branchId: string; effectiveOn?: string | null; reason?: string | null },
    acting: RequestActing = SYSTEM,
  ): Promise<Branch> {
    return this.unitOfWork.run(acting, async (work) => {
      const { manager } = work;
      acting.reach.assertFederation();
      const branch = isUuid(input.branchId)
        ? (await this.structure.lockBranches(manager, [input.branchId])).get(input.branchId)
        : undefined;
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
      await addEvents(work, events);
      work.audit(
        branchAudit('BRANCH_DISSOLVED', branch, dissolved, { reason: input.reason?.trim() || null }),
      );
      return dissolved;
    });
  }

  /**
   * A group, locked after its branch's structure lock (the lock order), read again under both; one out of the
   * caller's reach is NOT_FOUND.
   */
  private async lockGroup(
    work: MembershipWork,
    groupId: string,
    mode: 'pessimistic_read' | 'pessimistic_write',
  ): Promise<UnionGroup> {
    const found = await ifUuid(groupId, (id) => this.structure.findGroup(id, work.manager));
    if (!found) throw new NotFoundError('UnionGroup', groupId);
    await this.structure.lockCommittee(work.manager, found.branchId);
    const group = work.acting.reach.visibleInBranch(
      await this.structure.findGroup(groupId, work.manager, mode),
    );
    if (!group) throw new NotFoundError('UnionGroup', groupId);
    return group;
  }

  /**
   * A member locked for a change, within the caller's reach (MEMBER self-service does not reach changes); one of
   * another branch is NOT_FOUND, as one that does not exist.
   */
  private async lockedMember(work: MembershipWork, memberId: string): Promise<Member> {
    const locked = await ifUuid(memberId, (id) => this.members.findMember(id, work.manager, true));
    const member = work.acting.reach.visibleMember(locked, { self: false });
    if (!member) throw new NotFoundError('Member', memberId);
    return member;
  }

  /** Appoints a group's leader and moves them into the group (caller holds the committee lock). */
  private async appointLeader(
    work: MembershipWork,
    branch: Branch,
    group: UnionGroup,
    memberId: string,
    startsOn: string,
    replaced: CommitteeAppointment[],
  ): Promise<{ appointment: CommitteeAppointment; events: EncodedEvent[] }> {
    const { manager } = work;
    const member = await this.lockedMember(work, memberId);
    const existing = (await this.structure.appointmentsOfCommittee(manager, branch.id)).map(
      (a) => replaced.find((r) => r.id === a.id) ?? a,
    );
    const appointment = appoint(
      uuidv7(),
      branch,
      member,
      { role: 'GROUP_LEADER', groupId: group.id, startsOn },
      { group, existing },
    );
    await this.structure.insertAppointment(manager, appointment);
    work.audit(appointmentAudit('COMMITTEE_MEMBER_APPOINTED', undefined, appointment));
    const events = [committeeRoleAssigned(appointment)];
    if (member.groupId !== group.id) events.push(await this.moveIntoGroup(work, member, group, startsOn));
    return { appointment, events };
  }

  private async moveIntoGroup(
    work: MembershipWork,
    member: Member,
    group: UnionGroup,
    startsOn: string,
  ): Promise<EncodedEvent> {
    const today = todayInShanghai();
    const effectiveOn = startsOn > today ? today : startsOn;
    const ledGroupId = await this.structure.groupLedBy(work.manager, member.id, today);
    const { member: moved, history } = changeGroup(member, group, { effectiveOn, ledGroupId }, today);
    const version = uuidv7();
    await this.members.recordChange(work.manager, moved, { id: version, ...history });
    work.audit(memberAudit('MEMBER_GROUP_CHANGED', member, moved));
    return memberGroupChanged(moved, member.groupId, history.effectiveOn, version);
  }

  private async changeGroupOf(
    work: MembershipWork,
    memberId: string,
    group: UnionGroup | undefined,
    effectiveOn: string | null | undefined,
  ): Promise<Member> {
    const member = await this.lockedMember(work, memberId);
    const today = todayInShanghai();
    const ledGroupId = await this.structure.groupLedBy(work.manager, member.id, today);
    const { member: changed, history } = changeGroup(member, group, { effectiveOn, ledGroupId }, today);
    const version = uuidv7();
    await this.members.recordChange(work.manager, changed, { id: version, ...history });
    await work.publish(memberGroupChanged(changed, member.groupId, history.effectiveOn, version));
    work.audit(memberAudit('MEMBER_GROUP_CHANGED', member, changed));
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
 * caller's unit of work; returns the terms it ended.
 */
export async function closeAppointmentsOnLeaving(
  work: MembershipWork,
  member: { id: string; branchId: string },
  change: Leaving,
  effectiveOn: string,
): Promise<CommitteeAppointment[]> {
  const structure = new StructureRepository(work.manager.connection);
  const held = await structure.appointmentsOfMember(work.manager, member.id);
  const ended = termsEndedByLeaving(held, { change, fromBranchId: member.branchId, effectiveOn });
  for (const appointment of ended) await structure.saveAppointmentEnd(work.manager, appointment);
  await work.publish(ended.map(committeeRoleEnded));
  return ended;
}

function groupAudit(action: string, before: UnionGroup | undefined, after: UnionGroup): AuditEntry {
  return { action, entityType: 'UnionGroup', entityId: after.id, branchId: after.branchId, before, after };
}

function appointmentAudit(
  action: string,
  before: CommitteeAppointment | undefined,
  after: CommitteeAppointment,
): AuditEntry {
  return {
    action,
    entityType: 'CommitteeAppointment',
    entityId: after.id,
    branchId: after.branchId ?? null,
    before,
    after,
  };
}

function memberAudit(action: string, before: Member, after: Member): AuditEntry {
  return { action, entityType: 'Member', entityId: after.id, branchId: after.branchId, before, after };
}

function branchAudit(
  action: string,
  before: Branch,
  after: Branch,
  details: Record<string, unknown>,
): AuditEntry {
  return { action, entityType: 'Branch', entityId: after.id, branchId: after.id, before, after, details };
}
