import fc from 'fast-check';
import { Money } from '@unionfed/domain-kit';
import { uuidv7 } from '@unionfed/persistence';
import { SYSTEM } from '@unionfed/audit';
import { financeDatabase, line, type FinanceDatabase } from './finance-database';

/**
 * The ledger under real concurrency (a pool of connections posting at once) and over random sequences of
 * postings and reversals: against the real database, whose rules these are.
 */
describe('the ledger under concurrency (real PostgreSQL)', () => {
  let db: FinanceDatabase;
  const branch = uuidv7();

  beforeAll(async () => {
    db = await financeDatabase('finance-ledger-concurrency', 24);
    await db.commands.openFiscalYear({ branchId: branch, year: 2026 }, SYSTEM);
  });
  afterAll(() => db?.drop());

  it('never takes a fund below zero however many postings draw on it at once', async () => {
    // ¥100.00 in the hardship fund; 60 concurrent payments of ¥3.00 — at most 33 can be paid
    await db.post({ branchId: branch, debit: '1002', credit: '3101', yuan: '100.00', fund: 'HARDSHIP' });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, () =>
        db.post({ branchId: branch, debit: '5102', credit: '1002', yuan: '3.00', fund: 'HARDSHIP' }),
      ),
    );
    const paid = outcomes.filter((o) => o.status === 'fulfilled').length;
    const refused = outcomes
      .filter((o) => o.status === 'rejected')
      .map((o) => (o as PromiseRejectedResult).reason);
    expect(paid).toBe(33);
    expect(new Set(refused.map((e) => e.reason))).toEqual(new Set(['INSUFFICIENT_FUNDS']));
    expect(await db.fundFen(branch, 'HARDSHIP')).toBe(100n);
  });

  it('posts once when the same request races itself, and each racer answers the same entry', async () => {
    const key = uuidv7();
    const request = {
      branchId: branch,
      entryDate: '2026-05-01',
      memo: '上级补助',
      idempotencyKey: key,
      lines: [line('1002', 'DEBIT', '8.00'), line('4103', 'CREDIT', '8.00')],
    };
    const entries = await Promise.all(
      Array.from({ length: 12 }, () => db.commands.postEntry(request, SYSTEM)),
    );
    expect(new Set(entries.map((e) => e.id)).size).toBe(1);
    const [row] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM journal_entry WHERE idempotency_key = $1`,
      [key],
    );
    expect(row.n).toBe(1);
  });

  it('reverses an entry once, however often it is asked at once', async () => {
    const posted = await db.post({ branchId: branch, debit: '1002', credit: '410501', yuan: '6.00' });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        db.commands.reverseEntry(
          { entryId: posted.id, idempotencyKey: `rev-${posted.id}-${i}`, entryDate: '2026-05-02' },
          SYSTEM,
        ),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes.filter((x) => x.status === 'rejected'))
      expect((o as PromiseRejectedResult).reason).toMatchObject({ reason: 'ENTRY_ALREADY_REVERSED' });
  });

  it('keeps the books balanced and every fund non-negative over random postings and reversals', async () => {
    const entity = uuidv7();
    await db.commands.openFiscalYear({ branchId: entity, year: 2026 }, SYSTEM);
    const funds = ['GENERAL', 'HARDSHIP', 'DONATION'];
    const action = fc.oneof(
      fc.record({
        kind: fc.constant('income' as const),
        fund: fc.constantFrom(...funds),
        fen: fc.integer({ min: 1, max: 50_000 }),
        account: fc.constantFrom('4101', '4102', '4103', '410501'),
      }),
      fc.record({
        kind: fc.constant('expense' as const),
        fund: fc.constantFrom(...funds),
        fen: fc.integer({ min: 1, max: 80_000 }),
        account: fc.constantFrom('510101', '510105', '5102', '510301'),
      }),
      fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat() }),
    );
    let model = new Map<string, bigint>(funds.map((f) => [f, 0n]));
    const posted: { id: string; fund: string; move: bigint }[] = [];
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 12 }), async (actions) => {
        for (const a of actions) {
          let attempt: () => Promise<{ id: string }>;
          let fund: string;
          let move: bigint;
          if (a.kind === 'reverse') {
            const target = posted.filter((p) => p.move !== 0n)[a.pick % Math.max(1, posted.length)];
            if (!target) continue;
            fund = target.fund;
            move = -target.move;
            attempt = () =>
              db.commands.reverseEntry(
                { entryId: target.id, idempotencyKey: uuidv7(), entryDate: '2026-06-01' },
                SYSTEM,
              );
            target.move = 0n; // reversed at most once
          } else {
            fund = a.fund;
            move = a.kind === 'income' ? BigInt(a.fen) : -BigInt(a.fen);
            const [dr, cr] = a.kind === 'income' ? ['1002', a.account] : [a.account, '1002'];
            const yuan = Money.ofFen(a.fen).toString();
            attempt = () => db.post({ branchId: entity, debit: dr, credit: cr, yuan, fund: a.fund });
          }
          const expected = (model.get(fund) ?? 0n) + move < 0n ? 'insufficient' : 'ok';
          const result = await attempt().then(
            (entry) => ({ ok: true as const, entry }),
            (error: { reason?: string }) => ({ ok: false as const, reason: error.reason }),
          );
          if (expected === 'ok') {
            expect(result.ok).toBe(true);
            model.set(fund, (model.get(fund) ?? 0n) + move);
            if (a.kind !== 'reverse' && result.ok) posted.push({ id: result.entry.id, fund, move });
          } else expect(result).toEqual({ ok: false, reason: 'INSUFFICIENT_FUNDS' });
        }
        // the database's books: balanced, no fund negative, each fund equal to the model
        const [totals] = await db.dataSource.query(
          `SELECT coalesce(sum(debit_fen), 0)::text AS d, coalesce(sum(credit_fen), 0)::text AS c
             FROM account_balance WHERE branch_id = $1`,
          [entity],
        );
        expect(totals.d).toBe(totals.c);
        for (const f of funds) {
          const fen = await db.fundFen(entity, f);
          expect(fen).toBeGreaterThanOrEqual(0n);
          expect(fen).toBe(model.get(f));
        }
        // the maintained balances equal the journal summed afresh
        const drift = await db.dataSource.query(
          `SELECT b.account_code FROM account_balance b
             FULL JOIN (SELECT l.account_code, sum(l.debit_fen) AS d, sum(l.credit_fen) AS c
                          FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
                         WHERE e.branch_id = $1 GROUP BY 1) s ON s.account_code = b.account_code
            WHERE b.branch_id = $1 GROUP BY b.account_code, s.d, s.c
           HAVING sum(b.debit_fen) IS DISTINCT FROM s.d OR sum(b.credit_fen) IS DISTINCT FROM s.c`,
          [entity],
        );
        expect(drift).toEqual([]);
      }),
      { numRuns: 15 },
    );
    model = new Map();
  });
});
