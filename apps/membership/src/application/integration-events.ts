import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  BranchKind as PbBranchKind,
  BranchStatus as PbBranchStatus,
  CommitteeRole as PbCommitteeRole,
  DateSchema,
  Gender as PbGender,
  MemberCategory as PbMemberCategory,
  MemberStatus as PbMemberStatus,
  MembershipEvents,
  encodeEvent,
  type EncodedEvent,
} from '@unionfed/contracts';
import type { Branch } from '../domain/structure';
import type { CommitteeAppointment } from '../domain/committee';
import type { Member } from '../domain/member';
import type { MemberTransfer } from '../domain/transfer';
import type { StaffHeadcount } from '../domain/headcount';
import type { UnionGroup } from '../domain/union-group';

/**
 * Membership's integration events: the one place where its domain facts become the public, versioned contract
 * (the protobuf messages of proto/unionfed/events/v1/membership.proto) — branches, members and their transfers,
 * then the structure below the branch (groups, committees, merges). Commands hand what these return to their
 * unit of work (`work.publish`), so the events commit with the change. A member event carries the member's
 * `version` after the change: the id (UUIDv7) of the member_history entry it recorded, so consumers can keep the
 * newest of what they receive whatever the order.
 */
export function branchOpened(branch: Branch, openedAt: Date): EncodedEvent {
  return encodeEvent(MembershipEvents.BranchOpened, {
    branchId: branch.id,
    campusId: branch.campusId,
    code: branch.code,
    name: branch.name,
    kind: PbBranchKind[branch.kind],
    staffHeadcount: branch.staffHeadcount,
    openedAt: timestampFromDate(openedAt),
  });
}

/** 教职工总数 of a year; `previous`: the year's count before, if it had one. */
export function branchStaffHeadcountSet(
  count: StaffHeadcount,
  previous: number | undefined,
  recordedAt: Date,
): EncodedEvent {
  return encodeEvent(MembershipEvents.BranchStaffHeadcountSet, {
    branchId: count.branchId,
    year: count.year,
    staffHeadcount: count.staffHeadcount,
    previousStaffHeadcount: previous,
    recordedAt: timestampFromDate(recordedAt),
  });
}

const date = (iso: string | null | undefined) => (iso ? create(DateSchema, { iso }) : undefined);

/** The member's profile as other services may keep it. */
const memberProfile = (member: Member) => ({
  staffNumber: member.staffNumber,
  memberNumber: member.memberNumber,
  name: member.name,
  gender: PbGender[member.gender],
  birthDate: date(member.birthDate),
  category: PbMemberCategory[member.category],
  title: member.title ?? '',
  phone: member.phone ?? '',
  email: member.email ?? '',
});

const joinedOf = (member: Member, version: string) => ({
  memberId: member.id,
  branchId: member.branchId,
  groupId: member.groupId ?? '',
  joinedOn: date(member.joinedOn),
  profile: memberProfile(member),
  version,
});

/** `version`: the id of the member's JOINED history entry. */
export function memberJoined(member: Member, version: string): EncodedEvent {
  return encodeEvent(MembershipEvents.MemberJoined, joinedOf(member, version));
}

/** At most this many members per MembersImported (about 250 bytes each: a message stays far below Kafka's 1 MB). */
export const MEMBERS_PER_ANNOUNCEMENT = 500;

/**
 * The members one batch of roster import `jobId` admitted, announced in bulk: one MembersImported per branch
 * (and per MEMBERS_PER_ANNOUNCEMENT members), each entry the member's MemberJoined; `versionOf` gives a member's
 * JOINED history entry id.
 */
export function membersImported(
  jobId: string,
  members: readonly Member[],
  versionOf: (member: Member) => string,
): EncodedEvent[] {
  const byBranch = new Map<string, Member[]>();
  for (const member of members) {
    const list = byBranch.get(member.branchId);
    if (list) list.push(member);
    else byBranch.set(member.branchId, [member]);
  }
  const events: EncodedEvent[] = [];
  for (const [branchId, joined] of byBranch) {
    for (let i = 0; i < joined.length; i += MEMBERS_PER_ANNOUNCEMENT) {
      events.push(
        encodeEvent(MembershipEvents.MembersImported, {
          jobId,
          branchId,
          members: joined.slice(i, i + MEMBERS_PER_ANNOUNCEMENT).map((m) => joinedOf(m, versionOf(m))),
        }),
      );
    }
  }
  return events;
}

/** The member's profile changed (e.g. by a roster import): carries the whole new profile. */
export function memberProfileUpdated(member: Member, effectiveOn: string, version: string): EncodedEvent {
  return encodeEvent(MembershipEvents.MemberProfileUpdated, {
    memberId: member.id,
    branchId: member.branchId,
    profile: memberProfile(member),
    effectiveOn: date(effectiveOn),
    version,
  });
}

export function memberTransferred(
  member: Member,
  fromBranchId: string,
  effectiveOn: string,
  version: string,
  transferId = '',
): EncodedEvent {
  return encodeEvent(MembershipEvents.MemberTransferred, {
    memberId: member.id,
    fromBranchId,
    toBranchId: member.branchId,
    toGroupId: member.groupId ?? '',
    effectiveOn: date(effectiveOn),
    transferId,
    version,
  });
}

const transferOf = (request: MemberTransfer) => ({
  transferId: request.id,
  memberId: request.memberId,
  fromBranchId: request.fromBranchId,
  toBranchId: request.toBranchId,
});

/** 会籍转移, step one: the request (the member has not moved). */
export function memberTransferRequested(request: MemberTransfer): EncodedEvent {
  return encodeEvent(MembershipEvents.MemberTransferRequested, {
    ...transferOf(request),
    effectiveOn: date(request.effectiveOn),
    requestedAt: timestampFromDate(request.requestedAt),
  });
}

/** The request ended without a move: declined by the receiving branch or cancelled by the sender. */
export function memberTransferClosed(request: MemberTransfer): EncodedEvent {
  const at = timestampFromDate(request.decidedAt ?? new Date());
  return request.status === 'DECLINED'
    ? encodeEvent(MembershipEvents.MemberTransferDeclined, { ...transferOf(request), declinedAt: at })
    : encodeEvent(MembershipEvents.MemberTransferCancelled, { ...transferOf(request), cancelledAt: at });
}

/** The event of a status change: 退休 MemberRetired, 退会 MemberWithdrew, 去世 MemberDeceased. */
export function memberStatusChanged(
  member: Member,
  change: 'RETIRED' | 'WITHDRAWN' | 'DECEASED',
  effectiveOn: string,
  version: string,
  reason?: string,
): EncodedEvent {
  const common = { memberId: member.id, branchId: member.branchId, effectiveOn: date(effectiveOn), version };
  switch (change) {
    case 'RETIRED':
      return encodeEvent(MembershipEvents.MemberRetired, common);
    case 'WITHDRAWN':
      return encodeEvent(MembershipEvents.MemberWithdrew, { ...common, reason: reason ?? '' });
    case 'DECEASED':
      return encodeEvent(MembershipEvents.MemberDeceased, common);
  }
}

/** 重新入会: `fromBranchId` when the member rejoined another branch than the one they left. */
export function memberReinstated(
  member: Member,
  effectiveOn: string,
  version: string,
  { fromBranchId, reason }: { fromBranchId?: string; reason?: string } = {},
): EncodedEvent {
  return encodeEvent(MembershipEvents.MemberReinstated, {
    memberId: member.id,
    branchId: member.branchId,
    fromBranchId: fromBranchId ?? '',
    status: PbMemberStatus[member.status],
    effectiveOn: date(effectiveOn),
    reason: reason ?? '',
    version,
  });
}
// ------------------------------------------------------------------------------------------------------------
// the federation's structure: branches' changes, union groups, committees, merges

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
