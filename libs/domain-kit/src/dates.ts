import { InvalidInputError } from './errors';

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses a calendar date `YYYY-MM-DD` (no time zone); rejects impossible dates such as 2023-02-30. */
export function parseIsoDate(value: string, field: string): string {
  const match = ISO_DATE.exec(value.trim());
  if (match) {
    const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d)
      return match[0];
  }
  throw new InvalidInputError(`${field} must be a date YYYY-MM-DD, got "${value}"`, 'INVALID_DATE', {
    field,
  });
}

/** made once: creating an Intl.DateTimeFormat costs far more than formatting with one */
const SHANGHAI_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' });

/** Today's date in the federation's time zone (Asia/Shanghai), as YYYY-MM-DD. */
export function todayInShanghai(now: Date = new Date()): string {
  return SHANGHAI_DATE.format(now);
}
