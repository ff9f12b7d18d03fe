import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Money } from '@unionfed/domain-kit';
import type { AccountKind, FundKind, LedgerAccount, LedgerFund } from '../domain/chart-of-accounts';
import type { JournalEntry } from '../domain/journal-entry';
import { ENTRY_SELECT, entriesById } from './ledger.mapper';

/**
 * Whose books a read covers: one accounting entity (a branch, or HQ's own: null), or every entity added up
 * (HQ's consolidated view). The caller's reach decided which of these it may ask for before it gets here.
 */
export type Books = { branchId: string | null } | 'CONSOLIDATED';

export interface FiscalYear {
  branchId: string | null;
  year: number;
  status: 'OPEN' | 'CLOSED';
  openedAt: Date;
  closedAt: Date | null;
}

export interface AccountTotals {
  account: LedgerAccount;
  debit: Money;
  credit: Money;
}

export interface FundBalance {
  branchId: string | null;
  fund: LedgerFund;
  balance: Money;
}

export interface StatementLine {
  entryId: string;
  entryDate: string;
  memo: string;
  lineNo: number;
  fundCode: string;
  debit: Money;
  credit: Money;
}

/** A condition on a `branch_id` column for `books` (its parameter appended to `params`). */
function booksCondition(column: string, books: Books, params: unknown[]): string {
  if (books === 'CONSOLIDATED') return 'TRUE';
  params.push(books.branchId);
  return `${column} IS NOT DISTINCT FROM $${params.length}::uuid`;
}

const accountOf = (r: { code: string; name: string; kind: AccountKind; parent_code: string | null }) => ({
  code: r.code,
  name: r.name,
  kind: r.kind,
  parentCode: r.parent_code,
});
const fundOf = (r: { code: string; name: string; kind: FundKind }) => ({
  code: r.code,
  name: r.name,
  kind: r.kind,
});
const yearOf = (r: {
  branch_id: string | null;
  year: number;
  status: 'OPEN' | 'CLOSED';
  opened_at: Date;
  closed_at: Date | null;
}): FiscalYear => ({
  branchId: r.branch_id,
  year: r.year,
  status: r.status,
  openedAt: r.opened_at,
  closedAt: r.closed_at,
});

/** The ledger's reads. Balances come from the maintained tables (never summed from lines per request). */
@Injectable()
export class LedgerRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  async accounts(manager?: EntityManager): Promise<LedgerAccount[]> {
    const rows = await this.m(manager).query(
      `SELECT code, name, kind, parent_code FROM ledger_account ORDER BY code`,
    );
    return rows.map(accountOf);
  }

  async account(code: string, manager?: EntityManager): Promise<LedgerAccount | undefined> {
    const [row] = await this.m(manager).query(
      `SELECT code, name, kind, parent_code FROM ledger_account WHERE code = $1`,
      [code],
    );
    return row ? accountOf(row) : undefined;
  }

  async funds(manager?: EntityManager): Promise<LedgerFund[]> {
    const rows = await this.m(manager).query(`SELECT code, name, kind FROM ledger_fund ORDER BY code`);
    return rows.map(fundOf);
  }

  async insertAccount(manager: EntityManager, account: LedgerAccount): Promise<void> {
    await manager.query(
      `INSERT INTO ledger_account (code, name, kind, parent_code) VALUES ($1, $2, $3, $4)`,
      [account.code, account.name, account.kind, account.parentCode],
    );
  }

  async insertFund(manager: EntityManager, fund: LedgerFund): Promise<void> {
    await manager.query(`INSERT INTO ledger_fund (code, name, kind) VALUES ($1, $2, $3)`, [
      fund.code,
      fund.name,
      fund.kind,
    ]);
  }

  async fiscalYears(books: Books, manager?: EntityManager): Promise<FiscalYear[]> {
    const params: unknown[] = [];
    const rows = await this.m(manager).query(
      `SELECT branch_id, year, status, opened_at, closed_at FROM fiscal_year
        WHERE ${booksCondition('branch_id', books, params)} ORDER BY branch_id NULLS FIRST, year`,
      params,
    );
    return rows.map(yearOf);
  }

  async lockFiscalYear(
    manager: EntityManager,
    branchId: string | null,
    year: number,
  ): Promise<FiscalYear | undefined> {
    const [row] = await manager.query(
      `SELECT branch_id, year, status, opened_at, closed_at FROM fiscal_year
        WHERE branch_id IS NOT DISTINCT FROM $1::uuid AND year = $2 FOR UPDATE`,
      [branchId, year],
    );
    return row ? yearOf(row) : undefined;
  }

  async openFiscalYear(manager: EntityManager, branchId: string | null, year: number): Promise<FiscalYear> {
    const [row] = await manager.query(
      `INSERT INTO fiscal_year (branch_id, year, status) VALUES ($1, $2, 'OPEN')
       RETURNING branch_id, year, status, opened_at, closed_at`,
      [branchId, year],
    );
    return yearOf(row);
  }

  async closeFiscalYear(manager: EntityManager, branchId: string | null, year: number): Promise<FiscalYear> {
    const [[row]] = await manager.query(
      `UPDATE fiscal_year SET status = 'CLOSED', closed_at = now()
        WHERE branch_id IS NOT DISTINCT FROM $1::uuid AND year = $2
       RETURNING branch_id, year, status, opened_at, closed_at`,
      [branchId, year],
    );
    return yearOf(row);
  }

  /** 试算平衡表: per account, the year's debits and credits (all funds), from the maintained balances. */
  async trialBalance(books: Books, year: number): Promise<AccountTotals[]> {
    const params: unknown[] = [year];
    const rows: {
      code: string;
      name: string;
      kind: AccountKind;
      parent_code: string | null;
      debit: string;
      credit: string;
    }[] = await this.dataSource.query(
      `SELECT a.code, a.name, a.kind, a.parent_code, sum(b.debit_fen)::text AS debit, sum(b.credit_fen)::text AS credit
         FROM account_balance b JOIN ledger_account a ON a.code = b.account_code
        WHERE b.fiscal_year = $1 AND ${booksCondition('b.branch_id', books, params)}
        GROUP BY a.code ORDER BY a.code`,
      params,
    );
    return rows.map((r) => ({
      account: accountOf(r),
      debit: Money.ofFen(r.debit),
      credit: Money.ofFen(r.credit),
    }));
  }

  /** Each fund's balance (the assets held for it) per entity, or added up over all entities. */
  async fundBalances(books: Books, manager?: EntityManager): Promise<FundBalance[]> {
    const params: unknown[] = [];
    const consolidated = books === 'CONSOLIDATED';
    const rows: { branch_id: string | null; code: string; name: string; kind: FundKind; balance: string }[] =
      await this.m(manager).query(
        `SELECT ${consolidated ? 'NULL::uuid' : 'b.branch_id'} AS branch_id, f.code, f.name, f.kind,
                sum(b.balance_fen)::text AS balance
           FROM fund_balance b JOIN ledger_fund f ON f.code = b.fund_code
          WHERE ${booksCondition('b.branch_id', books, params)}
          GROUP BY 1, f.code ORDER BY f.code`,
        params,
      );
    return rows.map((r) => ({ branchId: r.branch_id, fund: fundOf(r), balance: Money.ofFen(r.balance) }));
  }

  /** The funds' balances of several branches at once (Branch.finance of a list of branches). */
  async fundBalancesOfBranches(branchIds: readonly string[]): Promise<Map<string, FundBalance[]>> {
    const rows: { branch_id: string; code: string; name: string; kind: FundKind; balance: string }[] =
      await this.dataSource.query(
        `SELECT b.branch_id, f.code, f.name, f.kind, b.balance_fen::text AS balance
           FROM fund_balance b JOIN ledger_fund f ON f.code = b.fund_code
          WHERE b.branch_id = ANY($1::uuid[]) ORDER BY f.code`,
        [branchIds],
      );
    const out = new Map<string, FundBalance[]>(branchIds.map((id) => [id, []]));
    for (const r of rows)
      out.get(r.branch_id)?.push({ branchId: r.branch_id, fund: fundOf(r), balance: Money.ofFen(r.balance) });
    return out;
  }

  /** Income and expense per category (leaf account) over months `from`–`to` of a year. */
  async incomeAndExpense(books: Books, year: number, from: number, to: number): Promise<AccountTotals[]> {
    const params: unknown[] = [year, from, to];
    const rows: {
      code: string;
      name: string;
      kind: AccountKind;
      parent_code: string | null;
      debit: string;
      credit: string;
    }[] = await this.dataSource.query(
      `SELECT a.code, a.name, a.kind, a.parent_code, sum(b.debit_fen)::text AS debit, sum(b.credit_fen)::text AS credit
         FROM account_balance b JOIN ledger_account a ON a.code = b.account_code
        WHERE b.fiscal_year = $1 AND b.period BETWEEN $2 AND $3 AND a.kind IN ('INCOME', 'EXPENSE')
          AND ${booksCondition('b.branch_id', books, params)}
        GROUP BY a.code ORDER BY a.code`,
      params,
    );
    return rows.map((r) => ({
      account: accountOf(r),
      debit: Money.ofFen(r.debit),
      credit: Money.ofFen(r.credit),
    }));
  }

  /** 明细账: an account's lines in a year of one entity's books, by date, after the cursor `(date, entry, line)`. */
  async statement(
    branchId: string | null,
    year: number,
    accountCode: string,
    size: number,
    after?: { entryDate: string; entryId: string; lineNo: number },
  ): Promise<StatementLine[]> {
    const params: unknown[] = [branchId, year, accountCode, size + 1];
    let cursor = '';
    if (after) {
      params.push(after.entryDate, after.entryId, after.lineNo);
      cursor = `AND (e.entry_date, e.id, l.line_no) > ($5::date, $6::uuid, $7::int)`;
    }
    const rows: {
      entry_id: string;
      entry_date: string;
      memo: string;
      line_no: number;
      fund_code: string;
      debit_fen: string;
      credit_fen: string;
    }[] = await this.dataSource.query(
      `SELECT e.id AS entry_id, to_char(e.entry_date, 'YYYY-MM-DD') AS entry_date, e.memo, l.line_no, l.fund_code,
              l.debit_fen, l.credit_fen
         FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id
        WHERE e.branch_id IS NOT DISTINCT FROM $1::uuid AND e.fiscal_year = $2 AND l.account_code = $3 ${cursor}
        ORDER BY e.entry_date, e.id, l.line_no LIMIT $4`,
      params,
    );
    return rows.map((r) => ({
      entryId: r.entry_id,
      entryDate: r.entry_date,
      memo: r.memo,
      lineNo: r.line_no,
      fundCode: r.fund_code,
      debit: Money.ofFen(r.debit_fen),
      credit: Money.ofFen(r.credit_fen),
    }));
  }

  /** The year's totals of one account in one entity's books (maintained). */
  async accountTotals(
    branchId: string | null,
    year: number,
    accountCode: string,
  ): Promise<{ debit: Money; credit: Money }> {
    const [row] = await this.dataSource.query(
      `SELECT coalesce(sum(debit_fen), 0)::text AS debit, coalesce(sum(credit_fen), 0)::text AS credit
         FROM account_balance WHERE branch_id IS NOT DISTINCT FROM $1::uuid AND fiscal_year = $2 AND account_code = $3`,
      [branchId, year, accountCode],
    );
    return { debit: Money.ofFen(row.debit), credit: Money.ofFen(row.credit) };
  }

  async entry(id: string, manager?: EntityManager, lock = false): Promise<JournalEntry | undefined> {
    return (await entriesById(this.m(manager), [id], lock)).get(id);
  }

  async entryIdReversing(id: string, manager?: EntityManager): Promise<string | undefined> {
    const [row] = await this.m(manager).query(`SELECT id FROM journal_entry WHERE reverses_entry_id = $1`, [
      id,
    ]);
    return row?.id;
  }

  /** Recent entries of one entity's books (newest first), for a journal view. */
  async recentEntries(branchId: string | null, year: number, size: number): Promise<JournalEntry[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT ${ENTRY_SELECT} FROM journal_entry e
        WHERE e.branch_id IS NOT DISTINCT FROM $1::uuid AND e.fiscal_year = $2
        ORDER BY e.entry_date DESC, e.id DESC LIMIT $3`,
      [branchId, year, size],
    );
    const byId = await entriesById(
      this.dataSource.manager,
      rows.map((r) => r.id),
    );
    return rows.map((r) => byId.get(r.id) as JournalEntry);
  }
}
