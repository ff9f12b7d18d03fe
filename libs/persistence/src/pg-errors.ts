import { QueryFailedError } from 'typeorm';

/**
 * The PostgreSQL error codes (SQLSTATE) the platform acts on — the one place they are spelled. See
 * https://www.postgresql.org/docs/current/errcodes-appendix.html.
 */
export const PG_ERROR = Object.freeze({
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  CHECK_VIOLATION: '23514',
  EXCLUSION_VIOLATION: '23P01',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  DUPLICATE_DATABASE: '42P04',
});

export interface PgErrorInfo {
  code?: string;
  constraint?: string;
}

/** SQLSTATE and constraint of a failed statement (TypeORM's QueryFailedError or the driver's own error). */
export function pgError(error: unknown): PgErrorInfo | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const driver =
    error instanceof QueryFailedError
      ? (error as QueryFailedError & { driverError?: PgErrorInfo }).driverError
      : (error as PgErrorInfo);
  if (!driver || typeof driver.code !== 'string') return undefined;
  return { code: driver.code, constraint: driver.constraint };
}

/** A unique violation, optionally of one named constraint (index). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const info = pgError(error);
  return info?.code === PG_ERROR.UNIQUE_VIOLATION && (!constraint || info.constraint === constraint);
}

/** A transaction PostgreSQL aborted only because another one raced it: trying again may well succeed. */
export function isRetryableTransactionFailure(error: unknown): boolean {
  const code = pgError(error)?.code;
  return code === PG_ERROR.SERIALIZATION_FAILURE || code === PG_ERROR.DEADLOCK_DETECTED;
}

/**
 * A check violation, optionally of one named constraint — a CHECK, or a rule a trigger raises under that name
 * (finance's ledger: `journal_entry_balanced`, `fund_balance_not_negative`…).
 */
export function isCheckViolation(error: unknown, constraint?: string): boolean {
  const info = pgError(error);
  return info?.code === PG_ERROR.CHECK_VIOLATION && (!constraint || info.constraint === constraint);
}
