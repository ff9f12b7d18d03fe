import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConflictError, InvalidInputError } from '@unionfed/domain-kit';
import { copyRows, isCheckViolation, uuidv7 } from '@unionfed/persistence';
import type { AccountKind } from '../domain/chart-of-accounts';
import {
  checkPosting,
  fiscalYearOf,
  fundMoves,
  requestHash,
  type JournalEntry,
  type PostingRequest,
} from '../domain/journal-entry';
import { entriesById } from './ledger.mapper';

/** From this many entries on, a posting's rows go in with COPY (a dues batch, the benchmark). */
const COPY_FROM_ENTRIES = 50;
const NIL = '00000000-0000-0000-0000-000000000000';
const entityKey = (branchId: string | null) => branchId ?? NIL;

const reused = () =>
  new ConflictError(
    '同一幂等键对应了不同的凭证 (the idempotency key was used for another entry)',
    'IDEMPOTENCY_KEY_REUSED',
    { field: 'idempotencyKey' },
  );

/** A database rule the posting path checks first, as the domain error a caller gets when it checks in time. */
function ruleError(error: unknown): unknown {
  if (isCheckViolation(error, 'fund_balance_not_negative'))
    return new ConflictError('资金余额不足 (the fund does not hold the amount)', 'INSUFFICIENT_FUNDS');
  if (isCheckViolation(error, 'journal_entry_open_year'))
    return new InvalidInputError(
      '会计年度未开启或已结账 (the fiscal year is not open)',
      'FISCAL_YEAR_CLOSED',
      {
        field: 'entryDate',
      },
    );
  return error;
}

/** An entry as a posting answers it: `posted` when this posting wrote it, not when an earlier one under its key did. */
export interface Posted {
  entry: JournalEntry;
  posted: boolean;
}

/**
 * The one posting path of the ledger: manual entries, reversals, disbursements — and dues, expenses and donations
 * as they come — post through `post`, in the caller's transaction (a unit of work, or a consumer's inbox
 * transaction). A batch posts whole or not at all. For each request it answers the entry: the one it posted, or
 * the one an earlier request with the same idempotency key posted (a different request under a used key is a
 * CONFLICT). The database checks again the balance, the open year, the fund floors and immutability.
 */
@Injectable()
export class LedgerPosting {
  async post(manager: EntityManager, requests: PostingRequest[], postedBy: string): Promise<Posted[]> {
    const checked = requests.map(checkPosting);
    try {
      return await this.postChecked(manager, checked, postedBy);
    } catch (error) {
      throw ruleError(error);
    }
  }

  private async postChecked(
    manager: EntityManager,
    requests: PostingRequest[],
    postedBy: string,
  ): Promise<Posted[]> {
    const hashes = requests.map(requestHash);
    const seen = new Map<string, number>();
    requests.forEach((r, i) => {
      const key = `${entityKey(r.branchId)}|${r.idempotencyKey}`;
      const first = seen.get(key);
      if (first !== undefined && hashes[first] !== hashes[i]) throw reused();
      if (first === undefined) seen.set(key, i);
    });

    // 1. what was posted before under these keys answers itself
    const existing = await this.byKeys(manager, requests);
    const fresh: { request: PostingRequest; hash: string; index: number }[] = [];
    requests.forEach((request, index) => {
      const key = `${entityKey(request.branchId)}|${request.idempotencyKey}`;
      const found = existing.get(key);
      if (found && found.hash !== hashes[index]) throw reused();
      if (!found && seen.get(key) === index) fresh.push({ request, hash: hashes[index], index });
    });
    if (fresh.length === 0) return this.answer(manager, requests, existing, new Set());

    // 2. the year of each entry is open (locked FOR SHARE: a closing waits for this posting)
    const years = new Map<string, { branchId: string | null; year: number }>();
    for (const { request } of fresh) {
      const year = fiscalYearOf(request.entryDate);
      years.set(`${entityKey(request.branchId)}|${year}`, { branchId: request.branchId, year });
    }
    const open: { branch_id: string | null; year: number }[] = await manager.query(
      `SELECT f.branch_id, f.year FROM fiscal_year f
         JOIN unnest($1::uuid[], $2::int[]) AS k(branch_id, year)
           ON f.branch_id IS NOT DISTINCT FROM k.branch_id AND f.year = k.year
        WHERE f.status = 'OPEN' FOR SHARE OF f`,
      [[...years.values()].map((y) => y.branchId), [...years.values()].map((y) => y.year)],
    );
    const openYears = new Set(open.map((y) => `${entityKey(y.branch_id)}|${y.year}`));
    for (const [key] of years)
      if (!openYears.has(key))
        throw new InvalidInputError(
          '会计年度未开启或已结账 (the fiscal year is not open)',
          'FISCAL_YEAR_CLOSED',
          { field: 'entryDate' },
        );

    // 3. the accounts and funds are in the chart, and take postings (leaf accounts)
    const accountCodes = [...new Set(fresh.flatMap((f) => f.request.lines.map((l) => l.accountCode)))];
    const fundCodes = [...new Set(fresh.flatMap((f) => f.request.lines.map((l) => l.fundCode)))];
    const accounts: { code: string; kind: AccountKind; leaf: boolean }[] = await manager.query(
      `SELECT a.code, a.kind, NOT EXISTS (SELECT 1 FROM ledger_account c WHERE c.parent_code = a.code) AS leaf
         FROM ledger_account a WHERE a.code = ANY($1::text[])`,
      [accountCodes],
    );
    const kinds = new Map(accounts.filter((a) => a.leaf).map((a) => [a.code, a.kind]));
    const known = new Set(accounts.map((a) => a.code));
    const funds = new Set(
      (
        (await manager.query(`SELECT code FROM ledger_fund WHERE code = ANY($1::text[])`, [fundCodes])) as {
          code: string;
        }[]
      ).map((f) => f.code),
    );
    for (const { request } of fresh)
      request.lines.forEach((line, i) => {
        if (!known.has(line.accountCode))
          throw new InvalidInputError('会计科目不存在 (no such account)', 'UNKNOWN_ACCOUNT', {
            field: `lines.${i}.accountCode`,
          });
        if (!kinds.has(line.accountCode))
          throw new InvalidInputError(
            '该科目有明细科目，请记入明细科目 (post to one of its sub-accounts)',
            'ACCOUNT_NOT_POSTABLE',
            { field: `lines.${i}.accountCode` },
          );
        if (!funds.has(line.fundCode))
          throw new InvalidInputError('资金不存在 (no such fund)', 'UNKNOWN_FUND', {
            field: `lines.${i}.fundCode`,
          });
      });

    // 4. every fund the batch draws on holds enough: its balance row locked (in key order), then compared
    const draws = new Map<string, { branchId: string | null; fund: string; fen: bigint }>();
    for (const { request } of fresh)
      for (const [fund, fen] of fundMoves(request, (code) => kinds.get(code))) {
        const key = `${entityKey(request.branchId)}|${fund}`;
        const draw = draws.get(key) ?? { branchId: request.branchId, fund, fen: 0n };
        draw.fen += fen;
        draws.set(key, draw);
      }
    const negative = [...draws.values()].filter((d) => d.fen < 0n);
    if (negative.length > 0) {
      const rows: { branch_id: string | null; fund_code: string; balance_fen: string }[] =
        await manager.query(
          `SELECT b.branch_id, b.fund_code, b.balance_fen FROM fund_balance b
           JOIN unnest($1::uuid[], $2::text[]) AS k(branch_id, fund_code)
             ON b.branch_id IS NOT DISTINCT FROM k.branch_id AND b.fund_code = k.fund_code
          ORDER BY b.branch_id NULLS FIRST, b.fund_code FOR UPDATE OF b`,
          [negative.map((d) => d.branchId), negative.map((d) => d.fund)],
        );
      const balances = new Map(
        rows.map((r) => [`${entityKey(r.branch_id)}|${r.fund_code}`, BigInt(r.balance_fen)]),
      );
      for (const draw of negative)
        if ((balances.get(`${entityKey(draw.branchId)}|${draw.fund}`) ?? 0n) + draw.fen < 0n)
          throw new ConflictError('资金余额不足 (the fund does not hold the amount)', 'INSUFFICIENT_FUNDS', {
            fund: draw.fund,
          });
    }

    // 5. the entries and their lines; the triggers move the balances and check them all at COMMIT
    const entryRows = fresh.map(({ request, hash }) => [
      uuidv7(),
      request.branchId,
      fiscalYearOf(request.entryDate),
      request.entryDate,
      request.memo,
      request.source,
      request.idempotencyKey,
      hash,
      request.reversesEntryId ?? null,
      postedBy,
    ]);
    const ENTRY_COLUMNS = [
      'id',
      'branch_id',
      'fiscal_year',
      'entry_date',
      'memo',
      'source',
      'idempotency_key',
      'request_hash',
      'reverses_entry_id',
      'posted_by',
    ];
    let inserted: { request: PostingRequest; id: string }[];
    if (fresh.length >= COPY_FROM_ENTRIES) {
      // a racing batch with one of these keys ends in CONFLICT (POSTING_IN_PROGRESS): asked again, it answers
      await copyRows(manager, 'journal_entry', ENTRY_COLUMNS, entryRows);
      inserted = fresh.map(({ request }, i) => ({ request, id: entryRows[i][0] as string }));
    } else {
      // a racing request with the same key waits for that one's COMMIT, and then answers its entry
      const values: unknown[] = [];
      const placeholders = entryRows.map((row) => {
        const at = values.length;
        values.push(...row);
        return `(${row.map((_, j) => `$${at + j + 1}`).join(', ')})`;
      });
      const rows: { id: string }[] = await manager.query(
        `INSERT INTO journal_entry (${ENTRY_COLUMNS.join(', ')}) VALUES ${placeholders.join(', ')}
         ON CONFLICT ON CONSTRAINT journal_entry_idempotency_key DO NOTHING RETURNING id`,
        values,
      );
      const ids = new Set(rows.map((r) => r.id));
      inserted = fresh
        .map(({ request }, i) => ({ request, id: entryRows[i][0] as string }))
        .filter((e) => ids.has(e.id));
    }
    const lineRows = inserted.flatMap(({ request, id }) =>
      request.lines.map((line, i) => [
        id,
        i + 1,
        line.accountCode,
        line.fundCode,
        line.side === 'DEBIT' ? line.amount.fen : 0n,
        line.side === 'CREDIT' ? line.amount.fen : 0n,
      ]),
    );
    const LINE_COLUMNS = ['entry_id', 'line_no', 'account_code', 'fund_code', 'debit_fen', 'credit_fen'];
    if (lineRows.length > 0) {
      if (fresh.length >= COPY_FROM_ENTRIES) await copyRows(manager, 'journal_line', LINE_COLUMNS, lineRows);
      else {
        const values: unknown[] = [];
        const placeholders = lineRows.map((row) => {
          const at = values.length;
          values.push(...row.map((v) => (typeof v === 'bigint' ? v.toString() : v)));
          return `(${row.map((_, j) => `$${at + j + 1}`).join(', ')})`;
        });
        await manager.query(
          `INSERT INTO journal_line (${LINE_COLUMNS.join(', ')}) VALUES ${placeholders.join(', ')}`,
          values,
        );
      }
    }
    // a request that lost a race for its key answers the winner's entry — if it asked for the same
    const posted = await this.byKeys(manager, requests);
    requests.forEach((request, index) => {
      const found = posted.get(`${entityKey(request.branchId)}|${request.idempotencyKey}`);
      if (found && found.hash !== hashes[index]) throw reused();
    });
    return this.answer(manager, requests, posted, new Set(inserted.map((e) => e.id)));
  }

  /** The entries posted under the requests' keys, by `<entity>|<key>`. */
  private async byKeys(
    manager: EntityManager,
    requests: PostingRequest[],
  ): Promise<Map<string, { id: string; hash: string }>> {
    const rows: { id: string; branch_id: string | null; idempotency_key: string; request_hash: string }[] =
      await manager.query(
        // by key alone (the unique index's leading column); the entity is matched below
        `SELECT e.id, e.branch_id, e.idempotency_key, e.request_hash FROM journal_entry e
          WHERE e.idempotency_key = ANY($1::text[])`,
        [[...new Set(requests.map((r) => r.idempotencyKey))]],
      );
    const asked = new Set(requests.map((r) => `${entityKey(r.branchId)}|${r.idempotencyKey}`));
    return new Map(
      rows
        .map(
          (r) =>
            [`${entityKey(r.branch_id)}|${r.idempotency_key}`, { id: r.id, hash: r.request_hash }] as const,
        )
        .filter(([key]) => asked.has(key)),
    );
  }

  private async answer(
    manager: EntityManager,
    requests: PostingRequest[],
    posted: Map<string, { id: string }>,
    written: ReadonlySet<string>,
  ): Promise<Posted[]> {
    const ids = requests.map((r) => posted.get(`${entityKey(r.branchId)}|${r.idempotencyKey}`)?.id);
    if (ids.some((id) => !id)) throw new Error('a posted entry was not found under its idempotency key');
    const byId = await entriesById(manager, [...new Set(ids as string[])]);
    const answered = new Set<string>();
    return ids.map((id) => {
      // a request repeated within the batch: the entry is written (and reported posted) once
      const first = written.has(id as string) && !answered.has(id as string);
      answered.add(id as string);
      return { entry: byId.get(id as string) as JournalEntry, posted: first };
    });
  }
}
