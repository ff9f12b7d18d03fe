import { InvalidInputError, Money } from '@unionfed/domain-kit';
import {
  checkPosting,
  fundMoves,
  requestHash,
  reversalOf,
  type JournalEntry,
  type PostingRequest,
} from './journal-entry';

const line = (accountCode: string, side: 'DEBIT' | 'CREDIT', yuan: string, fundCode = 'GENERAL') => ({
  accountCode,
  fundCode,
  side,
  amount: Money.parse(yuan),
});
const request = (
  lines = [line('1002', 'DEBIT', '10.00'), line('4101', 'CREDIT', '10.00')],
): PostingRequest => ({
  branchId: null,
  entryDate: '2026-03-01',
  memo: ' 会费 ',
  idempotencyKey: 'k-1',
  source: 'MANUAL',
  lines,
});
const reasonOf = (fn: () => unknown): unknown[] | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof InvalidInputError ? [error.reason, error.details.field] : [error];
  }
  return undefined;
};

describe('a journal entry asked to be posted', () => {
  it('is taken when debits equal credits in every fund, its memo trimmed', () => {
    expect(checkPosting(request()).memo).toBe('会费');
  });

  it('refuses debits that differ from credits', () => {
    expect(
      reasonOf(() => checkPosting(request([line('1002', 'DEBIT', '10.00'), line('4101', 'CREDIT', '9.99')]))),
    ).toEqual(['UNBALANCED_ENTRY', 'lines']);
  });

  it('refuses an entry balanced in total but not within each fund', () => {
    const lines = [line('1002', 'DEBIT', '10.00', 'HARDSHIP'), line('4101', 'CREDIT', '10.00', 'GENERAL')];
    expect(reasonOf(() => checkPosting(request(lines)))?.[0]).toBe('UNBALANCED_ENTRY');
  });

  it('refuses a zero or negative amount, naming the line', () => {
    expect(
      reasonOf(() => checkPosting(request([line('1002', 'DEBIT', '0'), line('4101', 'CREDIT', '0')]))),
    ).toEqual(['INVALID_AMOUNT', 'lines.0.amount']);
    expect(
      reasonOf(() => checkPosting(request([line('1002', 'DEBIT', '5.00'), line('4101', 'DEBIT', '-5.00')]))),
    ).toEqual(['INVALID_AMOUNT', 'lines.1.amount']);
  });

  it('refuses fewer than two lines, an empty memo, an impossible date and an empty key', () => {
    expect(reasonOf(() => checkPosting(request([line('1002', 'DEBIT', '1.00')])))?.[0]).toBe(
      'INVALID_LINE_COUNT',
    );
    expect(reasonOf(() => checkPosting({ ...request(), memo: '  ' }))?.[0]).toBe('INVALID_MEMO');
    expect(reasonOf(() => checkPosting({ ...request(), entryDate: '2026-02-30' }))?.[0]).toBe('INVALID_DATE');
    expect(reasonOf(() => checkPosting({ ...request(), idempotencyKey: '' }))?.[0]).toBe(
      'INVALID_IDEMPOTENCY_KEY',
    );
  });

  it('moves each fund by its asset lines only', () => {
    const lines = [
      line('5102', 'DEBIT', '30.00', 'HARDSHIP'),
      line('1002', 'CREDIT', '30.00', 'HARDSHIP'),
      line('1002', 'DEBIT', '5.00'),
      line('4101', 'CREDIT', '5.00'),
    ];
    const moves = fundMoves({ lines }, (code) => (code === '1002' ? 'ASSET' : 'EXPENSE'));
    expect([...moves]).toEqual([
      ['HARDSHIP', -3000n],
      ['GENERAL', 500n],
    ]);
  });

  it('tells a repeat from another request under the same key', () => {
    expect(requestHash(request())).toBe(requestHash(request()));
    expect(requestHash(request())).not.toBe(
      requestHash(request([line('1002', 'DEBIT', '10.01'), line('4101', 'CREDIT', '10.01')])),
    );
  });
});

describe('a reversing entry (红字冲销)', () => {
  const posted: JournalEntry = {
    id: '0190a000-0000-7000-8000-000000000001',
    branchId: 'b',
    fiscalYear: 2026,
    entryDate: '2026-03-01',
    memo: '会费',
    source: 'MANUAL',
    idempotencyKey: 'k',
    reversesEntryId: null,
    postedBy: 'x',
    postedAt: new Date(),
    lines: [
      { ...line('1002', 'DEBIT', '10.00'), lineNo: 1 },
      { ...line('4101', 'CREDIT', '10.00'), lineNo: 2 },
    ],
  };

  it('has the same lines with their sides swapped, naming the entry it reverses', () => {
    const reversal = reversalOf(posted, { entryDate: '2026-04-01', memo: '冲销', idempotencyKey: 'r' });
    expect(reversal).toMatchObject({ branchId: 'b', source: 'REVERSAL', reversesEntryId: posted.id });
    expect(reversal.lines.map((l) => [l.accountCode, l.side, l.amount.toString()])).toEqual([
      ['1002', 'CREDIT', '10.00'],
      ['4101', 'DEBIT', '10.00'],
    ]);
  });

  it('is not itself reversed', () => {
    expect(
      reasonOf(() =>
        reversalOf(
          { ...posted, source: 'REVERSAL' },
          { entryDate: '2026-04-01', memo: 'x', idempotencyKey: 'r' },
        ),
      )?.[0],
    ).toBe('REVERSAL_OF_REVERSAL');
  });
});
