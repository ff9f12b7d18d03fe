import { create } from '@bufbuild/protobuf';
import {
  BranchKind as PbBranchKind,
  BranchStatus as PbBranchStatus,
  CommitteeRole as PbCommitteeRole,
  DateSchema,
  MembershipEvents,
  encodeEvent,
  type EncodedEvent,
} from '@unionfed/contracts';
import type { Branch } from '../domain/structure';
import type { Member } from '../domain/member';
import type { UnionGroup } from '../domain/union-group';
import type { CommitteeAppointment } from '../domain/committee';

/** Maps the federation-structure facts (groups, committees, merges) to membership's integration events. */
const date = (iso: string | null | undefined) => (iso ? create(DateSchema, { iso }) : undefined);

export function branchUpdated(branch: Branch): EncodedEvent {
  return encodeEvent(MembershipEvents.BranchUpdated, {
    branchId: branch.id,
    campusId: branch.campusId,
    code: branch.code,
    name: branch.name,
    kind: PbBranchKind[branch.kind],
    staffHeadcount: branch.staffHeadcount,
    status: PbBranchStatus[branch.status],
  });
}

export function branchMerged(
  source: Branch,
  target: Branch,
  effectiveOn: string,
  movedMembers: number,
  movedStaffHeadcount: number,
): EncodedEvent {
  return encodeEvent(MembershipEvents.BranchMerged, {
    sourceBranchId: source.id,
    targetBranchId: target.id,
    effectiveOn: date(effectiveOn),
    movedMembers,
    movedStaffHeadcount,
  });
}

export function branchDissolved(branch: Branch, reason: string | undefined): EncodedEvent {
  return encodeEvent(MembershipEvents.BranchDissolved, {
    branchId: branch.id,
    effectiveOn: date(branch.closedOn),
    reason: reason ?? '',
  });
}

/** The transfer of one member by a merge: a MemberTransferred flagged as part of it (`version`: its history entry). */
export function memberMovedByMerge(
  member: Member,
  fromBranchId: string,
  effectiveOn: string,
  version: string,
): EncodedEvent {
  return encodeEvent(MembershipEvents.MemberTransferred, {
    memberId: member.id,
    fromBranchId,
    toBranchId: member.branchId,
    toGroupId: member.groupId ?? '',
    effectiveOn: date(effectiveOn),
    branchMerge: true,
    version,
  });
}

export function unionGroupFormed(group: UnionGroup, leaderMemberId: string): EncodedEvent {
  return encodeEvent(MembershipEvents.UnionGroupFormed, {
    groupId: group.id,
    branchId: group.branchId,
    name: group.name,
    leaderMemberId,
    formedOn: date(group.formedOn),
  });
}

export function unionGroupRenamed(group: UnionGroup): EncodedEvent {
  return encodeEvent(MembershipEvents.UnionGroupRenamed, {
    groupId: group.id,
    branchId: group.branchId,
    name: group.name,
  });
}

export function unionGroupDissolved(group: UnionGroup): EncodedEvent {
  return encodeEvent(MembershipEvents.UnionGroupDissolved, {
    groupId: group.id,
    branchId: group.branchId,
    dissolvedOn: date(group.dissolvedOn),
  });
}

export function memberGroupChanged(
  member: Member,
  fromGroupId: string | undefined,
  effectiveOn: string,
  version: string,
): EncodedEvent {
  return encodeEvent(MembershipEvents.MemberGroupChanged, {
    memberId: member.id,
    branchId: member.branchId,
    groupId: member.groupId ?? '',
    fromGroupId: fromGroupId ?? '',
    effectiveOn: date(effectiveOn),
    version,
  });
}

export function committeeRoleAssigned(appointment: CommitteeAppointment): EncodedEvent {
  return encodeEvent(MembershipEvents.CommitteeRoleAssigned, {
    appointmentId: appointment.id,
    committeeBranchId: appointment.branchId ?? '',
    memberId: appointment.memberId,
    role: PbCommitteeRole[appointment.role],
    groupId: appointment.groupId ?? '',
    startsOn: date(appointment.startsOn),
    endsOn: date(appointment.endsOn),
  });
}

export function committeeRoleEnded(appointment: CommitteeAppointment): EncodedEvent {
  return encodeEvent(MembershipEvents.CommitteeRoleEnded, {
    appointmentId: appointment.id,
    committeeBranchId: appointment.branchId ?? '',
    memberId: appointment.memberId,
    role: PbCommitteeRole[appointment.role],
    groupId: appointment.groupId ?? '',
    endsOn: date(appointment.endsOn),
    reason: appointment.endReason ?? '',
  });
}
