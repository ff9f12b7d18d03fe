import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SEEDED_ACCOUNTS, SEEDED_FUNDS } from '../../domain/chart-of-accounts';

/**
 * The ledger (总账), its rules kept by PostgreSQL itself so that no path — the service, a script, a direct SQL
 * session — can break them:
 * - an entry's lines balance, per fund (debits = credits; hence the entry as a whole): a DEFERRED constraint
 *   trigger checks each new entry at COMMIT, so an entry's lines go in with any number of statements and the
 *   transaction commits only if every entry it posted balances and has two lines or more;
 * - lines are added only in the transaction that created their entry (no line appended to a posted entry);
 * - posted entries and lines are immutable (UPDATE, DELETE and TRUNCATE refused): a correction is a reversing
 *   entry, and an entry is reversed at most once (unique `reverses_entry_id`);
 * - an entry goes only into an OPEN fiscal year of its accounting entity (HQ: branch_id NULL, or a branch), its
 *   date within that year; a closed year is never reopened;
 * - balances are maintained by a statement trigger from the inserted lines (`account_balance` per entity, year,
 *   month, account and fund; `fund_balance` per entity and fund = the assets held for the fund), never summed per
 *   request; only that trigger writes them, and `fund_balance_not_negative` refuses any fund below zero.
 */
export class Ledger1765000000000 implements MigrationInterface {
  name = 'Ledger1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ledger_account (
        code         TEXT PRIMARY KEY CHECK (code ~ '^[0-9]{4,10}$'),
        name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
        kind         TEXT NOT NULL CHECK (kind IN ('ASSET', 'NET_ASSET', 'INCOME', 'EXPENSE')),
        parent_code  TEXT REFERENCES ledger_account(code),
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ledger_fund (
        code        TEXT PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{1,31}$'),
        name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
        kind        TEXT NOT NULL CHECK (kind IN ('GENERAL', 'HARDSHIP', 'RESTRICTED_DONATION')),
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE fiscal_year (
        branch_id   UUID,
        year        SMALLINT NOT NULL CHECK (year BETWEEN 2000 AND 2200),
        status      TEXT NOT NULL CHECK (status IN ('OPEN', 'CLOSED')),
        opened_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        closed_at   TIMESTAMPTZ,
        CONSTRAINT fiscal_year_key UNIQUE NULLS NOT DISTINCT (branch_id, year)
      )`);
    await q.query(`
      CREATE TABLE journal_entry (
        id                 UUID PRIMARY KEY,
        branch_id          UUID,
        fiscal_year        SMALLINT NOT NULL,
        entry_date         DATE NOT NULL,
        memo               TEXT NOT NULL,
        source             TEXT NOT NULL CHECK (source IN ('MANUAL', 'REVERSAL', 'DISBURSEMENT')),
        idempotency_key    TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
        request_hash       TEXT NOT NULL,
        reverses_entry_id  UUID REFERENCES journal_entry(id),
        posted_by          TEXT NOT NULL,
        posted_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
        posting_xact       XID8 NOT NULL DEFAULT pg_current_xact_id(),
        CONSTRAINT journal_entry_date_in_year CHECK (extract(year FROM entry_date) = fiscal_year),
        CONSTRAINT journal_entry_idempotency_key UNIQUE NULLS NOT DISTINCT (idempotency_key, branch_id),
        CONSTRAINT journal_entry_reversed_once UNIQUE (reverses_entry_id)
      )`);
    await q.query(
      `CREATE INDEX journal_entry_books ON journal_entry (branch_id, fiscal_year, entry_date, id)`,
    );
    await q.query(`
      CREATE TABLE journal_line (
        entry_id      UUID NOT NULL REFERENCES journal_entry(id),
        line_no       SMALLINT NOT NULL CHECK (line_no >= 1),
        account_code  TEXT NOT NULL REFERENCES ledger_account(code),
        fund_code     TEXT NOT NULL REFERENCES ledger_fund(code),
        debit_fen     BIGINT NOT NULL CHECK (debit_fen >= 0),
        credit_fen    BIGINT NOT NULL CHECK (credit_fen >= 0),
        CONSTRAINT journal_line_one_side CHECK ((debit_fen = 0) <> (credit_fen = 0)),
        PRIMARY KEY (entry_id, line_no)
      )`);
    await q.query(`CREATE INDEX journal_line_account ON journal_line (account_code, entry_id)`);
    await q.query(`
      CREATE TABLE account_balance (
        branch_id     UUID,
        fiscal_year   SMALLINT NOT NULL,
        period        SMALLINT NOT NULL CHECK (period BETWEEN 1 AND 12),
        account_code  TEXT NOT NULL REFERENCES ledger_account(code),
        fund_code     TEXT NOT NULL REFERENCES ledger_fund(code),
        debit_fen     BIGINT NOT NULL DEFAULT 0,
        credit_fen    BIGINT NOT NULL DEFAULT 0,
        CONSTRAINT account_balance_key
          UNIQUE NULLS NOT DISTINCT (branch_id, fiscal_year, period, account_code, fund_code)
      )`);
    await q.query(`
      CREATE TABLE fund_balance (
        branch_id    UUID,
        fund_code    TEXT NOT NULL REFERENCES ledger_fund(code),
        balance_fen  BIGINT NOT NULL DEFAULT 0,
        CONSTRAINT fund_balance_not_negative CHECK (balance_fen >= 0),
        CONSTRAINT fund_balance_key UNIQUE NULLS NOT DISTINCT (branch_id, fund_code)
      )`);

    // --- the rules -------------------------------------------------------------------------------------------
    await q.query(`
      CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'posted journal entries are immutable: post a reversing entry instead'
          USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_immutable';
      END $$`);
    for (const table of ['journal_entry', 'journal_line']) {
      await q.query(`CREATE TRIGGER ${table}_immutable BEFORE UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`);
      await q.query(`CREATE TRIGGER ${table}_not_truncated BEFORE TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`);
    }

    await q.query(`
      CREATE FUNCTION journal_entry_into_open_year() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        year_status TEXT;
      BEGIN
        NEW.posting_xact := pg_current_xact_id();
        -- FOR SHARE: closing the year (an UPDATE of this row) waits for the postings in flight, and they for it
        SELECT status INTO year_status FROM fiscal_year
          WHERE branch_id IS NOT DISTINCT FROM NEW.branch_id AND year = NEW.fiscal_year FOR SHARE;
        IF year_status IS DISTINCT FROM 'OPEN' THEN
          RAISE EXCEPTION 'fiscal year % of this accounting entity is not open', NEW.fiscal_year
            USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_open_year';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER journal_entry_open_year BEFORE INSERT ON journal_entry
      FOR EACH ROW EXECUTE FUNCTION journal_entry_into_open_year()`);

    await q.query(`
      CREATE FUNCTION fiscal_year_never_reopened() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.status = 'CLOSED' THEN
          RAISE EXCEPTION 'a closed fiscal year stays closed'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'fiscal_year_stays_closed';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`CREATE TRIGGER fiscal_year_stays_closed BEFORE UPDATE OR DELETE ON fiscal_year
      FOR EACH ROW EXECUTE FUNCTION fiscal_year_never_reopened()`);

    // checked at COMMIT, once per entry: its lines all went in with it (journal_lines_posted refuses any later
    // line), so the entry's deferred check sees every line it will ever have
    await q.query(`
      CREATE FUNCTION journal_entry_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (
          SELECT 1 FROM journal_line WHERE entry_id = NEW.id HAVING count(*) >= 2
        ) OR EXISTS (
          SELECT 1 FROM journal_line WHERE entry_id = NEW.id
           GROUP BY fund_code HAVING sum(debit_fen) <> sum(credit_fen)
        ) THEN
          RAISE EXCEPTION 'journal entry % does not balance (two lines or more, debits = credits in every fund)', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_balanced';
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE CONSTRAINT TRIGGER journal_entry_balanced AFTER INSERT ON journal_entry
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_entry_check_balanced()`);

    // one statement of lines → balances moved once per (entity, year, account, fund), in key order (no deadlock)
    await q.query(`
      CREATE FUNCTION journal_lines_posted() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        moved RECORD;
      BEGIN
        IF EXISTS (SELECT 1 FROM new_lines l JOIN journal_entry e ON e.id = l.entry_id
                    WHERE e.posting_xact <> pg_current_xact_id()) THEN
          RAISE EXCEPTION 'lines can only be added with their entry, in the transaction that posts it'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'journal_entry_immutable';
        END IF;
        INSERT INTO account_balance AS b
               (branch_id, fiscal_year, period, account_code, fund_code, debit_fen, credit_fen)
        SELECT e.branch_id, e.fiscal_year, extract(month FROM e.entry_date), l.account_code, l.fund_code,
               sum(l.debit_fen), sum(l.credit_fen)
          FROM new_lines l JOIN journal_entry e ON e.id = l.entry_id
         GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT ON CONSTRAINT account_balance_key DO UPDATE
          SET debit_fen = b.debit_fen + EXCLUDED.debit_fen, credit_fen = b.credit_fen + EXCLUDED.credit_fen;
        FOR moved IN
          SELECT e.branch_id, l.fund_code, sum(l.debit_fen - l.credit_fen) AS delta
            FROM new_lines l JOIN journal_entry e ON e.id = l.entry_id
            JOIN ledger_account a ON a.code = l.account_code AND a.kind = 'ASSET'
           GROUP BY 1, 2 ORDER BY 1, 2
        LOOP
          INSERT INTO fund_balance (branch_id, fund_code) VALUES (moved.branch_id, moved.fund_code)
            ON CONFLICT ON CONSTRAINT fund_balance_key DO NOTHING;
          UPDATE fund_balance SET balance_fen = balance_fen + moved.delta
           WHERE branch_id IS NOT DISTINCT FROM moved.branch_id AND fund_code = moved.fund_code;
        END LOOP;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER journal_lines_posted AFTER INSERT ON journal_line
      REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION journal_lines_posted()`);

    // the balances are the trigger's: anything else writing them is refused
    await q.query(`
      CREATE FUNCTION ledger_balance_maintained() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF pg_trigger_depth() < 2 THEN
          RAISE EXCEPTION 'balances are maintained by the ledger from its journal lines'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_balance_maintained';
        END IF;
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
      END $$`);
    for (const table of ['account_balance', 'fund_balance'])
      await q.query(`CREATE TRIGGER ${table}_maintained BEFORE INSERT OR UPDATE OR DELETE ON ${table}
        FOR EACH ROW EXECUTE FUNCTION ledger_balance_maintained()`);

    // --- the chart of accounts, seeded (HQ extends it) ---------------------------------------------------------
    for (const account of SEEDED_ACCOUNTS)
      await q.query(`INSERT INTO ledger_account (code, name, kind, parent_code) VALUES ($1, $2, $3, $4)`, [
        account.code,
        account.name,
        account.kind,
        account.parentCode,
      ]);
    for (const fund of SEEDED_FUNDS)
      await q.query(`INSERT INTO ledger_fund (code, name, kind) VALUES ($1, $2, $3)`, [
        fund.code,
        fund.name,
        fund.kind,
      ]);

    // --- disbursements requested by other services (sagas) ----------------------------------------------------
    await q.query(`
      CREATE TABLE disbursement (
        request_id          UUID PRIMARY KEY,
        requesting_service  TEXT NOT NULL,
        branch_id           UUID,
        fund_code           TEXT,
        budget_line_id      UUID,
        expense_account     TEXT,
        amount_fen          BIGINT NOT NULL,
        beneficiary         JSONB NOT NULL,
        purpose             TEXT NOT NULL,
        status              TEXT NOT NULL CHECK (status IN ('PAID', 'REJECTED')),
        rejection_reason    TEXT,
        rejection_detail    TEXT,
        entry_id            UUID UNIQUE REFERENCES journal_entry(id),
        decided_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
        CONSTRAINT disbursement_paid_has_entry CHECK ((status = 'PAID') = (entry_id IS NOT NULL)),
        CONSTRAINT disbursement_rejected_has_reason CHECK ((status = 'REJECTED') = (rejection_reason IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX disbursement_books ON disbursement (branch_id, decided_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS disbursement, fund_balance, account_balance, journal_line, journal_entry,
      fiscal_year, ledger_fund, ledger_account CASCADE`);
    for (const fn of [
      'ledger_refuse_change',
      'journal_entry_into_open_year',
      'fiscal_year_never_reopened',
      'journal_entry_check_balanced',
      'journal_lines_posted',
      'ledger_balance_maintained',
    ])
      await q.query(`DROP FUNCTION IF EXISTS ${fn}()`);
  }
}
