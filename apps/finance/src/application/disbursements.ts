import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError, Money, todayInShanghai } from '@unionfed/domain-kit';
import { isUuid, type Acting } from '@unionfed/persistence';
import type { DisbursementRequested } from '@unionfed/contracts';
import type { HandlerOutbox } from '@unionfed/messaging';
import type { AuditTrail } from '@unionfed/audit';
import { decideDisbursement, type DisbursementRequest, type RejectionReason } from '../domain/disbursement';
import { fiscalYearOf } from '../domain/journal-entry';
import { DisbursementRepository, type DecidedDisbursement } from '../infrastructure/disbursement.repository';
import { financeAuditTrail } from '../infrastructure/finance.unit-of-work';
import { LedgerPosting } from '../infrastructure/ledger-posting';
import { disbursementOutcome } from './integration-events';

/** Who pays a requested disbursement: the service itself (its consumer), as the audit trail names it. */
export const DISBURSEMENT_ACTING: Acting = Object.freeze({
  actorId: '',
  actorName: 'finance.disbursements',
  role: null,
  roleBranchId: null,
});

/** The request as the domain reads it (an id that is no UUID is refused as an invalid request). */
export function requestOf(event: DisbursementRequested): DisbursementRequest {
  const beneficiary =
    event.beneficiary.case === 'memberId'
      ? { kind: 'MEMBER' as const, memberId: event.beneficiary.value }
      : {
          kind: 'NON_MEMBER' as const,
          name: event.beneficiary.value?.name ?? '',
          relation: event.beneficiary.value?.relation ?? '',
        };
  return {
    requestId: event.requestId,
    requestingService: event.requestingService,
    branchId: event.branchId || null,
    fundCode: event.source.case === 'fundCode' ? event.source.value : null,
    budgetLineId: event.source.case === 'budgetLineId' ? event.source.value : null,
    expenseAccountCode: event.expenseAccountCode,
    amount: Money.ofFen(event.amountFen),
    beneficiary,
    purpose: event.purpose,
  };
}

/** Domain refusals of the posting path, as the reasons a requester understands. */
const REASON_OF: Record<string, RejectionReason> = {
  INSUFFICIENT_FUNDS: 'INSUFFICIENT_FUNDS',
  FISCAL_YEAR_CLOSED: 'FISCAL_YEAR_CLOSED',
  UNKNOWN_ACCOUNT: 'UNKNOWN_ACCOUNT',
  ACCOUNT_NOT_POSTABLE: 'UNKNOWN_ACCOUNT',
  UNKNOWN_FUND: 'UNKNOWN_FUND',
};

/**
 * The disbursement saga's finance step. In the consumer's inbox transaction: lock the request id, and — when it
 * was decided before (a redelivery under another event id, a requester asking again) — answer the same outcome
 * again; otherwise read the facts with the fund's balance locked (the reservation), decide, post the paying entry
 * through the ledger's one posting path, record the decision and emit DisbursementPaid or DisbursementRejected.
 * All of it commits with the inbox row or not at all: a crash anywhere leaves nothing half done, and the
 * redelivered event decides again from the start — once.
 */
@Injectable()
export class Disbursements {
  private readonly audit: AuditTrail = financeAuditTrail();

  constructor(
    private readonly repository: DisbursementRepository,
    private readonly posting: LedgerPosting,
  ) {}

  async handle(
    event: DisbursementRequested,
    manager: EntityManager,
    outbox: HandlerOutbox,
  ): Promise<DecidedDisbursement> {
    if (!isUuid(event.requestId)) throw new Error('a DisbursementRequested without a request id (UUID)');
    const known = await this.repository.lockRequest(manager, event.requestId);
    if (known) {
      await outbox.add(disbursementOutcome(known));
      return known;
    }
    const request = requestOf(event);
    const decided = await this.decide(manager, request);
    await outbox.add(disbursementOutcome(decided));
    await this.audit.write(manager, DISBURSEMENT_ACTING, [
      {
        action: decided.status === 'PAID' ? 'DISBURSEMENT_PAID' : 'DISBURSEMENT_REJECTED',
        entityType: 'Disbursement',
        entityId: decided.requestId,
        branchId: decided.branchId,
        before: null,
        after: {
          requestingService: decided.requestingService,
          fundCode: decided.fundCode,
          amountFen: decided.amount.fen.toString(),
          status: decided.status,
          rejectionReason: decided.rejectionReason,
          entryId: decided.entryId,
        },
      },
    ]);
    return decided;
  }

  private async decide(manager: EntityManager, request: DisbursementRequest): Promise<DecidedDisbursement> {
    const paidOn = todayInShanghai();
    const validBranch = request.branchId === null || isUuid(request.branchId);
    const facts = {
      branchKnown: validBranch && (await this.repository.branchKnown(manager, request.branchId)),
      memberPayable:
        request.beneficiary.kind === 'MEMBER' &&
        validBranch &&
        isUuid(request.beneficiary.memberId) &&
        (await this.repository.memberPayable(manager, request.beneficiary.memberId, request.branchId)),
      fundKnown:
        Boolean(request.fundCode) && (await this.repository.fundKnown(manager, request.fundCode ?? '')),
      expenseAccount: await this.repository.expenseAccount(manager, request.expenseAccountCode),
      yearOpen:
        validBranch && (await this.repository.yearOpen(manager, request.branchId, fiscalYearOf(paidOn))),
      fundBalance:
        validBranch && request.fundCode
          ? await this.repository.lockFundBalance(manager, request.branchId, request.fundCode)
          : Money.ZERO,
    };
    const decision = decideDisbursement(request, facts, paidOn);
    if (decision.outcome === 'REJECT')
      return this.repository.record(manager, request, {
        status: 'REJECTED',
        reason: decision.reason,
        detail: decision.detail,
      });
    try {
      const [{ entry }] = await this.posting.post(manager, [decision.posting], DISBURSEMENT_ACTING.actorName);
      return await this.repository.record(manager, request, { status: 'PAID', entryId: entry.id });
    } catch (error) {
      // a rule the posting path found (checked before any write): the request is rejected for it
      const reason = error instanceof DomainError ? REASON_OF[error.reason] : undefined;
      if (!reason) throw error;
      const detail = (error as DomainError).message;
      return this.repository.record(manager, request, { status: 'REJECTED', reason, detail });
    }
  }
}
