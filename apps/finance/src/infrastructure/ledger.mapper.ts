import type { EntityManager } from 'typeorm';
import { Money } from '@unionfed/domain-kit';
import type { EntrySource, JournalEntry, PostedLine } from '../domain/journal-entry';

interface EntryRow {
  id: string;
  branch_id: string | null;
  fiscal_year: number;
  entry_date: string;
  memo: string;
  source: EntrySource;
  idempotency_key: string;
  reverses_entry_id: string | null;
  posted_by: string;
  posted_at: Date;
}

interface LineRow {
  entry_id: string;
  line_no: number;
  account_code: string;
  fund_code: string;
  debit_fen: string;
  credit_fen: string;
}

export const ENTRY_SELECT = `e.id, e.branch_id, e.fiscal_year, to_char(e.entry_date, 'YYYY-MM-DD') AS entry_date,
  e.memo, e.source, e.idempotency_key, e.reverses_entry_id, e.posted_by, e.posted_at`;

export function lineOf(row: LineRow): PostedLine {
  const debit = BigInt(row.debit_fen);
  return {
    lineNo: row.line_no,
    accountCode: row.account_code,
    fundCode: row.fund_code,
    side: debit > 0n ? 'DEBIT' : 'CREDIT',
    amount: Money.ofFen(debit > 0n ? debit : BigInt(row.credit_fen)),
  };
}

export function entryOf(row: EntryRow, lines: PostedLine[]): JournalEntry {
  return {
    id: row.id,
    branchId: row.branch_id,
    fiscalYear: row.fiscal_year,
    entryDate: row.entry_date,
    memo: row.memo,
    source: row.source,
    idempotencyKey: row.idempotency_key,
    reversesEntryId: row.reverses_entry_id,
    postedBy: row.posted_by,
    postedAt: row.posted_at,
    lines,
  };
}

/** Entries with their lines, by id (`lock`: FOR SHARE — a reversal reads the entry it reverses so). */
export async function entriesById(
  manager: EntityManager,
  ids: string[],
  lock = false,
): Promise<Map<string, JournalEntry>> {
  if (ids.length === 0) return new Map();
  const rows: EntryRow[] = await manager.query(
    `SELECT ${ENTRY_SELECT} FROM journal_entry e WHERE e.id = ANY($1::uuid[])${lock ? ' FOR SHARE' : ''}`,
    [ids],
  );
  const lines: LineRow[] = await manager.query(
    `SELECT entry_id, line_no, account_code, fund_code, debit_fen, credit_fen FROM journal_line
      WHERE entry_id = ANY($1::uuid[]) ORDER BY entry_id, line_no`,
    [ids],
  );
  const byEntry = new Map<string, PostedLine[]>();
  for (const line of lines) {
    const list = byEntry.get(line.entry_id) ?? [];
    list.push(lineOf(line));
    byEntry.set(line.entry_id, list);
  }
  return new Map(rows.map((row) => [row.id, entryOf(row, byEntry.get(row.id) ?? [])]));
}
