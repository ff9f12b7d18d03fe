import { ConflictError, DomainError, parseIsoDate, todayInShanghai } from '@unionfed/domain-kit';
import type { Branch } from './structure';
import { transfer, type Member, type MemberHistoryEntry } from './member';

/**
 * 会籍转移 in two steps: the sending branch (the member's) requests, the receiving branch accepts or declines, the
 * sender may cancel while the request is pending. Until it is accepted the member stays where they are; accepting
 * moves them by member.ts's `transfer`. No I/O here.
 */
export const TRANSFER_STATUSES = ['PENDING', 'ACCEPTED', 'DECLINED', 'CANCELLED'] as const;
export type TransferStatus = (typeof TRANSFER_STATUSES)[number];

export interface MemberTransfer {
  id: string;
  memberId: string;
  fromBranchId: string;
  toBranchId: string;
  status: TransferStatus;
  /** the day the move takes effect, as the request proposes it; the day of acceptance when not given */
  effectiveOn?: string;
  reason?: string;
  requestedBy: string;
  requestedAt: Date;
  decidedBy?: string;
  decidedAt?: Date;
  /** why the receiving branch declined, or why the sender cancelled */
  decisionReason?: string;
}

type History = Omit<MemberHistoryEntry, 'id'>;

/**
 * "Not there": what an unknown request and one out of the caller's reach both answer. It names nothing — no id,
 * no member, no branch.
 */
export class TransferNotFoundError extends DomainError {
  readonly kind = 'NOT_FOUND' as const;
  constructor() {
    super('there is no such transfer request', 'TRANSFER_NOT_FOUND');
  }
}

/** "Not there" for a member that does not exist or is out of the caller's reach; names nothing either. */
export class TransferMemberNotFoundError extends DomainError {
  readonly kind = 'NOT_FOUND' as const;
  constructor() {
    super('there is no such member', 'MEMBER_NOT_FOUND');
  }
}

/** "Not there" for a receiving branch that does not exist. */
export class TransferBranchNotFoundError extends DomainError {
  readonly kind = 'NOT_FOUND' as const;
  constructor() {
    super('there is no such branch union', 'BRANCH_NOT_FOUND');
  }
}

const optional = (value: string | null | undefined) => value?.trim() || undefined;

function requirePending(request: MemberTransfer): void {
  if (request.status !== 'PENDING') {
    throw new ConflictError(
      `the transfer request is already ${request.status.toLowerCase()}`,
      'TRANSFER_NOT_PENDING',
      { status: request.status },
    );
  }
}

/**
 * 申请转出: the member's branch asks another active branch to take an active member. The rules of the move itself
 * (active member, another active branch, a date between joining and today) are checked now, by `transfer`, and
 * again on acceptance. The member does not change.
 */
export function requestTransfer(
  id: string,
  member: Member,
  to: Branch,
  input: { effectiveOn?: string | null; reason?: string | null },
  requestedBy: string,
  now: Date,
  today: string = todayInShanghai(),
): { request: MemberTransfer; history: History } {
  const effectiveOn = input.effectiveOn ? parseIsoDate(input.effectiveOn, 'effectiveOn') : undefined;
  transfer(member, to, { effectiveOn }, today);
  const reason = optional(input.reason);
  const request: MemberTransfer = {
    id,
    memberId: member.id,
    fromBranchId: member.branchId,
    toBranchId: to.id,
    status: 'PENDING',
    effectiveOn,
    reason,
    requestedBy,
    requestedAt: now,
  };
  return {
    request,
    history: {
      memberId: member.id,
      change: 'TRANSFER_REQUESTED',
      branchId: member.branchId,
      effectiveOn: today,
      details: { transferId: id, toBranchId: to.id, ...(effectiveOn ? { effectiveOn } : {}) },
    },
  };
}

/**
 * 接收: the receiving branch takes the member. The request must still be pending and still fit the member: they are
 * still an active member of the branch that asked (else TRANSFER_OUTDATED — they retired or moved meanwhile).
 * The move is member.ts's `transfer`, effective on the requested day (or today).
 */
export function acceptTransfer(
  request: MemberTransfer,
  member: Member,
  to: Branch,
  decidedBy: string,
  now: Date,
  today: string = todayInShanghai(),
): { request: MemberTransfer; member: Member; history: History } {
  requirePending(request);
  if (member.id !== request.memberId || to.id !== request.toBranchId) {
    throw new Error('acceptTransfer: the member or branch is not the request’s');
  }
  if (member.branchId !== request.fromBranchId || member.status !== 'ACTIVE') {
    throw new ConflictError(
      'the member is no longer an active member of the branch that asked; cancel the request',
      'TRANSFER_OUTDATED',
    );
  }
  const moved = transfer(member, to, { effectiveOn: request.effectiveOn }, today);
  return {
    request: { ...request, status: 'ACCEPTED', decidedBy, decidedAt: now },
    member: moved.member,
    history: { ...moved.history, details: { ...moved.history.details, transferId: request.id } },
  };
}

/**
 * 不予接收 (the receiving branch) or 撤回 (the sending branch): the request ends, the member stays where they are.
 * The history entry is the member's branch's (the sender's).
 */
export function closeTransfer(
  request: MemberTransfer,
  outcome: 'DECLINED' | 'CANCELLED',
  input: { reason?: string | null },
  decidedBy: string,
  now: Date,
  today: string = todayInShanghai(),
): { request: MemberTransfer; history: History } {
  requirePending(request);
  const decisionReason = optional(input.reason);
  return {
    request: { ...request, status: outcome, decidedBy, decidedAt: now, decisionReason },
    history: {
      memberId: request.memberId,
      change: outcome === 'DECLINED' ? 'TRANSFER_DECLINED' : 'TRANSFER_CANCELLED',
      branchId: request.fromBranchId,
      effectiveOn: today,
      details: {
        transferId: request.id,
        toBranchId: request.toBranchId,
        ...(decisionReason ? { reason: decisionReason } : {}),
      },
    },
  };
}
