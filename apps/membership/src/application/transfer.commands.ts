import { Injectable } from '@nestjs/common';
import { ConflictError } from '@unionfed/domain-kit';
import { isUuid, uuidv7 } from '@unionfed/persistence';
import type { AuditEntry, RequestActing } from '@unionfed/audit';
import type { Member } from '../domain/member';
import type { Branch } from '../domain/structure';
import {
  acceptTransfer,
  closeTransfer,
  requestTransfer,
  TransferBranchNotFoundError,
  TransferMemberNotFoundError,
  TransferNotFoundError,
  type MemberTransfer,
} from '../domain/transfer';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { MembershipUnitOfWork, type MembershipWork } from '../infrastructure/membership.unit-of-work';
import { TransferRepository } from '../infrastructure/transfer.repository';
import { memberTransferClosed, memberTransferRequested } from './integration-events';
import { recordTransfer } from './membership.commands';

/** Who acts, and how far they reach (checked inside the unit of work, after the locked reads). */
export type TransferActor = RequestActing;

const alreadyPending = () =>
  new ConflictError('the member already has a pending transfer request', 'TRANSFER_ALREADY_PENDING');

/**
 * 会籍转移 in two steps. Each command stores the request's change, the member's history entry and the integration
 * event in ONE transaction. Locks are taken member → request → branch, as the one-step move took member → branch,
 * so requests, decisions, merges and imports never wait on each other in a circle.
 *
 * Access is decided on what the locked reads found: the member's branch must be in the requester's reach, the
 * receiving branch in the decider's, the sending branch in the canceller's. Anything else reads as "not there"
 * (NOT_FOUND naming nothing), so a refusal tells the caller nothing about a member or request of another branch.
 */
@Injectable()
export class TransferCommands {
  constructor(
    private readonly unitOfWork: MembershipUnitOfWork,
    private readonly members: MembershipRepository,
    private readonly transfers: TransferRepository,
  ) {}

  /**
   * 申请转出. A requester who also reaches the receiving branch (HQ, or an officer of both) gives both sides'
   * consent: the request is accepted in the same transaction (both history entries, both events).
   */
  async request(
    input: { memberId: string; toBranchId: string; effectiveOn?: string | null; reason?: string | null },
    actor: TransferActor,
  ): Promise<MemberTransfer> {
    return this.unitOfWork.run(actor, async (work) => {
      const { manager } = work;
      const member = isUuid(input.memberId)
        ? await this.members.findMember(input.memberId, manager, true)
        : undefined;
      if (!member || !actor.reach.includesBranch(member.branchId)) throw new TransferMemberNotFoundError();
      const to = isUuid(input.toBranchId)
        ? await this.members.findBranch(input.toBranchId, manager, true)
        : undefined;
      if (!to) throw new TransferBranchNotFoundError();
      if (await this.transfers.pendingOf(member.id, manager)) throw alreadyPending();
      const { request, history } = requestTransfer(uuidv7(), member, to, input, actor.actorId, new Date());
      await this.transfers.insert(manager, request);
      await this.members.addHistory(manager, { id: uuidv7(), ...history });
      await work.publish(memberTransferRequested(request));
      work.audit(transferAudit('TRANSFER_REQUESTED', undefined, request));
      if (!actor.reach.includesBranch(to.id)) return request;
      return this.accepted(work, request, member, to, actor);
    });
  }

  /** 接收: the receiving branch (or HQ) takes the member; they move as a transfer moves them. */
  accept(transferId: string, actor: TransferActor): Promise<MemberTransfer> {
    return this.unitOfWork.run(actor, async (work) => {
      const { manager } = work;
      const { request, member } = await this.lockedRequest(manager, transferId, 'toBranchId', actor);
      const to = await this.members.findBranch(request.toBranchId, manager, true);
      if (!to) throw new TransferNotFoundError();
      return this.accepted(work, request, member, to, actor);
    });
  }

  /** 不予接收 (the receiving branch, or HQ) or 撤回 (the sending branch, or HQ): the member stays. */
  close(
    transferId: string,
    outcome: 'DECLINED' | 'CANCELLED',
    input: { reason?: string | null },
    actor: TransferActor,
  ): Promise<MemberTransfer> {
    return this.unitOfWork.run(actor, async (work) => {
      const { manager } = work;
      const side = outcome === 'DECLINED' ? 'toBranchId' : 'fromBranchId';
      const { request } = await this.lockedRequest(manager, transferId, side, actor);
      const closed = closeTransfer(request, outcome, input, actor.actorId, new Date());
      await this.transfers.saveDecision(manager, closed.request);
      await this.members.addHistory(manager, { id: uuidv7(), ...closed.history });
      await work.publish(memberTransferClosed(closed.request));
      work.audit(transferAudit(`TRANSFER_${outcome}`, request, closed.request));
      return closed.request;
    });
  }

  private async accepted(
    work: MembershipWork,
    request: MemberTransfer,
    member: Member,
    to: Branch,
    actor: TransferActor,
  ): Promise<MemberTransfer> {
    const accepted = acceptTransfer(request, member, to, actor.actorId, new Date());
    await this.transfers.saveDecision(work.manager, accepted.request);
    work.audit(transferAudit('TRANSFER_ACCEPTED', request, accepted.request));
    await recordTransfer(work, this.members, member, accepted, request.id);
    return accepted.request;
  }

  /**
   * The request and its member, both locked (member first), and the caller's reach checked on the locked request:
   * `side` is the branch that decides (the receiving one for accept/decline, the sending one for cancel).
   */
  private async lockedRequest(
    manager: MembershipWork['manager'],
    transferId: string,
    side: 'toBranchId' | 'fromBranchId',
    actor: TransferActor,
  ): Promise<{ request: MemberTransfer; member: Member }> {
    const seen = isUuid(transferId) ? await this.transfers.find(transferId, manager) : undefined;
    if (!seen || !actor.reach.includesBranch(seen[side])) throw new TransferNotFoundError();
    const member = await this.members.findMember(seen.memberId, manager, true);
    const request = await this.transfers.find(transferId, manager, true);
    if (!member || !request || !actor.reach.includesBranch(request[side])) throw new TransferNotFoundError();
    return { request, member };
  }
}

function transferAudit(
  action: string,
  before: MemberTransfer | undefined,
  after: MemberTransfer,
): AuditEntry {
  // a request is the business of both branches: recorded under the sending one, the receiving one in details
  return {
    action,
    entityType: 'MemberTransfer',
    entityId: after.id,
    branchId: after.fromBranchId,
    before,
    after,
    details: { toBranchId: after.toBranchId },
  };
}
