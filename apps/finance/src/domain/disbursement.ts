import type { Money } from '@unionfed/domain-kit';
import { BANK_ACCOUNT, type AccountKind } from './chart-of-accounts';
import type { PostingRequest } from './journal-entry';

/**
 * A disbursement another service asks finance for (welfare's care payments and relief grants, activities' actual
 * costs): paid from a fund of an accounting entity, or rejected with a reason the requester turns into a visible
 * state. Each request id is decided once; a repeated request answers that decision.
 */
export type Beneficiary =
  { kind: 'MEMBER'; memberId: string } | { kind: 'NON_MEMBER'; name: string; relation: string };

export interface DisbursementRequest {
  requestId: string;
  requestingService: string;
  /** the accounting entity that pays: a branch, or null for HQ */
  branchId: string | null;
  fundCode: string | null;
  budgetLineId: string | null;
  /** the expense category (a leaf EXPENSE account of the chart) */
  expenseAccountCode: string;
  amount: Money;
  beneficiary: Beneficiary;
  purpose: string;
}

export type RejectionReason =
  | 'INSUFFICIENT_FUNDS'
  | 'BUDGET_EXCEEDED'
  | 'UNKNOWN_MEMBER'
  | 'UNKNOWN_BRANCH'
  | 'UNKNOWN_FUND'
  | 'UNKNOWN_BUDGET_LINE'
  | 'UNKNOWN_ACCOUNT'
  | 'FISCAL_YEAR_CLOSED'
  | 'INVALID_REQUEST';

/** What finance knows when it decides, read (and the fund locked) in the inbox transaction. */
export interface DisbursementFacts {
  /** the branch is in finance's directory (always true for HQ) */
  branchKnown: boolean;
  /** the member beneficiary is in the directory, active, and within the paying entity (HQ: any branch) */
  memberPayable: boolean;
  fundKnown: boolean;
  /** the expense account's kind, and whether it takes postings (a leaf) */
  expenseAccount: { kind: AccountKind; leaf: boolean } | undefined;
  /** the fiscal year of the payment date is open for the entity */
  yearOpen: boolean;
  /** the fund's balance at the entity, locked */
  fundBalance: Money;
}

export type DisbursementDecision =
  | { outcome: 'PAY'; posting: PostingRequest }
  | { outcome: 'REJECT'; reason: RejectionReason; detail: string };

const reject = (reason: RejectionReason, detail: string): DisbursementDecision => ({
  outcome: 'REJECT',
  reason,
  detail,
});

/**
 * Decides a request: the first reason it cannot be paid, or the entry that pays it (Dr the expense category,
 * Cr the bank, both in the fund) — reserving and paying in one transaction, so there is no state between them for
 * a crash to leave behind.
 */
export function decideDisbursement(
  request: DisbursementRequest,
  facts: DisbursementFacts,
  paidOn: string,
): DisbursementDecision {
  if (request.amount.fen <= 0n) return reject('INVALID_REQUEST', 'the amount must be positive');
  if (request.purpose.trim() === '') return reject('INVALID_REQUEST', 'the purpose is missing');
  if (request.beneficiary.kind === 'NON_MEMBER' && request.beneficiary.name.trim() === '')
    return reject('INVALID_REQUEST', 'a non-member beneficiary needs a name');
  if (!facts.branchKnown) return reject('UNKNOWN_BRANCH', 'the paying branch is not known');
  // budget lines are finance's next part (§3): until then a request against one cannot be paid
  if (request.budgetLineId) return reject('UNKNOWN_BUDGET_LINE', 'the budget line is not known');
  if (!request.fundCode) return reject('INVALID_REQUEST', 'a fund or a budget line must be named');
  if (!facts.fundKnown) return reject('UNKNOWN_FUND', 'the fund is not known');
  if (!facts.expenseAccount || facts.expenseAccount.kind !== 'EXPENSE' || !facts.expenseAccount.leaf)
    return reject('UNKNOWN_ACCOUNT', 'the expense category is not a postable expense account');
  if (request.beneficiary.kind === 'MEMBER' && !facts.memberPayable)
    return reject('UNKNOWN_MEMBER', 'the beneficiary is not an active member of the paying entity');
  if (!facts.yearOpen) return reject('FISCAL_YEAR_CLOSED', 'the fiscal year of the payment is not open');
  if (facts.fundBalance.fen < request.amount.fen)
    return reject('INSUFFICIENT_FUNDS', 'the fund does not hold the amount');
  return {
    outcome: 'PAY',
    posting: {
      branchId: request.branchId,
      entryDate: paidOn,
      memo: `${request.purpose.trim().slice(0, 180)}（${request.requestingService}）`,
      idempotencyKey: `disbursement:${request.requestId}`,
      source: 'DISBURSEMENT',
      lines: [
        {
          accountCode: request.expenseAccountCode,
          fundCode: request.fundCode,
          side: 'DEBIT',
          amount: request.amount,
        },
        { accountCode: BANK_ACCOUNT, fundCode: request.fundCode, side: 'CREDIT', amount: request.amount },
      ],
    },
  };
}
