import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { isUuid } from '@unionfed/persistence';
import { CurrentReach, Reach } from '@unionfed/auth';
import { parseIsoDate, todayInShanghai } from '@unionfed/domain-kit';
import { CurrentActing, type RequestActing } from '@unionfed/audit';
import { StructureCommands } from '../application/structure.commands';
import { MembershipRepository } from '../infrastructure/membership.repository';
import {
  StructureRepository,
  type AppointmentRow,
  type UnionGroupRow,
} from '../infrastructure/structure.repository';
import type { Branch } from '../domain/structure';
import type { Member } from '../domain/member';
import type { CommitteeAppointment } from '../domain/committee';

/**
 * What this subgraph serves of groups and appointments carries the reach it was reached with: their nested fields
 * (not guarded by @access themselves) show a member's record only within it. Committees are public within the
 * federation (names), members' records are not.
 */
type Served<T> = T & { reach: Reach };
type ServedGroup = Served<UnionGroupRow>;
type ServedAppointment = Served<AppointmentRow>;

const withReach =
  (reach: Reach) =>
  <T extends object>(row: T): Served<T> => ({ ...row, reach });

function asOfDay(asOf: string | null | undefined): string {
  return asOf ? parseIsoDate(asOf, 'asOf') : todayInShanghai();
}

/**
 * Union groups, committees, merges and dissolutions. Every mutation hands the caller (principal, reach, trace) to
 * its command, which checks the reach inside its unit of work on the locked records; lists are narrowed to the
 * reach.
 */
@Resolver()
export class StructureRootResolver {
  constructor(
    private readonly commands: StructureCommands,
    private readonly structure: StructureRepository,
    private readonly members: MembershipRepository,
  ) {}

  @Query('unionGroups')
  async unionGroups(
    @Args('branchId') branchId: string,
    @CurrentReach() reach: Reach,
    @Args('includeDissolved') includeDissolved = false,
  ): Promise<ServedGroup[]> {
    reach.assertBranch(branchId);
    if (!isUuid(branchId)) return [];
    return (await this.structure.groupsOf(branchId, todayInShanghai(), includeDissolved)).map(
      withReach(reach),
    );
  }

  @Query('unionGroup')
  async unionGroup(@Args('id') id: string, @CurrentReach() reach: Reach): Promise<ServedGroup | undefined> {
    const group = reach.visibleInBranch(
      isUuid(id) ? await this.structure.groupRow(id, todayInShanghai()) : undefined,
    );
    return group && withReach(reach)(group);
  }

  @Query('committee')
  async committee(
    @CurrentReach() reach: Reach,
    @Args('branchId') branchId?: string,
    @Args('asOf') asOf?: string,
  ): Promise<ServedAppointment[]> {
    if (branchId) reach.assertBranch(branchId);
    const day = asOfDay(asOf);
    if (branchId && !isUuid(branchId)) return [];
    return (await this.structure.committee(branchId, day)).map(withReach(reach));
  }

  @Query('committeeHistory')
  async committeeHistory(
    @CurrentReach() reach: Reach,
    @Args('branchId') branchId?: string,
  ): Promise<ServedAppointment[]> {
    if (branchId) reach.assertBranch(branchId);
    if (branchId && !isUuid(branchId)) return [];
    return (await this.structure.committee(branchId, undefined)).map(withReach(reach));
  }

  @Mutation('formUnionGroup')
  async formUnionGroup(
    @Args('input')
    input: { branchId: string; name: string; leaderMemberId: string; formedOn?: string | null },
    @CurrentActing() acting: RequestActing,
  ): Promise<ServedGroup> {
    const group = await this.commands.formUnionGroup(input, acting);
    return this.servedGroup(group.id, acting.reach);
  }

  @Mutation('renameUnionGroup')
  async renameUnionGroup(
    @Args('input') input: { groupId: string; name: string },
    @CurrentActing() acting: RequestActing,
  ): Promise<ServedGroup> {
    await this.commands.renameUnionGroup(input.groupId, input.name, acting);
    return this.servedGroup(input.groupId, acting.reach);
  }

  @Mutation('dissolveUnionGroup')
  async dissolveUnionGroup(
    @Args('input') input: { groupId: string; effectiveOn?: string | null },
    @CurrentActing() acting: RequestActing,
  ): Promise<ServedGroup> {
    await this.commands.dissolveUnionGroup(input.groupId, input, acting);
    return this.servedGroup(input.groupId, acting.reach);
  }

  @Mutation('assignMemberToGroup')
  async assignMemberToGroup(
    @Args('input') input: { memberId: string; groupId: string; effectiveOn?: string | null },
    @CurrentActing() acting: RequestActing,
  ): Promise<Member> {
    return this.commands.assignMemberToGroup(input, acting);
  }

  @Mutation('unassignMemberFromGroup')
  async unassignMemberFromGroup(
    @Args('input') input: { memberId: string; effectiveOn?: string | null },
    @CurrentActing() acting: RequestActing,
  ): Promise<Member> {
    return this.commands.unassignMemberFromGroup(input, acting);
  }

  @Mutation('changeUnionGroupLeader')
  async changeUnionGroupLeader(
    @Args('input') input: { groupId: string; memberId: string; effectiveOn?: string | null },
    @CurrentActing() acting: RequestActing,
  ): Promise<ServedAppointment> {
    const appointment = await this.commands.changeUnionGroupLeader(input, acting);
    return this.servedAppointment(appointment, acting.reach);
  }

  @Mutation('appointCommitteeMember')
  async appointCommitteeMember(
    @Args('input')
    input: {
      branchId?: string | null;
      memberId: string;
      role: string;
      groupId?: string | null;
      startsOn?: string | null;
      endsOn?: string | null;
    },
    @CurrentActing() acting: RequestActing,
  ): Promise<ServedAppointment> {
    const appointment = await this.commands.appointCommitteeMember(input, acting);
    return this.servedAppointment(appointment, acting.reach);
  }

  @Mutation('endCommitteeAppointment')
  async endCommitteeAppointment(
    @Args('input') input: { appointmentId: string; endsOn?: string | null; reason?: string | null },
    @CurrentActing() acting: RequestActing,
  ): Promise<ServedAppointment> {
    const ended = await this.commands.endCommitteeAppointment(input.appointmentId, input, acting);
    return this.servedAppointment(ended, acting.reach);
  }

  @Mutation('mergeBranches')
  async mergeBranches(
    @Args('input') input: { sourceBranchId: string; targetBranchId: string; effectiveOn?: string | null },
    @CurrentActing() acting: RequestActing,
  ): Promise<{ source: Branch; target: Branch; movedMembers: number }> {
    const merge = await this.commands.mergeBranches(input, acting);
    return { source: merge.source, target: merge.target, movedMembers: merge.movedMembers.length };
  }

  @Mutation('dissolveBranch')
  dissolveBranch(
    @Args('input') input: { branchId: string; effectiveOn?: string | null; reason?: string | null },
    @CurrentActing() acting: RequestActing,
  ): Promise<Branch> {
    return this.commands.dissolveBranch(input, acting);
  }

  private async servedGroup(groupId: string, reach: Reach): Promise<ServedGroup> {
    return withReach(reach)((await this.structure.groupRow(groupId, todayInShanghai()))!);
  }

  private async servedAppointment(
    appointment: CommitteeAppointment,
    reach: Reach,
  ): Promise<ServedAppointment> {
    return withReach(reach)((await this.structure.appointmentRow(appointment.id))!);
  }
}

@Resolver('CommitteeAppointment')
export class CommitteeAppointmentResolver {
  constructor(
    private readonly structure: StructureRepository,
    private readonly members: MembershipRepository,
  ) {}

  @ResolveField('member')
  member(@Parent() appointment: ServedAppointment): Promise<Member | undefined> | null {
    return appointment.reach.includesMember(appointment.memberId, appointment.memberBranchId)
      ? this.members.findMember(appointment.memberId)
      : null;
  }

  @ResolveField('group')
  async group(@Parent() appointment: ServedAppointment): Promise<ServedGroup | null> {
    const group =
      appointment.groupId && (await this.structure.groupRow(appointment.groupId, todayInShanghai()));
    return group ? withReach(appointment.reach)(group) : null;
  }
}

@Resolver('UnionGroup')
export class UnionGroupResolver {
  constructor(private readonly members: MembershipRepository) {}

  @ResolveField('branch')
  branch(@Parent() group: ServedGroup): Promise<Branch | undefined> {
    return this.members.findBranch(group.branchId);
  }

  @ResolveField('leader')
  leader(@Parent() group: ServedGroup): Promise<Member | undefined> | null {
    if (!group.leaderMemberId || !group.reach.includesBranch(group.branchId)) return null;
    return this.members.findMember(group.leaderMemberId);
  }
}

/** The structure's fields on the Branch and Member entities (their other fields: membership.resolver.ts). */
@Resolver('Branch')
export class BranchStructureResolver {
  constructor(
    private readonly structure: StructureRepository,
    private readonly members: MembershipRepository,
  ) {}

  @ResolveField('mergedInto')
  mergedInto(@Parent() branch: Branch): Promise<Branch | undefined> | null {
    return branch.mergedIntoId ? this.members.findBranch(branch.mergedIntoId) : null;
  }

  @ResolveField('closedOn')
  closedOn(@Parent() branch: Branch): string | null {
    return branch.closedOn ?? null;
  }

  @ResolveField('unionGroups')
  async unionGroups(
    @Parent() branch: Branch,
    @CurrentReach() reach: Reach,
    @Args('includeDissolved') includeDissolved = false,
  ): Promise<ServedGroup[]> {
    reach.assertBranch(branch.id);
    return (await this.structure.groupsOf(branch.id, todayInShanghai(), includeDissolved)).map(
      withReach(reach),
    );
  }

  @ResolveField('committee')
  async committee(
    @Parent() branch: Branch,
    @CurrentReach() reach: Reach,
    @Args('asOf') asOf?: string,
  ): Promise<ServedAppointment[]> {
    reach.assertBranch(branch.id);
    return (await this.structure.committee(branch.id, asOfDay(asOf))).map(withReach(reach));
  }
}

@Resolver('Member')
export class MemberGroupResolver {
  constructor(private readonly structure: StructureRepository) {}

  /** A member's group; its leader's record only for callers who reach the branch (not MEMBER self-service). */
  @ResolveField('group')
  async group(@Parent() member: Member, @CurrentReach() reach: Reach): Promise<ServedGroup | null> {
    const group = member.groupId && (await this.structure.groupRow(member.groupId, todayInShanghai()));
    return group ? withReach(reach)(group) : null;
  }
}
