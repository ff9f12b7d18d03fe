import { Money } from '@unionfed/domain-kit';
import { Outbox } from '@unionfed/messaging';
import { SYSTEM } from '@unionfed/audit';
import { DIRECTORY_ENTITIES } from '@unionfed/directory';
import { serviceDatabase, type ServiceDatabase } from '@unionfed/testing';
import { uuidv7 } from '@unionfed/persistence';
import { LedgerCommands } from '../src/application/ledger.commands';
import { Disbursements } from '../src/application/disbursements';
import type { JournalEntry, Side } from '../src/domain/journal-entry';
import { DisbursementRepository } from '../src/infrastructure/disbursement.repository';
import { FinanceUnitOfWork } from '../src/infrastructure/finance.unit-of-work';
import { LedgerPosting } from '../src/infrastructure/ledger-posting';
import { LedgerRepository } from '../src/infrastructure/ledger.repository';
import { FINANCE_MIGRATIONS } from '../src/infrastructure/migrations';

export interface FinanceDatabase extends ServiceDatabase {
  unitOfWork: FinanceUnitOfWork;
  posting: LedgerPosting;
  ledger: LedgerRepository;
  commands: LedgerCommands;
  disbursementRepository: DisbursementRepository;
  disbursements: Disbursements;
  /** an entry of two lines posted as the platform itself: Dr `debit` / Cr `credit`, in one fund */
  post(input: {
    branchId: string | null;
    debit: string;
    credit: string;
    yuan: string;
    fund?: string;
    date?: string;
    key?: string;
  }): Promise<JournalEntry>;
  /** the fund's maintained balance at the entity, in fen */
  fundFen(branchId: string | null, fund: string): Promise<bigint>;
}

export const line = (accountCode: string, side: Side, yuan: string, fundCode = 'GENERAL') => ({
  accountCode,
  fundCode,
  side,
  amount: Money.parse(yuan),
});

/** A fresh finance database (migrated as the service migrates it) with the ledger's parts wired as in the app. */
export async function financeDatabase(label: string, poolSize?: number): Promise<FinanceDatabase> {
  const database = await serviceDatabase(label, {
    entities: DIRECTORY_ENTITIES,
    migrations: FINANCE_MIGRATIONS,
    poolSize,
  });
  const { dataSource } = database;
  const unitOfWork = new FinanceUnitOfWork(dataSource, new Outbox('/unionfed/finance'));
  const posting = new LedgerPosting();
  const ledger = new LedgerRepository(dataSource);
  const commands = new LedgerCommands(unitOfWork, posting, ledger);
  const disbursementRepository = new DisbursementRepository(dataSource);
  return {
    ...database,
    unitOfWork,
    posting,
    ledger,
    commands,
    disbursementRepository,
    disbursements: new Disbursements(disbursementRepository, posting),
    post: ({ branchId, debit, credit, yuan, fund = 'GENERAL', date = '2026-03-01', key = uuidv7() }) =>
      commands.postEntry(
        {
          branchId,
          entryDate: date,
          memo: '测试凭证',
          idempotencyKey: key,
          lines: [line(debit, 'DEBIT', yuan, fund), line(credit, 'CREDIT', yuan, fund)],
        },
        SYSTEM,
      ),
    fundFen: async (branchId, fund) => {
      const [row] = await dataSource.query(
        `SELECT balance_fen FROM fund_balance WHERE branch_id IS NOT DISTINCT FROM $1::uuid AND fund_code = $2`,
        [branchId, fund],
      );
      return BigInt(row?.balance_fen ?? 0);
    },
  };
}
