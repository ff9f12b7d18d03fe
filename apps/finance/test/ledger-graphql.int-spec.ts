import { createTestIssuer, hq, inBranch, type ServedSubgraph, type TestIssuer } from '@unionfed/testing';
import type { Grant } from '@unionfed/auth';
import { uuidv7 } from '@unionfed/persistence';
import { SYSTEM } from '@unionfed/audit';
import { financeDatabase, type FinanceDatabase } from './finance-database';
import { serveFinance } from './finance-subgraph';

const POST = `mutation ($input: PostJournalEntryInput!) {
  postJournalEntry(input: $input) { id branchId fiscalYear entryDate memo source lines { lineNo accountCode fundCode side amount } }
}`;
const REVERSE = `mutation ($input: ReverseJournalEntryInput!) { reverseJournalEntry(input: $input) { id source reversesEntryId lines { side amount } } }`;
const TRIAL = `query ($b: ID, $y: Int!) { trialBalance(branchId: $b, year: $y) { branchId year totalDebit totalCredit balanced rows { account { code name kind } debit credit balance } } }`;
const FUNDS = `query ($b: ID) { fundBalances(branchId: $b) { branchId fund { code name } balance } }`;

/**
 * The ledger through the finance subgraph as the app serves it (SDL, @access, tokens, error codes) against a
 * real database: posting and reversing, the books' reads per branch and consolidated, and bad input answered
 * with extensions.code — never a 500, and nothing of another branch's books.
 */
describe('the ledger through the finance subgraph (real PostgreSQL, HTTP)', () => {
  let db: FinanceDatabase;
  let issuer: TestIssuer;
  let served: ServedSubgraph;
  const [a, b] = [uuidv7(), uuidv7()];
  const accountantA: Grant[] = [inBranch('FINANCE_ACCOUNTANT', a)];
  const officerB: Grant[] = [
    inBranch('FINANCE_ACCOUNTANT', b),
    inBranch('FINANCE_CASHIER', b),
    inBranch('FINANCE_AUDITOR', b),
    inBranch('ADMIN', b),
  ];
  const hqAccountant: Grant[] = [hq('FINANCE_ACCOUNTANT')];
  const codes = (r: { errors?: { extensions?: { code?: string; reason?: string; field?: string } }[] }) =>
    r.errors?.map((e) => [e.extensions?.code, e.extensions?.reason]);

  const entry = (fields: Record<string, unknown> = {}, lines?: unknown[]) => ({
    branchId: a,
    entryDate: '2026-03-15',
    memo: '三月会费',
    idempotencyKey: uuidv7(),
    lines: lines ?? [
      { accountCode: '1002', side: 'DEBIT', amount: '1200.50' },
      { accountCode: '4101', side: 'CREDIT', amount: '1200.50' },
    ],
    ...fields,
  });

  beforeAll(async () => {
    db = await financeDatabase('finance-ledger-graphql');
    issuer = await createTestIssuer();
    served = await serveFinance(db, issuer);
    for (const entity of [a, b, null])
      await db.commands.openFiscalYear({ branchId: entity, year: 2026 }, SYSTEM);
  });
  afterAll(async () => {
    await served?.close();
    await db?.drop();
  });

  it('posts an entry for the accountant’s branch and shows it in its trial balance and fund balances', async () => {
    const posted = await served.graphql(accountantA, POST, { input: entry() });
    expect(posted.errors).toBeUndefined();
    expect(posted.data!.postJournalEntry).toMatchObject({
      branchId: a,
      fiscalYear: 2026,
      source: 'MANUAL',
      lines: [
        { lineNo: 1, accountCode: '1002', fundCode: 'GENERAL', side: 'DEBIT', amount: '1200.50' },
        { lineNo: 2, accountCode: '4101', fundCode: 'GENERAL', side: 'CREDIT', amount: '1200.50' },
      ],
    });
    const trial = await served.graphql([inBranch('FINANCE_AUDITOR', a)], TRIAL, { b: a, y: 2026 });
    expect(trial.data!.trialBalance).toMatchObject({
      totalDebit: '1200.50',
      totalCredit: '1200.50',
      balanced: true,
    });
    expect(trial.data!.trialBalance.rows).toEqual([
      {
        account: { code: '1002', name: '银行存款', kind: 'ASSET' },
        debit: '1200.50',
        credit: '0.00',
        balance: '1200.50',
      },
      {
        account: { code: '4101', name: '会费收入', kind: 'INCOME' },
        debit: '0.00',
        credit: '1200.50',
        balance: '1200.50',
      },
    ]);
    const funds = await served.graphql([inBranch('FINANCE_CASHIER', a)], FUNDS, { b: a });
    expect(funds.data!.fundBalances).toEqual([
      { branchId: a, fund: { code: 'GENERAL', name: '工会资金' }, balance: '1200.50' },
    ]);
  });

  it('answers the same entry when the same posting is sent twice', async () => {
    const input = entry();
    const first = await served.graphql(accountantA, POST, { input });
    const again = await served.graphql(accountantA, POST, { input });
    expect(again.data!.postJournalEntry.id).toBe(first.data!.postJournalEntry.id);
  });

  it('reverses an entry once and refuses a second reversal', async () => {
    const posted = await served.graphql(accountantA, POST, { input: entry() });
    const id = posted.data!.postJournalEntry.id;
    const reversed = await served.graphql(accountantA, REVERSE, {
      input: { entryId: id, idempotencyKey: uuidv7(), entryDate: '2026-03-20' },
    });
    expect(reversed.data!.reverseJournalEntry).toMatchObject({
      source: 'REVERSAL',
      reversesEntryId: id,
      lines: [{ side: 'CREDIT' }, { side: 'DEBIT' }],
    });
    const twice = await served.graphql(accountantA, REVERSE, {
      input: { entryId: id, idempotencyKey: uuidv7(), entryDate: '2026-03-21' },
    });
    expect(codes(twice)).toEqual([['CONFLICT', 'ENTRY_ALREADY_REVERSED']]);
  });

  it.each([
    [
      'a negative amount',
      entry({}, [
        { accountCode: '1002', side: 'DEBIT', amount: '-5.00' },
        { accountCode: '4101', side: 'CREDIT', amount: '-5.00' },
      ]),
      'BAD_USER_INPUT',
      'INVALID_AMOUNT',
    ],
    [
      'a zero amount',
      entry({}, [
        { accountCode: '1002', side: 'DEBIT', amount: '0' },
        { accountCode: '4101', side: 'CREDIT', amount: '0' },
      ]),
      'BAD_USER_INPUT',
      'INVALID_AMOUNT',
    ],
    [
      'a fraction of a fen',
      entry({}, [
        { accountCode: '1002', side: 'DEBIT', amount: '1.005' },
        { accountCode: '4101', side: 'CREDIT', amount: '1.00' },
      ]),
      'BAD_USER_INPUT',
      'INVALID_MONEY',
    ],
    [
      'unbalanced lines',
      entry({}, [
        { accountCode: '1002', side: 'DEBIT', amount: '5.00' },
        { accountCode: '4101', side: 'CREDIT', amount: '4.99' },
      ]),
      'BAD_USER_INPUT',
      'UNBALANCED_ENTRY',
    ],
    [
      'a single line',
      entry({}, [{ accountCode: '1002', side: 'DEBIT', amount: '5.00' }]),
      'BAD_USER_INPUT',
      'INVALID_LINE_COUNT',
    ],
    [
      'an unknown account',
      entry({}, [
        { accountCode: '1999', side: 'DEBIT', amount: '5.00' },
        { accountCode: '4101', side: 'CREDIT', amount: '5.00' },
      ]),
      'BAD_USER_INPUT',
      'UNKNOWN_ACCOUNT',
    ],
    [
      'a category with sub-categories',
      entry({}, [
        { accountCode: '5101', side: 'DEBIT', amount: '5.00' },
        { accountCode: '1002', side: 'CREDIT', amount: '5.00' },
      ]),
      'BAD_USER_INPUT',
      'ACCOUNT_NOT_POSTABLE',
    ],
    [
      'an unknown fund',
      entry({}, [
        { accountCode: '1002', fundCode: 'NOPE', side: 'DEBIT', amount: '5.00' },
        { accountCode: '4101', fundCode: 'NOPE', side: 'CREDIT', amount: '5.00' },
      ]),
      'BAD_USER_INPUT',
      'UNKNOWN_FUND',
    ],
    ['a year not opened', entry({ entryDate: '2025-06-01' }), 'BAD_USER_INPUT', 'FISCAL_YEAR_CLOSED'],
    [
      'more than the fund holds',
      entry({}, [
        { accountCode: '5102', fundCode: 'HARDSHIP', side: 'DEBIT', amount: '5.00' },
        { accountCode: '1002', fundCode: 'HARDSHIP', side: 'CREDIT', amount: '5.00' },
      ]),
      'CONFLICT',
      'INSUFFICIENT_FUNDS',
    ],
    ['an impossible date', entry({ entryDate: '2026-02-30' }), 'BAD_USER_INPUT', 'INVALID_DATE'],
  ])('refuses %s with a clear code, posting nothing', async (_what, input, code, reason) => {
    const [before] = await db.dataSource.query(`SELECT count(*)::int AS n FROM journal_entry`);
    const result = await served.graphql(accountantA, POST, { input });
    expect(codes(result)).toEqual([[code, reason]]);
    expect(JSON.stringify(result)).not.toMatch(/stack|SELECT|INSERT|journal_/);
    const [after] = await db.dataSource.query(`SELECT count(*)::int AS n FROM journal_entry`);
    expect(after.n).toBe(before.n);
  });

  it('refuses postings into a closed fiscal year', async () => {
    await db.commands.openFiscalYear({ branchId: a, year: 2024 }, SYSTEM);
    const close = await served.graphql(
      accountantA,
      `mutation { closeFiscalYear(branchId: "${a}", year: 2024) { status closedAt } }`,
    );
    expect(close.data!.closeFiscalYear.status).toBe('CLOSED');
    const result = await served.graphql(accountantA, POST, { input: entry({ entryDate: '2024-12-30' }) });
    expect(codes(result)).toEqual([['BAD_USER_INPUT', 'FISCAL_YEAR_CLOSED']]);
  });

  it('keeps a branch officer out of another branch’s books: refused to name it, its entries not there', async () => {
    const posted = await served.graphql(accountantA, POST, { input: entry({ memo: '甲分工会机密摘要' }) });
    const id = posted.data!.postJournalEntry.id;
    expect(codes(await served.graphql(officerB, TRIAL, { b: a, y: 2026 }))).toEqual([
      ['FORBIDDEN', 'OUT_OF_SCOPE'],
    ]);
    expect(codes(await served.graphql(officerB, FUNDS, { b: a }))).toEqual([['FORBIDDEN', 'OUT_OF_SCOPE']]);
    expect(codes(await served.graphql(officerB, POST, { input: entry() }))).toEqual([
      ['FORBIDDEN', 'OUT_OF_SCOPE'],
    ]);
    const read = await served.graphql(officerB, `query ($id: ID!) { journalEntry(id: $id) { id memo } }`, {
      id,
    });
    expect(read).toEqual({ data: { journalEntry: null } });
    const reverse = await served.graphql(officerB, REVERSE, {
      input: { entryId: id, idempotencyKey: uuidv7() },
    });
    expect(codes(reverse)).toEqual([['NOT_FOUND', 'JOURNALENTRY_NOT_FOUND']]);
    expect(JSON.stringify(reverse)).not.toContain('甲分工会机密摘要');
    // nor HQ's own books, nor the consolidated ones
    expect(codes(await served.graphql(officerB, TRIAL, { y: 2026 }))).toEqual([
      ['FORBIDDEN', 'OUT_OF_SCOPE'],
    ]);
    expect(codes(await served.graphql(officerB, `{ consolidatedFundBalances { balance } }`))?.[0][0]).toBe(
      'FORBIDDEN',
    );
    const branchFinance = await served.graphql(
      officerB,
      `{ _entities(representations: [{ __typename: "Branch", id: "${a}" }]) { ... on Branch { finance { totalFunds } } } }`,
    );
    expect(branchFinance.data).toEqual({ _entities: [{ finance: null }] });
  });

  it('lets a cashier or auditor read but not post', async () => {
    for (const role of ['FINANCE_CASHIER', 'FINANCE_AUDITOR'] as const)
      expect(codes(await served.graphql([inBranch(role, a)], POST, { input: entry() }))?.[0][0]).toBe(
        'FORBIDDEN',
      );
  });

  it('gives HQ the consolidated books of every entity and Branch.finance of each branch', async () => {
    await served.graphql([inBranch('FINANCE_ACCOUNTANT', b)], POST, {
      input: entry({ branchId: b }, [
        { accountCode: '1002', fundCode: 'HARDSHIP', side: 'DEBIT', amount: '300.00' },
        { accountCode: '4104', fundCode: 'HARDSHIP', side: 'CREDIT', amount: '300.00' },
      ]),
    });
    const consolidated = await served.graphql(
      [hq('FINANCE_AUDITOR')],
      `{ consolidatedTrialBalance(year: 2026) { consolidated balanced totalDebit totalCredit } consolidatedFundBalances { fund { code } balance } }`,
    );
    expect(consolidated.errors).toBeUndefined();
    expect(consolidated.data!.consolidatedTrialBalance).toMatchObject({ consolidated: true, balanced: true });
    expect(consolidated.data!.consolidatedFundBalances).toContainEqual({
      fund: { code: 'HARDSHIP' },
      balance: '300.00',
    });
    const entities = await served.graphql(
      [hq('FINANCE_AUDITOR')],
      `{ _entities(representations: [{ __typename: "Branch", id: "${a}" }, { __typename: "Branch", id: "${b}" }]) { ... on Branch { id finance { totalFunds fundBalances { fund { code } balance } } } } }`,
    );
    expect(entities.data!._entities[1]).toEqual({
      id: b,
      finance: { totalFunds: '300.00', fundBalances: [{ fund: { code: 'HARDSHIP' }, balance: '300.00' }] },
    });
  });

  it('reports income and expense per category for months of a year, and an account statement page by page', async () => {
    const x = uuidv7();
    await db.commands.openFiscalYear({ branchId: x, year: 2026 }, SYSTEM);
    const x1: Grant[] = [inBranch('FINANCE_ACCOUNTANT', x)];
    const lines = (dr: string, cr: string, amount: string) => [
      { accountCode: dr, side: 'DEBIT', amount },
      { accountCode: cr, side: 'CREDIT', amount },
    ];
    await served.graphql(x1, POST, {
      input: entry({ branchId: x, entryDate: '2026-01-10' }, lines('1002', '4101', '100.00')),
    });
    await served.graphql(x1, POST, {
      input: entry({ branchId: x, entryDate: '2026-02-10' }, lines('1002', '4102', '300.00')),
    });
    await served.graphql(x1, POST, {
      input: entry({ branchId: x, entryDate: '2026-02-20' }, lines('510102', '1002', '80.00')),
    });
    const report = await served.graphql(
      x1,
      `query ($b: ID) { incomeAndExpense(branchId: $b, year: 2026, fromMonth: 2, toMonth: 2) { totalIncome totalExpense income { account { code } amount } expense { account { name } amount } } }`,
      { b: x },
    );
    expect(report.data!.incomeAndExpense).toEqual({
      totalIncome: '300.00',
      totalExpense: '80.00',
      income: [{ account: { code: '4102' }, amount: '300.00' }],
      expense: [{ account: { name: '文体活动' }, amount: '80.00' }],
    });
    const STATEMENT = `query ($b: ID, $after: String) { accountStatement(branchId: $b, year: 2026, accountCode: "1002", first: 2, after: $after) {
      totalDebit totalCredit lines { edges { node { entryDate debit credit } } pageInfo { hasNextPage endCursor } } } }`;
    const page1 = await served.graphql(x1, STATEMENT, { b: x });
    expect(page1.data!.accountStatement).toMatchObject({ totalDebit: '400.00', totalCredit: '80.00' });
    expect(
      page1.data!.accountStatement.lines.edges.map((e: { node: { entryDate: string } }) => e.node.entryDate),
    ).toEqual(['2026-01-10', '2026-02-10']);
    const page2 = await served.graphql(x1, STATEMENT, {
      b: x,
      after: page1.data!.accountStatement.lines.pageInfo.endCursor,
    });
    expect(page2.data!.accountStatement.lines).toEqual({
      edges: [{ node: { entryDate: '2026-02-20', debit: '0.00', credit: '80.00' } }],
      pageInfo: { hasNextPage: false, endCursor: expect.any(String) },
    });
    const unknown = await served.graphql(
      x1,
      `query ($b: ID) { accountStatement(branchId: $b, year: 2026, accountCode: "0000") { year } }`,
      { b: x },
    );
    expect(codes(unknown)).toEqual([['BAD_USER_INPUT', 'UNKNOWN_ACCOUNT']]);
  });

  it('lets HQ extend the chart of accounts and refuses a branch that tries', async () => {
    const add = `mutation ($i: AddLedgerAccountInput!) { addLedgerAccount(input: $i) { code name kind parentCode } }`;
    const added = await served.graphql(hqAccountant, add, {
      i: { code: '510106', name: '劳动竞赛', kind: 'EXPENSE', parentCode: '5101' },
    });
    expect(added.data!.addLedgerAccount).toEqual({
      code: '510106',
      name: '劳动竞赛',
      kind: 'EXPENSE',
      parentCode: '5101',
    });
    expect(
      codes(
        await served.graphql(hqAccountant, add, {
          i: { code: '510106', name: '重复', kind: 'EXPENSE', parentCode: '5101' },
        }),
      ),
    ).toEqual([['CONFLICT', 'ACCOUNT_CODE_TAKEN']]);
    expect(
      codes(
        await served.graphql(hqAccountant, add, {
          i: { code: '6201', name: '错', kind: 'EXPENSE', parentCode: '5101' },
        }),
      ),
    ).toEqual([['BAD_USER_INPUT', 'INVALID_ACCOUNT_CODE']]);
    expect(
      codes(
        await served.graphql(accountantA, add, {
          i: { code: '510107', name: '分会自设', kind: 'EXPENSE', parentCode: '5101' },
        }),
      )?.[0][0],
    ).toBe('FORBIDDEN');
    const fund = await served.graphql(
      hqAccountant,
      `mutation { addLedgerFund(input: { code: "ONE_DAY_2026", name: "2026一日捐", kind: RESTRICTED_DONATION }) { code kind } }`,
    );
    expect(fund.data!.addLedgerFund).toEqual({ code: 'ONE_DAY_2026', kind: 'RESTRICTED_DONATION' });
    const chart = await served.graphql(
      accountantA,
      `{ chartOfAccounts { accounts { code postable } funds { code } } }`,
    );
    expect(chart.data!.chartOfAccounts.accounts).toContainEqual({ code: '5101', postable: false });
    expect(chart.data!.chartOfAccounts.funds.map((f: { code: string }) => f.code)).toContain('ONE_DAY_2026');
  });
});
