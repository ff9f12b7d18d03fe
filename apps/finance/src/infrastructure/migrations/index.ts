import { AUDIT_MIGRATIONS } from '@unionfed/audit';
import { DIRECTORY_MIGRATIONS } from '@unionfed/directory';
import { Ledger1765000000000 } from './1765000000000-ledger';

export const FINANCE_MIGRATIONS = [
  ...DIRECTORY_MIGRATIONS,
  // the audit trail (libs/audit) every service keeps, read through its audit field
  ...AUDIT_MIGRATIONS,
  Ledger1765000000000,
];
