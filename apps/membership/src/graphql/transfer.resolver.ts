import { Args, Context, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CurrentReach, type Reach } from '@unionfed/auth';
import { CurrentActing, type RequestActing } from '@unionfed/audit';
import { InvalidInputError } from '@unionfed/domain-kit';
import { isUuid } from '@unionfed/persistence';
import { decodeCursor, pageSize, toConnection, type Connection } from '@unionfed/graphql-kit';
import { TransferCommands } from '../application/transfer.commands';
import { TRANSFER_STATUSES, type MemberTransfer, type TransferStatus } from '../domain/transfer';
import type { Branch } from '../domain/structure';
import { MembershipRepository } from '../infrastructure/membership.repository';
import type { TransferCandidate } from '../infrastructure/member.mapper';
import { TransferRepository } from '../infrastructure/transfer.repository';
import { branchLoader } from './branch-loader';

/** A request as served: with what it shows of its member (its candidate), loaded with it or afterwards. */
type Served = MemberTransfer & { candidate?: TransferCandidate };

/**
 * 会籍转移's requests. Access is decided inside the commands, after the locked reads (see TransferCommands); the
 * lists are narrowed to the caller's reach in their SQL.
 */
@Resolver('MemberTransfer')
export class TransferResolver {
  constructor(
    private readonly commands: TransferCommands,
    private readonly transfers: TransferRepository,
    private readonly members: MembershipRepository,
  ) {}

  @Query('memberTransfers')
  async memberTransfers(
    @CurrentReach() reach: Reach,
    @Args('direction') direction: 'INCOMING' | 'OUTGOING',
    @Args('status') status: TransferStatus = 'PENDING',
    @Args('branchId') branchId?: string,
    @Args('first') first?: number,
    @Args('after') after?: string,
  ): Promise<Connection<Served>> {
    const size = pageSize(first);
    const afterId = after ? decodeCursor(after) : undefined;
    if (!TRANSFER_STATUSES.includes(status)) {
      throw new InvalidInputError('status is not a transfer status', 'INVALID_STATUS', { field: 'status' });
    }
    // asking for another branch is refused (and audited), as the roster does
    if (branchId) reach.assertBranch(branchId);
    if ((branchId && !isUuid(branchId)) || (afterId && !isUuid(afterId))) {
      return toConnection<Served>([], size, 0, (t) => t.id);
    }
    const page = await this.transfers.list(direction, status, reach, size, afterId, branchId);
    return toConnection<Served>(page.rows, size, page.totalCount, (t) => t.id);
  }

  @Mutation('requestMemberTransfer')
  requestMemberTransfer(
    @Args('input')
    input: { memberId: string; toBranchId: string; effectiveOn?: string | null; reason?: string | null },
    @CurrentActing() acting: RequestActing,
  ): Promise<Served> {
    return this.commands.request(input, acting);
  }

  @Mutation('acceptMemberTransfer')
  acceptMemberTransfer(
    @Args('input') input: { transferId: string },
    @CurrentActing() acting: RequestActing,
  ): Promise<Served> {
    return this.commands.accept(input.transferId, acting);
  }

  @Mutation('declineMemberTransfer')
  declineMemberTransfer(
    @Args('input') input: { transferId: string; reason?: string | null },
    @CurrentActing() acting: RequestActing,
  ): Promise<Served> {
    return this.commands.close(input.transferId, 'DECLINED', input, acting);
  }

  @Mutation('cancelMemberTransfer')
  cancelMemberTransfer(
    @Args('input') input: { transferId: string; reason?: string | null },
    @CurrentActing() acting: RequestActing,
  ): Promise<Served> {
    return this.commands.close(input.transferId, 'CANCELLED', input, acting);
  }

  @ResolveField('candidate')
  async candidate(@Parent() transfer: Served): Promise<TransferCandidate | undefined> {
    return transfer.candidate ?? this.transfers.candidate(transfer.memberId);
  }

  @ResolveField('fromBranch')
  fromBranch(@Parent() transfer: Served, @Context() ctx: object): Promise<Branch | undefined> {
    return branchLoader(ctx, this.members).load(transfer.fromBranchId);
  }

  @ResolveField('toBranch')
  toBranch(@Parent() transfer: Served, @Context() ctx: object): Promise<Branch | undefined> {
    return branchLoader(ctx, this.members).load(transfer.toBranchId);
  }

  @ResolveField('requestedAt')
  requestedAt(@Parent() transfer: Served): string {
    return transfer.requestedAt.toISOString();
  }

  @ResolveField('decidedAt')
  decidedAt(@Parent() transfer: Served): string | null {
    return transfer.decidedAt?.toISOString() ?? null;
  }
}
