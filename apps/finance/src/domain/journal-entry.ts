import { createHash } from 'node:crypto';
import { InvalidInputError, parseIsoDate, type Money } from '@unionfed/domain-kit';
import type { AccountKind } from './chart-of-accounts';

/**
 * A journal entry (记账凭证) as it is asked to be posted. Posting is whole or not at all; the database checks
 * again what is checked here (the balance per fund, the open year, immutability), so this is where a caller gets
 * a clear answer, and the database is where no other path gets around the rules.
 */
export type Side = 'DEBIT' | 'CREDIT';
export type EntrySource = 'MANUAL' | 'REVERSAL' | 'DISBURSEMENT';

export interface PostingLine {
  accountCode: string;
  fundCode: string;
  side: Side;
  /** > 0 */
  amount: Money;
}

export interface PostingRequest {
  /** the accounting entity: a branch, or null for HQ (校工会) */
  branchId: string | null;
  /** YYYY-MM-DD; its year is the fiscal year the entry goes into */
  entryDate: string;
  memo: string;
  /** the same key (per accounting entity) posts once: a repeated request answers the entry it posted */
  idempotencyKey: string;
  source: EntrySource;
  reversesEntryId?: string | null;
  lines: PostingLine[];
}

export interface PostedLine extends PostingLine {
  lineNo: number;
}

export interface JournalEntry {
  id: string;
  branchId: string | null;
  fiscalYear: number;
  entryDate: string;
  memo: string;
  source: EntrySource;
  idempotencyKey: string;
  reversesEntryId: string | null;
  postedBy: string;
  postedAt: Date;
  lines: PostedLine[];
}

export const MAX_LINES = 200;
const MAX_MEMO = 200;

export const fiscalYearOf = (date: string): number => Number(date.slice(0, 4));

/**
 * Checks an entry for what it says by itself (amounts, sides, balance per fund, text) and answers it in canonical
 * form. The first broken rule is thrown (InvalidInputError, with the input field).
 */
export function checkPosting(request: PostingRequest): PostingRequest {
  const memo = request.memo.trim();
  if (memo.length < 1 || memo.length > MAX_MEMO)
    throw new InvalidInputError('摘要须为1至200个字符 (a memo of 1–200 characters)', 'INVALID_MEMO', {
      field: 'memo',
    });
  const key = request.idempotencyKey;
  if (key.length < 1 || key.length > 200)
    throw new InvalidInputError(
      '幂等键须为1至200个字符 (an idempotency key of 1–200 characters)',
      'INVALID_IDEMPOTENCY_KEY',
      { field: 'idempotencyKey' },
    );
  const entryDate = parseIsoDate(request.entryDate, 'entryDate');
  if (request.lines.length < 2 || request.lines.length > MAX_LINES)
    throw new InvalidInputError('凭证须有2至200条分录 (an entry has 2–200 lines)', 'INVALID_LINE_COUNT', {
      field: 'lines',
    });
  const totals = new Map<string, bigint>();
  request.lines.forEach((line, index) => {
    if (line.amount.fen <= 0n)
      throw new InvalidInputError('金额须大于零 (an amount must be positive)', 'INVALID_AMOUNT', {
        field: `lines.${index}.amount`,
      });
    const signed = line.side === 'DEBIT' ? line.amount.fen : -line.amount.fen;
    totals.set(line.fundCode, (totals.get(line.fundCode) ?? 0n) + signed);
  });
  for (const [fund, total] of totals)
    if (total !== 0n)
      throw new InvalidInputError(
        '借贷不平衡：每项资金的借方合计须等于贷方合计 (debits must equal credits in every fund)',
        'UNBALANCED_ENTRY',
        { field: 'lines', fund },
      );
  return { ...request, memo, entryDate };
}

/**
 * How the entry moves each fund's balance (the fund's assets): debits minus credits of its lines on ASSET
 * accounts. A fund whose move is negative must hold at least that much.
 */
export function fundMoves(
  request: Pick<PostingRequest, 'lines'>,
  kindOf: (accountCode: string) => AccountKind | undefined,
): Map<string, bigint> {
  const moves = new Map<string, bigint>();
  for (const line of request.lines) {
    if (kindOf(line.accountCode) !== 'ASSET') continue;
    const signed = line.side === 'DEBIT' ? line.amount.fen : -line.amount.fen;
    moves.set(line.fundCode, (moves.get(line.fundCode) ?? 0n) + signed);
  }
  return moves;
}

/** The reversing entry (红字冲销) of a posted one: the same lines, sides swapped, dated `entryDate`. */
export function reversalOf(
  entry: JournalEntry,
  input: { entryDate: string; memo: string; idempotencyKey: string },
): PostingRequest {
  if (entry.source === 'REVERSAL')
    throw new InvalidInputError(
      '冲销凭证不能再冲销 (a reversing entry is not reversed: post the entry again)',
      'REVERSAL_OF_REVERSAL',
      { field: 'entryId' },
    );
  return {
    branchId: entry.branchId,
    entryDate: input.entryDate,
    memo: input.memo,
    idempotencyKey: input.idempotencyKey,
    source: 'REVERSAL',
    reversesEntryId: entry.id,
    lines: entry.lines.map((line) => ({
      accountCode: line.accountCode,
      fundCode: line.fundCode,
      side: line.side === 'DEBIT' ? 'CREDIT' : 'DEBIT',
      amount: line.amount,
    })),
  };
}

/** What a request is, for telling a repeat (same key, same request) from a reuse of its key for another one. */
export function requestHash(request: PostingRequest): string {
  const canonical = JSON.stringify([
    request.branchId,
    request.entryDate,
    request.memo,
    request.source,
    request.reversesEntryId ?? null,
    request.lines.map((l) => [l.accountCode, l.fundCode, l.side, l.amount.fen.toString()]),
  ]);
  return createHash('sha256').update(canonical).digest('base64url');
}
