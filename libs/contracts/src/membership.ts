import {
  BranchDissolvedSchema,
  BranchMergedSchema,
  BranchOpenedSchema,
  BranchStaffHeadcountSetSchema,
  BranchUpdatedSchema,
  CommitteeRoleAssignedSchema,
  CommitteeRoleEndedSchema,
  MemberGroupChangedSchema,
  UnionGroupDissolvedSchema,
  UnionGroupFormedSchema,
  UnionGroupRenamedSchema,
  MemberDeceasedSchema,
  MemberJoinedSchema,
  MembersImportedSchema,
  MemberProfileUpdatedSchema,
  MemberReinstatedSchema,
  MemberRetiredSchema,
  MemberTransferredSchema,
  MemberTransferRequestedSchema,
  MemberTransferDeclinedSchema,
  MemberTransferCancelledSchema,
  MemberWithdrewSchema,
} from './gen/unionfed/events/v1/membership_pb';
import { defineEvent, defineTopic } from './registry';

export const MEMBERSHIP_TOPICS = {
  branch: defineTopic('membership', 'branch'),
  member: defineTopic('membership', 'member'),
  group: defineTopic('membership', 'group'),
  committee: defineTopic('membership', 'committee'),
  /** a roster import's bulk announcements, keyed by the import job (its batches stay in order) */
  rosterImport: defineTopic('membership', 'roster-import'),
} as const;

const { branch, member, group, committee, rosterImport } = MEMBERSHIP_TOPICS;

/** The key of the federation's own (校工会) committee, which belongs to no branch. */
export const FEDERATION_COMMITTEE_KEY = 'federation';
const committeeKey = (e: { committeeBranchId: string }) => e.committeeBranchId || FEDERATION_COMMITTEE_KEY;

export const MembershipEvents = {
  BranchOpened: defineEvent(
    branch,
    BranchOpenedSchema,
    (e) => e.branchId,
    (e) => e.branchId,
  ),
  BranchUpdated: defineEvent(
    branch,
    BranchUpdatedSchema,
    (e) => e.branchId,
    (e) => e.branchId,
  ),
  // keyed by the branch that merged away (its last event); the target's new state follows as BranchUpdated
  BranchMerged: defineEvent(
    branch,
    BranchMergedSchema,
    (e) => e.sourceBranchId,
    (e) => e.sourceBranchId,
  ),
  BranchDissolved: defineEvent(
    branch,
    BranchDissolvedSchema,
    (e) => e.branchId,
    (e) => e.branchId,
  ),
  // 教职工总数 of a year; a BranchUpdated follows when the count in effect today changed
  BranchStaffHeadcountSet: defineEvent(
    branch,
    BranchStaffHeadcountSetSchema,
    (e) => e.branchId,
    (e) => e.branchId,
  ),
  MemberJoined: defineEvent(
    member,
    MemberJoinedSchema,
    (e) => e.memberId,
    (e) => e.branchId,
  ),
  // the members one batch of an import admitted into one branch: their MemberJoined, together
  MembersImported: defineEvent(
    rosterImport,
    MembersImportedSchema,
    (e) => e.jobId,
    (e) => e.branchId,
  ),
  MemberProfileUpdated: defineEvent(
    member,
    MemberProfileUpdatedSchema,
    (e) => e.memberId,
    (e) => e.branchId,
  ),
  // a transfer concerns the branch the member goes to
  MemberTransferred: defineEvent(
    member,
    MemberTransferredSchema,
    (e) => e.memberId,
    (e) => e.toBranchId,
  ),
  // a transfer request (and its end) concerns the branch the member is in, which they have not left
  MemberTransferRequested: defineEvent(
    member,
    MemberTransferRequestedSchema,
    (e) => e.memberId,
    (e) => e.fromBranchId,
  ),
  MemberTransferDeclined: defineEvent(
    member,
    MemberTransferDeclinedSchema,
    (e) => e.memberId,
    (e) => e.fromBranchId,
  ),
  MemberTransferCancelled: defineEvent(
    member,
    MemberTransferCancelledSchema,
    (e) => e.memberId,
    (e) => e.fromBranchId,
  ),
  MemberRetired: defineEvent(
    member,
    MemberRetiredSchema,
    (e) => e.memberId,
    (e) => e.branchId,
  ),
  MemberWithdrew: defineEvent(
    member,
    MemberWithdrewSchema,
    (e) => e.memberId,
    (e) => e.branchId,
  ),
  MemberDeceased: defineEvent(
    member,
    MemberDeceasedSchema,
    (e) => e.memberId,
    (e) => e.branchId,
  ),
  // 重新入会: the branch the member rejoined
  MemberReinstated: defineEvent(
    member,
    MemberReinstatedSchema,
    (e) => e.memberId,
    (e) => e.branchId,
  ),
  MemberGroupChanged: defineEvent(
    member,
    MemberGroupChangedSchema,
    (e) => e.memberId,
    (e) => e.branchId,
  ),
  UnionGroupFormed: defineEvent(
    group,
    UnionGroupFormedSchema,
    (e) => e.groupId,
    (e) => e.branchId,
  ),
  UnionGroupRenamed: defineEvent(
    group,
    UnionGroupRenamedSchema,
    (e) => e.groupId,
    (e) => e.branchId,
  ),
  UnionGroupDissolved: defineEvent(
    group,
    UnionGroupDissolvedSchema,
    (e) => e.groupId,
    (e) => e.branchId,
  ),
  // keyed by committee so that an appointment's end and its successor's start stay in order
  CommitteeRoleAssigned: defineEvent(
    committee,
    CommitteeRoleAssignedSchema,
    committeeKey,
    (e) => e.committeeBranchId || undefined,
  ),
  CommitteeRoleEnded: defineEvent(
    committee,
    CommitteeRoleEndedSchema,
    committeeKey,
    (e) => e.committeeBranchId || undefined,
  ),
} as const;
