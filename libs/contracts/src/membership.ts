import {
  BranchOpenedSchema,
  BranchUpdatedSchema,
  MemberDeceasedSchema,
  MemberJoinedSchema,
  MemberProfileUpdatedSchema,
  MemberRetiredSchema,
  MemberTransferredSchema,
  MemberWithdrewSchema,
} from './gen/unionfed/events/v1/membership_pb';
import { defineEvent, defineTopic } from './registry';

export const MEMBERSHIP_TOPICS = {
  branch: defineTopic('membership', 'branch'),
  member: defineTopic('membership', 'member'),
} as const;

const { branch, member } = MEMBERSHIP_TOPICS;

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
  MemberJoined: defineEvent(
    member,
    MemberJoinedSchema,
    (e) => e.memberId,
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
} as const;
