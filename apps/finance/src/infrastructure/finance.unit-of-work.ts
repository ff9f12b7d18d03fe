import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EncodedEvent } from '@unionfed/contracts';
import { AuditTrail, auditSwitchedOff, type AuditEntry, type RequestActing } from '@unionfed/audit';
import { Outbox } from '@unionfed/messaging';
import { UnitOfWork, type ConflictMap, type Work } from '@unionfed/persistence';

/** What each unique constraint of finance's schema means when a racing command violates it. */
export const FINANCE_CONFLICTS: ConflictMap = {
  journal_entry_idempotency_key: {
    reason: 'POSTING_IN_PROGRESS',
    message: 'the same posting is being made at this moment; ask again for its entry',
    field: 'idempotencyKey',
  },
  journal_entry_reversed_once: {
    reason: 'ENTRY_ALREADY_REVERSED',
    message: 'the entry has already been reversed',
    field: 'entryId',
  },
  fiscal_year_key: {
    reason: 'FISCAL_YEAR_EXISTS',
    message: 'the fiscal year is already open',
    field: 'year',
  },
  ledger_account_pkey: { reason: 'ACCOUNT_CODE_TAKEN', message: 'the account code is taken', field: 'code' },
  ledger_fund_pkey: { reason: 'FUND_CODE_TAKEN', message: 'the fund code is taken', field: 'code' },
};

export type FinanceWork = Work<EncodedEvent, AuditEntry, RequestActing>;

/** The audit trail of finance's changes (the disbursement consumer writes through the same one). */
export function financeAuditTrail(): AuditTrail {
  return new AuditTrail({
    enabled: !auditSwitchedOff('finance', (message) => new Logger('Audit').warn(message)),
  });
}

/** Finance's unit of work: its outbox, its audit trail, its constraints. Every command runs in it. */
@Injectable()
export class FinanceUnitOfWork extends UnitOfWork<EncodedEvent, AuditEntry> {
  constructor(dataSource: DataSource, outbox: Outbox) {
    super(dataSource, { outbox, conflicts: FINANCE_CONFLICTS, audit: financeAuditTrail() });
  }
}
