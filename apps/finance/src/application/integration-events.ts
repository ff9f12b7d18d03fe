import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  DisbursementRejectionReason,
  FinanceEvents,
  encodeEvent,
  type EncodedEvent,
} from '@unionfed/contracts';
import type { RejectionReason } from '../domain/disbursement';
import type { DecidedDisbursement } from '../infrastructure/disbursement.repository';

/** Finance's integration events, made from its records (the one place they are built). */
export function disbursementOutcome(decided: DecidedDisbursement): EncodedEvent {
  const common = {
    requestId: decided.requestId,
    requestingService: decided.requestingService,
    branchId: decided.branchId ?? '',
  };
  if (decided.status === 'PAID')
    return encodeEvent(FinanceEvents.DisbursementPaid, {
      ...common,
      fundCode: decided.fundCode ?? '',
      amountFen: decided.amount.fen,
      entryId: decided.entryId ?? '',
      paidAt: timestampFromDate(decided.decidedAt),
    });
  return encodeEvent(FinanceEvents.DisbursementRejected, {
    ...common,
    amountFen: decided.amount.fen,
    reason: DisbursementRejectionReason[decided.rejectionReason as RejectionReason],
    detail: decided.rejectionDetail ?? '',
    rejectedAt: timestampFromDate(decided.decidedAt),
  });
}
