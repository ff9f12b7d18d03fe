import {
  DisbursementPaidSchema,
  DisbursementRejectedSchema,
  DisbursementRequestedSchema,
} from './gen/unionfed/events/v1/finance_pb';
import { defineEvent, defineTopic } from './registry';

export const FINANCE_TOPICS = {
  /** requests to pay, published by the requesting services (welfare, activities) in finance's contract */
  disbursementRequest: defineTopic('finance', 'disbursement-request', 1, {
    producers: ['welfare', 'activities'],
    key: 'request id',
  }),
  /** finance's answers: paid or rejected, once per request */
  disbursement: defineTopic('finance', 'disbursement', 1, { key: 'request id' }),
} as const;

const { disbursementRequest, disbursement } = FINANCE_TOPICS;
const branchOf = (e: { branchId: string }) => e.branchId || undefined;

export const FinanceEvents = {
  DisbursementRequested: defineEvent(
    disbursementRequest,
    DisbursementRequestedSchema,
    (e) => e.requestId,
    branchOf,
  ),
  DisbursementPaid: defineEvent(disbursement, DisbursementPaidSchema, (e) => e.requestId, branchOf),
  DisbursementRejected: defineEvent(disbursement, DisbursementRejectedSchema, (e) => e.requestId, branchOf),
} as const;
