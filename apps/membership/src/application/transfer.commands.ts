import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { ConflictError } from '@unionfed/domain-kit';
import { inTransaction, isUuid, uuidv7 } from '@unionfed/persistence';
import { Outbox, type OutboxContext } from '@unionfed/messaging';
import type { Reach } from '@unionfed/auth';
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
import { TransferRepository } from '../infrastructure/transfer.repository';
import { memberTransferClosed, memberTransferRequested } from '../infrastructure/events';
import { recordTransfer } from './membership.commands';

/** Who acts, and how far they reach (checked inside the transaction, after the locked reads). */
export interface TransferActor {
  subject: string;
  reach: Reach;
}

const UNIQUE_VIOLATION = '23505';

function isOnePendingViolation(error: unknown): boolean {
  const driver = (error as QueryFailedError & { driverError?: { code?: string; constraint?: string } })
    .driverError;
  return (
    error instanceof QueryFailedError &&
    driver?.code === UNIQUE_VIOLATION &&
    driver.constraint === 'member_transfer_one_pending'
  );
}

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
    private readonly dataSource: DataSource,
    private readonly members: MembershipRepository,
    private readonly transfers: TransferRepository,
    private readonly outbox: Outbox,
  ) {}

  /**
   * 申请转出. A requester who also reaches the receiving branch (HQ, or an officer of both) gives both sides'
   * consent: the request is accepted in the same transaction (both history entries, both events).
   */
  async request(
    input: { memberId: string; toBranchId: string; effectiveOn?: string | null; reason?: string | null },
    actor: TransferActor,
    context: OutboxContext = {},
  ): Promise<MemberTransfer> {
    try {
      return await inTransaction(this.dataSource, async (manager) => {
        const member = isUuid(input.memberId)
          ? await this.members.findMember(input.memberId, manager, true)
          : undefined;
        if (!member || !actor.reach.includesBranch(member.branchId)) throw new TransferMemberNotFoundError();
        const to = isUuid(input.toBranchId)
          ? await this.members.findBranch(input.toBranchId, manager, true)
          : undefined;
        if (!to) throw new TransferBranchNotFoundError();
        if (await this.transfers.pendingOf(member.id, manager)) throw alreadyPending();
        const { request, history } = requestTransfer(uuidv7(), member, to, input, actor.subject, new Date());
        await this.transfers.insert(manager, request);
        await this.members.addHistory(manager, { id: uuidv7(), ...history });
        await this.outbox.add(manager, memberTransferRequested(request), context);
        if (!actor.reach.includesBranch(to.id)) return request;
        return this.accepted(manager, request, member, to, actor, context);
      });
    } catch (error) {
      // two requests for one member racing: the partial unique index decides
      if (isOnePendingViolation(error)) throw alreadyPending();
      throw error;
    }
  }

  /** 接收: the receiving branch (or HQ) takes the member; they move as a transfer moves them. */
  accept(transferId: string, actor: TransferActor, context: OutboxContext = {}): Promise<MemberTransfer> {
    return inTransaction(this.dataSource, async (manager) => {
      const { request, member } = await this.lockedRequest(manager, transferId, 'toBranchId', actor);
      const to = await this.members.findBranch(request.toBranchId, manager, true);
      if (!to) throw new TransferNotFoundError();
      return this.accepted(manager, request, member, to, actor, context);
    });
  }

  /** 不予接收 (the receiving branch, or HQ) or 撤回 (the sending branch, or HQ): the member stays. */
  close(
    transferId: string,
    outcome: 'DECLINED' | 'CANCELLED',
    input: { reason?: string | null },
    actor: TransferActor,
    context: OutboxContext = {},
  ): Promise<MemberTransfer> {
    return inTransaction(this.dataSource, async (manager) => {
      const side = outcome === 'DECLINED' ? 'toBranchId' : 'fromBranchId';
      const { request } = await this.lockedRequest(manager, transferId, side, actor);
      const closed = closeTransfer(request, outcome, input, actor.subject, new Date());
      await this.transfers.saveDecision(manager, closed.request);
      await this.members.addHistory(manager, { id: uuidv7(), ...closed.history });
      await this.outbox.add(manager, memberTransferClosed(closed.request), context);
      return closed.request;
    });
  }

  private async accepted(
    manager: EntityManager,
    request: MemberTransfer,
    member: Member,
    to: Branch,
    actor: TransferActor,
    context: OutboxContext,
  ): Promise<MemberTransfer> {
    const accepted = acceptTransfer(request, member, to, actor.subject, new Date());
    await this.transfers.saveDecision(manager, accepted.request);
    await recordTransfer(manager, this.members, this.outbox, member, accepted, request.id, context);
    return accepted.request;
  }

  /**
   * The request and its member, both locked (member first), and the caller's reach checked on the locked request:
   * `side` is the branch that decides (the receiving one for accept/decline, the sending one for cancel).
   */
  private async lockedRequest(
    manager: EntityManager,
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
