import {
  Args,
  Context,
  Mutation,
  Parent,
  Query,
  ResolveField,
  ResolveReference,
  Resolver,
} from '@nestjs/graphql';
import { InvalidInputError, Money } from '@unionfed/domain-kit';
import { decodeCursor, pageSize, requestLoader, toConnection } from '@unionfed/graphql-kit';
import { isUuid } from '@unionfed/persistence';
import { CurrentActing, type RequestActing } from '@unionfed/audit';
import { LedgerCommands } from '../application/ledger.commands';
import {
  GENERAL_FUND,
  type AccountKind,
  type FundKind,
  type LedgerAccount,
} from '../domain/chart-of-accounts';
import type { JournalEntry, Side } from '../domain/journal-entry';
import { DisbursementRepository } from '../infrastructure/disbursement.repository';
import {
  LedgerRepository,
  type AccountTotals,
  type Books,
  type FiscalYear,
} from '../infrastructure/ledger.repository';

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const yearOut = (y: FiscalYear) => ({ ...y, openedAt: iso(y.openedAt), closedAt: iso(y.closedAt) });
const entryOut = (e: JournalEntry) => ({ ...e, postedAt: iso(e.postedAt) });

/** A normal balance: debit − credit for ASSET and EXPENSE accounts, credit − debit for the others. */
const balanceOf = (kind: AccountKind, debit: Money, credit: Money) =>
  kind === 'ASSET' || kind === 'EXPENSE' ? debit.minus(credit) : credit.minus(debit);

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < 2000 || year > 2200)
    throw new InvalidInputError('会计年度须在2000至2200之间 (a year from 2000 to 2200)', 'INVALID_YEAR', {
      field: 'year',
    });
}

/**
 * The books a read names, within the caller's reach: a branch's, HQ's own (no branchId) or the consolidated
 * ones. A branch out of reach (or HQ's books for a branch officer) is refused as every read naming a branch is.
 */
function booksOf(acting: RequestActing, branchId: string | null | undefined, consolidated = false): Books {
  if (consolidated) {
    acting.reach.assertFederation();
    return 'CONSOLIDATED';
  }
  const id = branchId ?? null;
  if (id !== null && !isUuid(id))
    throw new InvalidInputError('branchId is not an id', 'INVALID_ID', { field: 'branchId' });
  acting.reach.assertBranch(id);
  return { branchId: id };
}

/** The chart's accounts with whether each takes postings. */
function withPostable(accounts: LedgerAccount[]) {
  const parents = new Set(accounts.map((a) => a.parentCode).filter(Boolean));
  return accounts.map((a) => ({ ...a, postable: !parents.has(a.code) }));
}

@Resolver()
export class LedgerRootResolver {
  constructor(
    private readonly commands: LedgerCommands,
    private readonly ledger: LedgerRepository,
    private readonly disbursements: DisbursementRepository,
  ) {}

  @Query('chartOfAccounts')
  async chartOfAccounts() {
    const [accounts, funds] = await Promise.all([this.ledger.accounts(), this.ledger.funds()]);
    return { accounts: withPostable(accounts), funds };
  }

  @Query('fiscalYears')
  async fiscalYears(@Args('branchId') branchId: string | null, @CurrentActing() acting: RequestActing) {
    return (await this.ledger.fiscalYears(booksOf(acting, branchId))).map(yearOut);
  }

  private async trial(books: Books, year: number) {
    checkYear(year);
    const [accounts, totals] = await Promise.all([
      this.ledger.accounts(),
      this.ledger.trialBalance(books, year),
    ]);
    const postable = new Map(withPostable(accounts).map((a) => [a.code, a]));
    const rows = totals.map((t) => ({
      account: postable.get(t.account.code),
      debit: t.debit,
      credit: t.credit,
      balance: balanceOf(t.account.kind, t.debit, t.credit),
    }));
    const totalDebit = totals.reduce((sum, t) => sum.plus(t.debit), Money.ZERO);
    const totalCredit = totals.reduce((sum, t) => sum.plus(t.credit), Money.ZERO);
    return {
      branchId: books === 'CONSOLIDATED' ? null : books.branchId,
      consolidated: books === 'CONSOLIDATED',
      year,
      rows,
      totalDebit,
      totalCredit,
      balanced: totalDebit.equals(totalCredit),
    };
  }

  @Query('trialBalance')
  trialBalance(
    @Args('branchId') branchId: string | null,
    @Args('year') year: number,
    @CurrentActing() acting: RequestActing,
  ) {
    return this.trial(booksOf(acting, branchId), year);
  }

  @Query('consolidatedTrialBalance')
  consolidatedTrialBalance(@Args('year') year: number, @CurrentActing() acting: RequestActing) {
    return this.trial(booksOf(acting, null, true), year);
  }

  @Query('fundBalances')
  fundBalances(@Args('branchId') branchId: string | null, @CurrentActing() acting: RequestActing) {
    return this.ledger.fundBalances(booksOf(acting, branchId));
  }

  @Query('consolidatedFundBalances')
  consolidatedFundBalances(@CurrentActing() acting: RequestActing) {
    return this.ledger.fundBalances(booksOf(acting, null, true));
  }

  @Query('incomeAndExpense')
  async incomeAndExpense(
    @Args('branchId') branchId: string | null,
    @Args('consolidated') consolidated: boolean,
    @Args('year') year: number,
    @Args('fromMonth') fromMonth: number,
    @Args('toMonth') toMonth: number,
    @CurrentActing() acting: RequestActing,
  ) {
    checkYear(year);
    const books = booksOf(acting, branchId, consolidated);
    if (
      !Number.isInteger(fromMonth) ||
      !Number.isInteger(toMonth) ||
      fromMonth < 1 ||
      toMonth > 12 ||
      fromMonth > toMonth
    )
      throw new InvalidInputError(
        '月份须在1至12之间且起不晚于止 (months 1–12, from ≤ to)',
        'INVALID_PERIOD',
        {
          field: 'fromMonth',
        },
      );
    const totals = await this.ledger.incomeAndExpense(books, year, fromMonth, toMonth);
    const category = (t: AccountTotals) => ({
      account: { ...t.account, postable: true },
      amount: balanceOf(t.account.kind, t.debit, t.credit),
    });
    const income = totals.filter((t) => t.account.kind === 'INCOME').map(category);
    const expense = totals.filter((t) => t.account.kind === 'EXPENSE').map(category);
    const sum = (list: { amount: Money }[]) => list.reduce((s, c) => s.plus(c.amount), Money.ZERO);
    return {
      year,
      fromMonth,
      toMonth,
      income,
      expense,
      totalIncome: sum(income),
      totalExpense: sum(expense),
    };
  }

  @Query('accountStatement')
  async accountStatement(
    @Args('branchId') branchId: string | null,
    @Args('year') year: number,
    @Args('accountCode') accountCode: string,
    @Args('first') first: number,
    @Args('after') after: string | null,
    @CurrentActing() acting: RequestActing,
  ) {
    checkYear(year);
    const books = booksOf(acting, branchId) as { branchId: string | null };
    const account = await this.ledger.account(accountCode);
    if (!account)
      throw new InvalidInputError('会计科目不存在 (no such account)', 'UNKNOWN_ACCOUNT', {
        field: 'accountCode',
      });
    const size = pageSize(first);
    let cursor: { entryDate: string; entryId: string; lineNo: number } | undefined;
    if (after) {
      const [entryDate, entryId, lineNo] = decodeCursor(after).split('|');
      if (!isUuid(entryId ?? '') || !/^\d{4}-\d{2}-\d{2}$/.test(entryDate) || !/^\d+$/.test(lineNo ?? ''))
        throw new InvalidInputError('after is not a cursor this API gave out', 'INVALID_CURSOR', {
          field: 'after',
        });
      cursor = { entryDate, entryId, lineNo: Number(lineNo) };
    }
    const [lines, totals, accounts] = await Promise.all([
      this.ledger.statement(books.branchId, year, accountCode, size, cursor),
      this.ledger.accountTotals(books.branchId, year, accountCode),
      this.ledger.accounts(),
    ]);
    const connection = toConnection(lines, size, 0, (l) => `${l.entryDate}|${l.entryId}|${l.lineNo}`);
    return {
      account: withPostable(accounts).find((a) => a.code === account.code),
      year,
      totalDebit: totals.debit,
      totalCredit: totals.credit,
      lines: { edges: connection.edges, pageInfo: connection.pageInfo },
    };
  }

  @Query('journalEntry')
  async journalEntry(@Args('id') id: string, @CurrentActing() acting: RequestActing) {
    const entry = isUuid(id) ? acting.reach.visibleInBranch(await this.ledger.entry(id)) : undefined;
    return entry ? entryOut(entry) : null;
  }

  @Query('disbursement')
  async disbursement(@Args('requestId') requestId: string, @CurrentActing() acting: RequestActing) {
    const found = isUuid(requestId)
      ? acting.reach.visibleInBranch(await this.disbursements.find(requestId))
      : undefined;
    return found ? { ...found, decidedAt: iso(found.decidedAt) } : null;
  }

  @Mutation('postJournalEntry')
  async postJournalEntry(
    @Args('input')
    input: {
      branchId?: string | null;
      entryDate: string;
      memo: string;
      idempotencyKey: string;
      lines: { accountCode: string; fundCode?: string | null; side: Side; amount: Money }[];
    },
    @CurrentActing() acting: RequestActing,
  ) {
    const branchId = input.branchId ?? null;
    if (branchId !== null && !isUuid(branchId))
      throw new InvalidInputError('branchId is not an id', 'INVALID_ID', { field: 'branchId' });
    const entry = await this.commands.postEntry(
      {
        branchId,
        entryDate: input.entryDate,
        memo: input.memo,
        idempotencyKey: input.idempotencyKey,
        lines: input.lines.map((l) => ({
          accountCode: l.accountCode,
          fundCode: l.fundCode ?? GENERAL_FUND,
          side: l.side,
          amount: l.amount,
        })),
      },
      acting,
    );
    return entryOut(entry);
  }

  @Mutation('reverseJournalEntry')
  async reverseJournalEntry(
    @Args('input')
    input: { entryId: string; entryDate?: string | null; memo?: string | null; idempotencyKey: string },
    @CurrentActing() acting: RequestActing,
  ) {
    return entryOut(await this.commands.reverseEntry(input, acting));
  }

  @Mutation('openFiscalYear')
  async openFiscalYear(
    @Args('branchId') branchId: string | null,
    @Args('year') year: number,
    @CurrentActing() acting: RequestActing,
  ) {
    const books = booksOf(acting, branchId) as { branchId: string | null };
    return yearOut(await this.commands.openFiscalYear({ branchId: books.branchId, year }, acting));
  }

  @Mutation('closeFiscalYear')
  async closeFiscalYear(
    @Args('branchId') branchId: string | null,
    @Args('year') year: number,
    @CurrentActing() acting: RequestActing,
  ) {
    const books = booksOf(acting, branchId) as { branchId: string | null };
    return yearOut(await this.commands.closeFiscalYear({ branchId: books.branchId, year }, acting));
  }

  @Mutation('addLedgerAccount')
  async addLedgerAccount(
    @Args('input') input: { code: string; name: string; kind: AccountKind; parentCode?: string | null },
    @CurrentActing() acting: RequestActing,
  ) {
    return { ...(await this.commands.addAccount(input, acting)), postable: true };
  }

  @Mutation('addLedgerFund')
  addLedgerFund(
    @Args('input') input: { code: string; name: string; kind: FundKind },
    @CurrentActing() acting: RequestActing,
  ) {
    return this.commands.addFund(input, acting);
  }
}

/** `Branch.finance`: a branch's books at a glance, for every branch of a request in one query. */
@Resolver('Branch')
export class BranchFinanceResolver {
  constructor(private readonly ledger: LedgerRepository) {}

  @ResolveReference()
  resolveReference(reference: { id: string }) {
    return { id: reference.id };
  }

  @ResolveField('finance')
  async finance(
    @Parent() branch: { id: string },
    @Context() ctx: object,
    @CurrentActing() acting: RequestActing,
  ) {
    if (!isUuid(branch.id) || !acting.reach.includesBranch(branch.id)) return null;
    const loader = requestLoader(ctx, 'finance.branchFunds', (ids: string[]) =>
      this.ledger.fundBalancesOfBranches(ids),
    );
    const fundBalances = (await loader.load(branch.id)) ?? [];
    return { fundBalances, totalFunds: fundBalances.reduce((sum, f) => sum.plus(f.balance), Money.ZERO) };
  }
}
