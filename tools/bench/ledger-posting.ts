/**
 * Ledger posting (记账) through finance's one posting path against a raw PostgreSQL COPY of the same lines, same
 * run.
 *
 *   post   N journal entries of 2–4 lines (dues and grants in, activity and relief costs out, across B branches
 *          and their three funds) go through `LedgerCommands.post` — the path every posting of the service takes:
 *          idempotency lookup, open-year, chart and fund-floor checks (the drawn funds locked), the entries and
 *          lines written (COPY from 50 entries on), an audit row per entry — in units of work of K entries
 *          (FinanceUnitOfWork: one transaction each), the database's triggers maintaining the balances and
 *          checking every entry at COMMIT.
 *   single for reference: the first S of those entries posted one per unit of work, as postJournalEntry does.
 *   copy   the goal's baseline: the same lines (generated before the clock starts) loaded with `COPY … FROM
 *          STDIN`, K entries' lines per transaction, into a plain table of journal_line's columns (no keys,
 *          no constraints, no triggers): the rawest way to get those rows into PostgreSQL.
 * Each measurement gets a fresh database; checked afterwards: N entries and their lines, the trial balance
 * balanced, every fund's maintained balance equal to what the generator moved.
 *
 * Env: BENCH_ENTRIES (100000), BENCH_BRANCHES (20), BENCH_BATCH (1000), BENCH_SINGLE (2000).
 * Goal: post ≥ 30 % of COPY's lines/s.
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Money } from '@unionfed/domain-kit';
import { Outbox } from '@unionfed/messaging';
import { copyText, createDataSource, migrate, uuidv7 } from '@unionfed/persistence';
import { serviceMigrations } from '@unionfed/service-kit';
import { SYSTEM } from '@unionfed/audit';
import { DIRECTORY_ENTITIES } from '@unionfed/directory';
import { LedgerCommands } from '../../apps/finance/src/application/ledger.commands';
import type { PostingRequest } from '../../apps/finance/src/domain/journal-entry';
import { FinanceUnitOfWork } from '../../apps/finance/src/infrastructure/finance.unit-of-work';
import { LedgerPosting } from '../../apps/finance/src/infrastructure/ledger-posting';
import { LedgerRepository } from '../../apps/finance/src/infrastructure/ledger.repository';
import { FINANCE_MIGRATIONS } from '../../apps/finance/src/infrastructure/migrations';
import {
  type BenchContext,
  envInt,
  fmtNumber,
  fmtSeconds,
  freshDatabase,
  printMachineInfo,
  printTable,
  runBench,
  verdict,
} from './lib';

const ENTRIES = envInt('BENCH_ENTRIES', 100_000);
const BRANCHES = envInt('BENCH_BRANCHES', 20);
const BATCH = envInt('BENCH_BATCH', 1_000);
const SINGLE = envInt('BENCH_SINGLE', 2_000);
const YEAR = 2026;
const FUNDS = ['GENERAL', 'HARDSHIP', 'DONATION'];

/** A deterministic generator (mulberry32): the same entries every run. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface Generated {
  branches: string[];
  openings: PostingRequest[];
  entries: PostingRequest[];
  lines: number;
  /** what the entries move each (branch, fund) by, in fen */
  moves: Map<string, bigint>;
}

function generate(): Generated {
  const next = random(15);
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)];
  const fen = (max: number) => BigInt(1 + Math.floor(next() * max));
  const branches = Array.from({ length: BRANCHES }, () => uuidv7());
  const moves = new Map<string, bigint>();
  const move = (branch: string, fund: string, by: bigint) =>
    moves.set(`${branch}|${fund}`, (moves.get(`${branch}|${fund}`) ?? 0n) + by);
  // every fund of every branch starts with ¥1,000,000 (期初结余), so that costs always find money
  const openings = branches.flatMap((branchId) =>
    FUNDS.map((fund): PostingRequest => {
      move(branchId, fund, 100_000_000n);
      return {
        branchId,
        entryDate: `${YEAR}-01-01`,
        memo: '期初资金结余',
        idempotencyKey: `opening:${fund}`,
        source: 'MANUAL',
        lines: [
          { accountCode: '1002', fundCode: fund, side: 'DEBIT', amount: Money.ofFen(100_000_000n) },
          { accountCode: '3101', fundCode: fund, side: 'CREDIT', amount: Money.ofFen(100_000_000n) },
        ],
      };
    }),
  );
  let lines = 0;
  const entries: PostingRequest[] = [];
  for (let i = 0; i < ENTRIES; i++) {
    const branchId = pick(branches);
    const fund = pick(FUNDS);
    const month = String(1 + Math.floor(next() * 12)).padStart(2, '0');
    const day = String(1 + Math.floor(next() * 28)).padStart(2, '0');
    const count = 2 + Math.floor(next() * 3); // 2–4 lines
    const parts = Array.from({ length: count - 1 }, () => fen(200_000));
    const total = parts.reduce((a, b) => a + b, 0n);
    const income = next() < 0.55;
    const categories = income
      ? ['4101', '4102', '4103', '410501']
      : ['510101', '510102', '510105', '5102', '510301'];
    const others = parts.map((amount) => ({
      accountCode: pick(categories),
      fundCode: fund,
      side: (income ? 'CREDIT' : 'DEBIT') as 'CREDIT' | 'DEBIT',
      amount: Money.ofFen(amount),
    }));
    const bank = {
      accountCode: '1002',
      fundCode: fund,
      side: (income ? 'DEBIT' : 'CREDIT') as 'CREDIT' | 'DEBIT',
      amount: Money.ofFen(total),
    };
    move(branchId, fund, income ? total : -total);
    lines += count;
    entries.push({
      branchId,
      entryDate: `${YEAR}-${month}-${day}`,
      memo: income ? '会费及补助收入' : '活动及帮扶支出',
      idempotencyKey: `bench:${i}`,
      source: 'MANUAL',
      lines: [bank, ...others],
    });
  }
  return { branches, openings, entries, lines, moves };
}

async function financeDataSource(ctx: BenchContext, label: string) {
  const database = await freshDatabase(ctx, label);
  const dataSource = createDataSource({
    url: database.url,
    entities: DIRECTORY_ENTITIES,
    migrations: serviceMigrations(FINANCE_MIGRATIONS),
    applicationName: 'bench-ledger',
    poolSize: 4,
  });
  await migrate(dataSource);
  ctx.defer(() => dataSource.destroy());
  return { database, dataSource };
}

runBench('Ledger posting: the service’s posting path vs a raw COPY of the same lines', async (ctx) => {
  await printMachineInfo(ctx, [
    [
      'entries',
      `${fmtNumber(ENTRIES)} of 2–4 lines, ${BRANCHES} branches × 3 funds, ${BATCH} per transaction`,
    ],
  ]);
  const generated = generate();
  console.log(
    `generated ${fmtNumber(generated.entries.length)} entries, ${fmtNumber(generated.lines)} lines\n`,
  );

  // --- the service's posting path -------------------------------------------------------------------------
  const { dataSource } = await financeDataSource(ctx, 'ledger_post');
  const unitOfWork = new FinanceUnitOfWork(dataSource, new Outbox('/unionfed/finance'));
  const ledger = new LedgerRepository(dataSource);
  const commands = new LedgerCommands(unitOfWork, new LedgerPosting(), ledger);
  for (const branchId of generated.branches) await commands.openFiscalYear({ branchId, year: YEAR }, SYSTEM);
  await unitOfWork.run(SYSTEM, (work) => commands.post(work, generated.openings));
  const postStarted = performance.now();
  for (let at = 0; at < generated.entries.length; at += BATCH) {
    const batch = generated.entries.slice(at, at + BATCH);
    await unitOfWork.run(SYSTEM, (work) => commands.post(work, batch), { name: 'bench' });
  }
  const postMs = performance.now() - postStarted;

  // checks: every entry once, the books balanced, the funds as the generator moved them
  const [{ entries, lines }] = await dataSource.query(
    `SELECT (SELECT count(*) FROM journal_entry)::int AS entries, (SELECT count(*) FROM journal_line)::int AS lines`,
  );
  const expectedEntries = generated.entries.length + generated.openings.length;
  const expectedLines = generated.lines + generated.openings.length * 2;
  if (entries !== expectedEntries || lines !== expectedLines)
    throw new Error(
      `posted ${entries} entries / ${lines} lines, expected ${expectedEntries} / ${expectedLines}`,
    );
  const trial = await ledger.trialBalance('CONSOLIDATED', YEAR);
  const debit = trial.reduce((s, r) => s.plus(r.debit), Money.ZERO);
  const credit = trial.reduce((s, r) => s.plus(r.credit), Money.ZERO);
  if (!debit.equals(credit)) throw new Error(`the trial balance does not balance: ${debit} vs ${credit}`);
  for (const branchId of generated.branches)
    for (const f of await ledger.fundBalances({ branchId }))
      if (f.balance.fen !== generated.moves.get(`${branchId}|${f.fund.code}`))
        throw new Error(
          `fund ${f.fund.code} of ${branchId} is ${f.balance}, expected ${generated.moves.get(`${branchId}|${f.fund.code}`)}`,
        );

  // --- one entry per unit of work (postJournalEntry's shape), for reference ---------------------------------
  const single = await financeDataSource(ctx, 'ledger_single');
  const singleUnit = new FinanceUnitOfWork(single.dataSource, new Outbox('/unionfed/finance'));
  const singleCommands = new LedgerCommands(
    singleUnit,
    new LedgerPosting(),
    new LedgerRepository(single.dataSource),
  );
  for (const branchId of generated.branches)
    await singleCommands.openFiscalYear({ branchId, year: YEAR }, SYSTEM);
  await singleUnit.run(SYSTEM, (work) => singleCommands.post(work, generated.openings));
  const singles = generated.entries.slice(0, SINGLE);
  const singleStarted = performance.now();
  for (const entry of singles) await singleUnit.run(SYSTEM, (work) => singleCommands.post(work, [entry]));
  const singleMs = performance.now() - singleStarted;
  const singleLines = singles.reduce((n, e) => n + e.lines.length, 0);

  // --- the baseline: COPY of the same lines into a plain table ----------------------------------------------
  const raw = await freshDatabase(ctx, 'ledger_copy');
  const client = new Client({ connectionString: raw.url });
  await client.connect();
  ctx.defer(() => client.end());
  await client.query(`CREATE TABLE raw_line (entry_id UUID, line_no SMALLINT, account_code TEXT, fund_code TEXT,
    debit_fen BIGINT, credit_fen BIGINT)`);
  const ids = generated.entries.map(() => uuidv7());
  const rows = (from: number, to: number) =>
    generated.entries
      .slice(from, to)
      .flatMap((entry, k) =>
        entry.lines.map((l, i) => [
          ids[from + k],
          i + 1,
          l.accountCode,
          l.fundCode,
          l.side === 'DEBIT' ? l.amount.fen : 0n,
          l.side === 'CREDIT' ? l.amount.fen : 0n,
        ]),
      );
  const prepared = Array.from({ length: Math.ceil(generated.entries.length / BATCH) }, (_, b) => [
    ...copyText(rows(b * BATCH, (b + 1) * BATCH), 6),
  ]);
  const copyStarted = performance.now();
  for (const chunks of prepared) {
    await client.query('BEGIN');
    await pipeline(Readable.from(chunks), client.query(copyFrom('COPY raw_line FROM STDIN')));
    await client.query('COMMIT');
  }
  const copyMs = performance.now() - copyStarted;
  const [{ n }] = (await client.query('SELECT count(*)::int AS n FROM raw_line')).rows;
  if (n !== generated.lines) throw new Error(`copied ${n} lines, expected ${generated.lines}`);

  // --- figures ----------------------------------------------------------------------------------------------
  const perSecond = (count: number, ms: number) => (count * 1000) / ms;
  const postRate = perSecond(generated.lines, postMs);
  const copyRate = perSecond(generated.lines, copyMs);
  printTable(
    ['path', 'entries', 'lines', 'time', 'entries/s', 'lines/s', 'vs copy'],
    [
      [
        'post (posting path, batches)',
        generated.entries.length,
        generated.lines,
        fmtSeconds(postMs),
        perSecond(generated.entries.length, postMs),
        postRate,
        `${((postRate / copyRate) * 100).toFixed(1)} %`,
      ],
      [
        'post (one entry per unit)',
        singles.length,
        singleLines,
        fmtSeconds(singleMs),
        perSecond(singles.length, singleMs),
        perSecond(singleLines, singleMs),
        `${((perSecond(singleLines, singleMs) / copyRate) * 100).toFixed(1)} %`,
      ],
      [
        'copy (raw lines)',
        generated.entries.length,
        generated.lines,
        fmtSeconds(copyMs),
        perSecond(generated.entries.length, copyMs),
        copyRate,
        '100.0 %',
      ],
    ],
  );
  console.log();
  console.log(
    verdict(
      postRate >= 0.3 * copyRate,
      `posting path ${((postRate / copyRate) * 100).toFixed(1)} % of COPY's lines/s (goal ≥ 30 %)`,
    ),
  );
});
