import { Injectable } from '@nestjs/common';
import { ConflictError, InvalidInputError, NotFoundError, todayInShanghai } from '@unionfed/domain-kit';
import { isUuid } from '@unionfed/persistence';
import { SYSTEM, type RequestActing } from '@unionfed/audit';
import {
  newAccount,
  newFund,
  type AccountKind,
  type FundKind,
  type LedgerAccount,
  type LedgerFund,
} from '../domain/chart-of-accounts';
import { reversalOf, type JournalEntry, type PostingRequest } from '../domain/journal-entry';
import { FinanceUnitOfWork, type FinanceWork } from '../infrastructure/finance.unit-of-work';
import { LedgerPosting } from '../infrastructure/ledger-posting';
import { LedgerRepository, type FiscalYear } from '../infrastructure/ledger.repository';

const auditedEntry = (entry: JournalEntry) => ({
  fiscalYear: entry.fiscalYear,
  entryDate: entry.entryDate,
  memo: entry.memo,
  source: entry.source,
  reversesEntryId: entry.reversesEntryId,
  lines: entry.lines.map((l) => ({
    accountCode: l.accountCode,
    fundCode: l.fundCode,
    side: l.side,
    amountFen: l.amount.fen.toString(),
  })),
});

/**
 * The ledger's commands. Every posting — here, and from the disbursement saga, and later dues, expenses and
 * donation drives — goes through `post` (one posting path: LedgerPosting), in a unit of work with its audit row.
 */
@Injectable()
export class LedgerCommands {
  constructor(
    private readonly unitOfWork: FinanceUnitOfWork,
    private readonly posting: LedgerPosting,
    private readonly ledger: LedgerRepository,
  ) {}

  /**
   * Posts entries in the caller's unit of work and audits each newly posted one (a repeat under a used key
   * answers the earlier entry and writes nothing). The one way anything reaches the journal.
   */
  async post(work: FinanceWork, requests: PostingRequest[]): Promise<JournalEntry[]> {
    for (const request of requests) work.acting.reach.assertBranch(request.branchId);
    const answered = await this.posting.post(work.manager, requests, work.acting.actorName);
    for (const { entry, posted } of answered)
      if (posted)
        work.audit({
          action: entry.source === 'REVERSAL' ? 'JOURNAL_ENTRY_REVERSED' : 'JOURNAL_ENTRY_POSTED',
          entityType: 'JournalEntry',
          entityId: entry.id,
          branchId: entry.branchId,
          before: null,
          after: auditedEntry(entry),
        });
    return answered.map((a) => a.entry);
  }

  /** Posts one manual entry (记账): FINANCE_ACCOUNTANT of its entity. */
  postEntry(request: Omit<PostingRequest, 'source'>, acting: RequestActing = SYSTEM): Promise<JournalEntry> {
    return this.unitOfWork.run(
      acting,
      async (work) => (await this.post(work, [{ ...request, source: 'MANUAL', reversesEntryId: null }]))[0],
      { name: 'postJournalEntry' },
    );
  }

  /**
   * Reverses a posted entry (红字冲销) with an entry of the same lines, sides swapped, dated `entryDate` (default
   * today) in an open year of its entity. An entry out of the caller's reach reads as not there. Asked again
   * with the same key it answers the same reversal; reversing an entry a second time is a CONFLICT.
   */
  reverseEntry(
    input: { entryId: string; entryDate?: string | null; memo?: string | null; idempotencyKey: string },
    acting: RequestActing = SYSTEM,
  ): Promise<JournalEntry> {
    return this.unitOfWork.run(
      acting,
      async (work) => {
        const entry = isUuid(input.entryId)
          ? acting.reach.visibleInBranch(await this.ledger.entry(input.entryId, work.manager, true))
          : undefined;
        if (!entry) throw new NotFoundError('JournalEntry', input.entryId);
        const request = reversalOf(entry, {
          entryDate: input.entryDate ?? todayInShanghai(),
          memo: input.memo?.trim() || `冲销：${entry.memo}`.slice(0, 200),
          idempotencyKey: input.idempotencyKey,
        });
        const reversedBy = await this.ledger.entryIdReversing(entry.id, work.manager);
        if (reversedBy) {
          const [{ entry: repeat }] = await this.posting
            .post(work.manager, [request], acting.actorName)
            .catch((error: unknown) => {
              // the same key answers its reversal; any other request for a reversed entry is refused
              if (error instanceof ConflictError) throw alreadyReversed();
              throw error;
            });
          if (repeat.id !== reversedBy) throw alreadyReversed();
          return repeat;
        }
        return (await this.post(work, [request]))[0];
      },
      { name: 'reverseJournalEntry' },
    );
  }

  /** Opens a fiscal year (会计年度) of an entity for postings. */
  openFiscalYear(
    input: { branchId: string | null; year: number },
    acting: RequestActing = SYSTEM,
  ): Promise<FiscalYear> {
    return this.unitOfWork.run(
      acting,
      async (work) => {
        acting.reach.assertBranch(input.branchId);
        checkYear(input.year);
        const opened = await this.ledger.openFiscalYear(work.manager, input.branchId, input.year);
        work.audit({
          action: 'FISCAL_YEAR_OPENED',
          entityType: 'FiscalYear',
          entityId: `${input.branchId ?? 'HQ'}:${input.year}`,
          branchId: input.branchId,
          before: null,
          after: { year: input.year, status: 'OPEN' },
        });
        return opened;
      },
      { name: 'openFiscalYear' },
    );
  }

  /** Closes (结账) a fiscal year: no posting goes into it any more; it is never reopened. */
  closeFiscalYear(
    input: { branchId: string | null; year: number },
    acting: RequestActing = SYSTEM,
  ): Promise<FiscalYear> {
    return this.unitOfWork.run(
      acting,
      async (work) => {
        acting.reach.assertBranch(input.branchId);
        checkYear(input.year);
        const year = await this.ledger.lockFiscalYear(work.manager, input.branchId, input.year);
        if (!year) throw new NotFoundError('FiscalYear', String(input.year));
        if (year.status === 'CLOSED')
          throw new ConflictError(
            '该会计年度已结账 (the fiscal year is already closed)',
            'FISCAL_YEAR_CLOSED',
          );
        const closed = await this.ledger.closeFiscalYear(work.manager, input.branchId, input.year);
        work.audit({
          action: 'FISCAL_YEAR_CLOSED',
          entityType: 'FiscalYear',
          entityId: `${input.branchId ?? 'HQ'}:${input.year}`,
          branchId: input.branchId,
          before: { year: input.year, status: 'OPEN' },
          after: { year: input.year, status: 'CLOSED' },
        });
        return closed;
      },
      { name: 'closeFiscalYear' },
    );
  }

  /** HQ extends the chart with an account. */
  addAccount(
    input: { code: string; name: string; kind: AccountKind; parentCode?: string | null },
    acting: RequestActing = SYSTEM,
  ): Promise<LedgerAccount> {
    return this.unitOfWork.run(
      acting,
      async (work) => {
        acting.reach.assertFederation();
        const parent = input.parentCode
          ? await this.ledger.account(input.parentCode, work.manager)
          : undefined;
        const account = newAccount(input, parent);
        await this.ledger.insertAccount(work.manager, account);
        work.audit({
          action: 'LEDGER_ACCOUNT_ADDED',
          entityType: 'LedgerAccount',
          entityId: account.code,
          branchId: null,
          before: null,
          after: account,
        });
        return account;
      },
      { name: 'addLedgerAccount' },
    );
  }

  /** HQ adds a fund (a restricted donation fund, say). */
  addFund(
    input: { code: string; name: string; kind: FundKind },
    acting: RequestActing = SYSTEM,
  ): Promise<LedgerFund> {
    return this.unitOfWork.run(
      acting,
      async (work) => {
        acting.reach.assertFederation();
        const fund = newFund(input);
        await this.ledger.insertFund(work.manager, fund);
        work.audit({
          action: 'LEDGER_FUND_ADDED',
          entityType: 'LedgerFund',
          entityId: fund.code,
          branchId: null,
          before: null,
          after: fund,
        });
        return fund;
      },
      { name: 'addLedgerFund' },
    );
  }
}

const alreadyReversed = () =>
  new ConflictError('该凭证已冲销 (the entry has already been reversed)', 'ENTRY_ALREADY_REVERSED', {
    field: 'entryId',
  });

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < 2000 || year > 2200)
    throw new InvalidInputError('会计年度须在2000至2200之间 (a year from 2000 to 2200)', 'INVALID_YEAR', {
      field: 'year',
    });
}
