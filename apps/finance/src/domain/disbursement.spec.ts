import { Money } from '@unionfed/domain-kit';
import { decideDisbursement, type DisbursementFacts, type DisbursementRequest } from './disbursement';

const request: DisbursementRequest = {
  requestId: 'r-1',
  requestingService: 'welfare',
  branchId: null,
  fundCode: 'HARDSHIP',
  budgetLineId: null,
  expenseAccountCode: '5102',
  amount: Money.parse('1500.00'),
  beneficiary: { kind: 'MEMBER', memberId: 'm-1' },
  purpose: '困难职工救助',
};
const facts: DisbursementFacts = {
  branchKnown: true,
  memberPayable: true,
  fundKnown: true,
  expenseAccount: { kind: 'EXPENSE', leaf: true },
  yearOpen: true,
  fundBalance: Money.parse('20000.00'),
};
const reason = (r: Partial<DisbursementRequest>, f: Partial<DisbursementFacts> = {}) => {
  const decision = decideDisbursement({ ...request, ...r }, { ...facts, ...f }, '2026-05-01');
  return decision.outcome === 'REJECT' ? decision.reason : 'PAY';
};

describe('deciding a requested disbursement', () => {
  it('pays from the fund: the expense category debited, the bank credited, keyed by the request', () => {
    const decision = decideDisbursement(request, facts, '2026-05-01');
    expect(decision.outcome).toBe('PAY');
    if (decision.outcome !== 'PAY') return;
    expect(decision.posting).toMatchObject({
      idempotencyKey: 'disbursement:r-1',
      entryDate: '2026-05-01',
      source: 'DISBURSEMENT',
    });
    expect(
      decision.posting.lines.map((l) => [l.accountCode, l.fundCode, l.side, l.amount.toString()]),
    ).toEqual([
      ['5102', 'HARDSHIP', 'DEBIT', '1500.00'],
      ['1002', 'HARDSHIP', 'CREDIT', '1500.00'],
    ]);
  });

  it('pays exactly what the fund holds, and refuses a fen more', () => {
    expect(reason({}, { fundBalance: Money.parse('1500.00') })).toBe('PAY');
    expect(reason({}, { fundBalance: Money.parse('1499.99') })).toBe('INSUFFICIENT_FUNDS');
  });

  it('names the first reason it cannot pay', () => {
    expect(reason({}, { memberPayable: false })).toBe('UNKNOWN_MEMBER');
    expect(
      reason(
        { beneficiary: { kind: 'NON_MEMBER', name: '张同学', relation: '学生' } },
        { memberPayable: false },
      ),
    ).toBe('PAY');
    expect(reason({ beneficiary: { kind: 'NON_MEMBER', name: ' ', relation: '' } })).toBe('INVALID_REQUEST');
    expect(reason({}, { branchKnown: false })).toBe('UNKNOWN_BRANCH');
    expect(reason({}, { fundKnown: false })).toBe('UNKNOWN_FUND');
    expect(reason({ fundCode: null, budgetLineId: 'l-1' })).toBe('UNKNOWN_BUDGET_LINE');
    expect(reason({}, { expenseAccount: undefined })).toBe('UNKNOWN_ACCOUNT');
    expect(reason({}, { expenseAccount: { kind: 'INCOME', leaf: true } })).toBe('UNKNOWN_ACCOUNT');
    expect(reason({}, { expenseAccount: { kind: 'EXPENSE', leaf: false } })).toBe('UNKNOWN_ACCOUNT');
    expect(reason({}, { yearOpen: false })).toBe('FISCAL_YEAR_CLOSED');
    expect(reason({ amount: Money.ZERO })).toBe('INVALID_REQUEST');
    expect(reason({ purpose: '' })).toBe('INVALID_REQUEST');
  });
});
