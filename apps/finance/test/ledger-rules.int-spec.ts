import { Client } from 'pg';
import { uuidv7 } from '@unionfed/persistence';
import { SYSTEM } from '@unionfed/audit';
import { financeDatabase, line, type FinanceDatabase } from './finance-database';

/**
 * The ledger's rules as PostgreSQL keeps them: checked with raw SQL on a connection of its own (no service code
 * in the way), so a script or a direct session cannot get around them either.
 */
describe('the ledger’s rules in PostgreSQL (raw SQL)', () => {
  let db: FinanceDatabase;
  let sql: Client;
  const branch = uuidv7();

  beforeAll(async () => {
    db = await financeDatabase('finance-ledger-rules');
    sql = new Client({ connectionString: db.url });
    await sql.connect();
    await db.commands.openFiscalYear({ branchId: branch, year: 2026 }, SYSTEM);
    await db.commands.openFiscalYear({ branchId: null, year: 2026 }, SYSTEM);
  });
  afterAll(async () => {
    await sql?.end();
    await db?.drop();
  });

  /** Runs statements in one transaction; answers the error PostgreSQL ends it with (at COMMIT too). */
  async function transaction(
    ...statements: [string, unknown[]?][]
  ): Promise<{ code?: string; constraint?: string } | undefined> {
    await sql.query('BEGIN');
    try {
      for (const [text, values] of statements) await sql.query(text, values);
      await sql.query('COMMIT');
      return undefined;
    } catch (error) {
      await sql.query('ROLLBACK');
      const e = error as { code?: string; constraint?: string };
      return { code: e.code, constraint: e.constraint };
    }
  }

  const entry = (
    id: string,
    key = uuidv7(),
    branchId: string | null = branch,
    date = '2026-03-01',
  ): [string, unknown[]] => [
    `INSERT INTO journal_entry (id, branch_id, fiscal_year, entry_date, memo, source, idempotency_key, request_hash, posted_by)
     VALUES ($1, $2, $3, $4, 'raw', 'MANUAL', $5, 'raw', 'psql')`,
    [id, branchId, Number(date.slice(0, 4)), date, key],
  ];
  const lineSql = (
    id: string,
    no: number,
    account: string,
    debit: number,
    credit: number,
    fund = 'GENERAL',
  ): [string, unknown[]] => [
    `INSERT INTO journal_line (entry_id, line_no, account_code, fund_code, debit_fen, credit_fen) VALUES ($1, $2, $3, $4, $5, $6)`,
    [id, no, account, fund, debit, credit],
  ];

  it('refuses at COMMIT an entry whose debits and credits differ, inserted straight into the tables', async () => {
    const id = uuidv7();
    expect(
      await transaction(entry(id), lineSql(id, 1, '1002', 10_000, 0), lineSql(id, 2, '4101', 0, 9_999)),
    ).toEqual({
      code: '23514',
      constraint: 'journal_entry_balanced',
    });
    expect(await sql.query('SELECT 1 FROM journal_entry WHERE id = $1', [id])).toMatchObject({ rowCount: 0 });
  });

  it('refuses an entry that balances in total but not within each fund', async () => {
    const id = uuidv7();
    expect(
      await transaction(
        entry(id),
        lineSql(id, 1, '1002', 500, 0, 'HARDSHIP'),
        lineSql(id, 2, '4101', 0, 500, 'GENERAL'),
      ),
    ).toEqual({ code: '23514', constraint: 'journal_entry_balanced' });
  });

  it('refuses an entry with no lines, or with one', async () => {
    const none = uuidv7();
    expect(await transaction(entry(none))).toEqual({ code: '23514', constraint: 'journal_entry_balanced' });
    const one = uuidv7();
    expect(await transaction(entry(one), lineSql(one, 1, '1002', 0, 0))).toMatchObject({ code: '23514' });
  });

  it('commits a balanced entry inserted with raw SQL and moves the maintained balances', async () => {
    const id = uuidv7();
    expect(
      await transaction(entry(id), lineSql(id, 1, '1002', 12_345, 0), lineSql(id, 2, '4101', 0, 12_345)),
    ).toBeUndefined();
    expect(await db.fundFen(branch, 'GENERAL')).toBe(12_345n);
    const { rows } = await sql.query(
      `SELECT account_code, debit_fen, credit_fen FROM account_balance WHERE branch_id = $1 ORDER BY account_code`,
      [branch],
    );
    expect(rows).toEqual([
      { account_code: '1002', debit_fen: '12345', credit_fen: '0' },
      { account_code: '4101', debit_fen: '0', credit_fen: '12345' },
    ]);
  });

  it('refuses to change or delete a posted entry or line, and to truncate the journal', async () => {
    const posted = await db.post({ branchId: branch, debit: '1002', credit: '4101', yuan: '1.00' });
    for (const statement of [
      `UPDATE journal_line SET debit_fen = debit_fen * 2 WHERE entry_id = '${posted.id}'`,
      `UPDATE journal_entry SET memo = 'changed' WHERE id = '${posted.id}'`,
      `DELETE FROM journal_line WHERE entry_id = '${posted.id}'`,
      `DELETE FROM journal_entry WHERE id = '${posted.id}'`,
      `TRUNCATE journal_line`,
      `TRUNCATE journal_entry CASCADE`,
    ])
      expect(await transaction([statement])).toEqual({
        code: '23514',
        constraint: 'journal_entry_immutable',
      });
    expect((await db.ledger.entry(posted.id))?.lines).toHaveLength(2);
  });

  it('refuses a balanced pair of lines appended to an entry posted earlier', async () => {
    const posted = await db.post({ branchId: branch, debit: '1002', credit: '4101', yuan: '2.00' });
    expect(
      await transaction(lineSql(posted.id, 3, '1002', 100, 0), lineSql(posted.id, 4, '4101', 0, 100)),
    ).toEqual({
      code: '23514',
      constraint: 'journal_entry_immutable',
    });
  });

  it('refuses balances written by anything but the ledger’s trigger', async () => {
    expect(await transaction([`UPDATE fund_balance SET balance_fen = balance_fen + 100000`])).toEqual({
      code: '23514',
      constraint: 'ledger_balance_maintained',
    });
    expect(
      await transaction([
        `INSERT INTO fund_balance (branch_id, fund_code, balance_fen) VALUES ($1, 'DONATION', 5)`,
        [uuidv7()],
      ]),
    ).toEqual({ code: '23514', constraint: 'ledger_balance_maintained' });
  });

  it('refuses a raw entry that would take a fund below zero', async () => {
    const id = uuidv7();
    // HARDSHIP holds nothing at this branch: paying from it fails the maintained balance's CHECK
    expect(
      await transaction(
        entry(id),
        lineSql(id, 1, '5102', 100, 0, 'HARDSHIP'),
        lineSql(id, 2, '1002', 0, 100, 'HARDSHIP'),
      ),
    ).toEqual({ code: '23514', constraint: 'fund_balance_not_negative' });
  });

  it('refuses entries into a year not opened, or closed, and never reopens a closed year', async () => {
    const notOpen = uuidv7();
    expect(await transaction(entry(notOpen, uuidv7(), branch, '2025-12-31'))).toEqual({
      code: '23514',
      constraint: 'journal_entry_open_year',
    });
    await db.commands.openFiscalYear({ branchId: branch, year: 2027 }, SYSTEM);
    await db.commands.closeFiscalYear({ branchId: branch, year: 2027 }, SYSTEM);
    const closed = uuidv7();
    expect(await transaction(entry(closed, uuidv7(), branch, '2027-01-05'))).toEqual({
      code: '23514',
      constraint: 'journal_entry_open_year',
    });
    expect(
      await transaction([
        `UPDATE fiscal_year SET status = 'OPEN' WHERE branch_id = $1 AND year = 2027`,
        [branch],
      ]),
    ).toEqual({
      code: '23514',
      constraint: 'fiscal_year_stays_closed',
    });
  });

  it('refuses an entry dated outside its fiscal year', async () => {
    expect(
      await transaction([
        `INSERT INTO journal_entry (id, branch_id, fiscal_year, entry_date, memo, source, idempotency_key, request_hash, posted_by)
         VALUES ($1, $2, 2026, '2027-01-01', 'raw', 'MANUAL', $3, 'raw', 'psql')`,
        [uuidv7(), branch, uuidv7()],
      ]),
    ).toEqual({ code: '23514', constraint: 'journal_entry_date_in_year' });
  });

  it('keeps HQ’s books and a branch’s apart: the same idempotency key is each entity’s own', async () => {
    const key = uuidv7();
    const hq = await db.post({ branchId: null, debit: '1002', credit: '4103', yuan: '3.00', key });
    const ours = await db.post({ branchId: branch, debit: '1002', credit: '4103', yuan: '3.00', key });
    expect(hq.id).not.toBe(ours.id);
    expect([hq.branchId, ours.branchId]).toEqual([null, branch]);
  });

  it('answers the same entry for the same posting twice, and writes one audit row', async () => {
    const key = uuidv7();
    const request = {
      branchId: branch,
      entryDate: '2026-04-01',
      memo: '会费收入',
      idempotencyKey: key,
      lines: [line('1002', 'DEBIT', '50.00'), line('4101', 'CREDIT', '50.00')],
    };
    const first = await db.commands.postEntry(request, SYSTEM);
    const again = await db.commands.postEntry(request, SYSTEM);
    expect(again.id).toBe(first.id);
    const { rows } = await sql.query(
      `SELECT count(*)::int AS n FROM journal_entry WHERE idempotency_key = $1`,
      [key],
    );
    expect(rows[0].n).toBe(1);
    const audit = await sql.query(`SELECT action FROM audit_log WHERE entity_id = $1`, [first.id]);
    expect(audit.rows).toEqual([{ action: 'JOURNAL_ENTRY_POSTED' }]);
    await expect(
      db.commands.postEntry(
        { ...request, lines: [line('1002', 'DEBIT', '51.00'), line('4101', 'CREDIT', '51.00')] },
        SYSTEM,
      ),
    ).rejects.toMatchObject({ reason: 'IDEMPOTENCY_KEY_REUSED' });
  });
});
