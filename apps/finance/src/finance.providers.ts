import { auditLogResolver } from '@unionfed/audit';
import { SUBGRAPH_TYPE_PATHS } from './graphql/subgraph';
import { FinanceUnitOfWork } from './infrastructure/finance.unit-of-work';
import { LedgerPosting } from './infrastructure/ledger-posting';
import { LedgerRepository } from './infrastructure/ledger.repository';
import { DisbursementRepository } from './infrastructure/disbursement.repository';
import { LedgerCommands } from './application/ledger.commands';
import { Disbursements } from './application/disbursements';
import { BranchFinanceResolver, LedgerRootResolver } from './graphql/ledger.resolver';

// The service's parts, for FinanceModule and for the tests that serve a part of it (no configuration read here).

/** The subgraph as the service serves it (Branch is federation-wide: no entity scope to name). */
export const FINANCE_SUBGRAPH = { typePaths: SUBGRAPH_TYPE_PATHS };

/** The ledger and the disbursement saga: posting path, commands, reads, resolvers. */
export const LEDGER_PROVIDERS = [
  FinanceUnitOfWork,
  LedgerPosting,
  LedgerRepository,
  LedgerCommands,
  DisbursementRepository,
  Disbursements,
  LedgerRootResolver,
  BranchFinanceResolver,
  // financeAuditLog (libs/audit): the audit trail's field, as every service has it
  auditLogResolver('finance'),
];
