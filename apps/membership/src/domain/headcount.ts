import { ConflictError, InvalidInputError, todayInShanghai } from '@unionfed/domain-kit';
import type { Branch } from './structure';

/**
 * 教职工总数: the staff of a branch's unit (members or not) counted for a year — the join rate's denominator.
 * A count holds from its year on, until a later year's count: 2026's 136 is also 2027's until 2027 is counted,
 * and counting 2026 leaves 2025 as it was.
 */
export interface StaffHeadcount {
  branchId: string;
  year: number;
  staffHeadcount: number;
}

/** The first year a headcount may be recorded for. */
export const FIRST_HEADCOUNT_YEAR = 1950;
export const MAX_STAFF_HEADCOUNT = 100_000;

const yearOf = (day: string) => Number(day.slice(0, 4));

/** A staff headcount as the domain accepts it: a whole number from 0 to MAX_STAFF_HEADCOUNT. */
export function requireHeadcount(value: number, field = 'staffHeadcount'): number {
  if (!Number.isInteger(value) || value < 0 || value > MAX_STAFF_HEADCOUNT) {
    throw new InvalidInputError(
      `${field} must be a whole number from 0 to ${MAX_STAFF_HEADCOUNT}`,
      'INVALID_HEADCOUNT',
      { field },
    );
  }
  return value;
}

/**
 * Records a branch's staff headcount for a year. Only an active branch is counted, and only for a year that has
 * begun (Asia/Shanghai): a count is of staff who are there, so the count in effect today is always the latest
 * recorded — and a new year starts with the last year's until it is counted.
 */
export function setStaffHeadcount(
  branch: Branch,
  input: { year: number; staffHeadcount: number },
  today: string = todayInShanghai(),
): StaffHeadcount {
  if (branch.status !== 'ACTIVE') {
    throw new ConflictError(
      `branch ${branch.code} is ${branch.status.toLowerCase()}: its headcount is no longer counted`,
      'BRANCH_NOT_ACTIVE',
      { branchId: branch.id },
    );
  }
  const thisYear = yearOf(today);
  if (!Number.isInteger(input.year) || input.year < FIRST_HEADCOUNT_YEAR || input.year > thisYear) {
    throw new InvalidInputError(
      `year must be a year from ${FIRST_HEADCOUNT_YEAR} to ${thisYear} (a headcount is counted in a year that has begun)`,
      'INVALID_HEADCOUNT_YEAR',
      { field: 'year' },
    );
  }
  return { branchId: branch.id, year: input.year, staffHeadcount: requireHeadcount(input.staffHeadcount) };
}

/** The count a branch opens with (openBranch's staffHeadcount): this year's, when there is one (0: not known). */
export function openingHeadcount(
  branch: Branch,
  today: string = todayInShanghai(),
): StaffHeadcount | undefined {
  return branch.staffHeadcount > 0
    ? { branchId: branch.id, year: yearOf(today), staffHeadcount: branch.staffHeadcount }
    : undefined;
}

/** The headcount in effect in `year`: that year's count, else the latest earlier one; undefined before any. */
export function headcountInYear(
  counts: readonly { year: number; staffHeadcount: number }[],
  year: number,
): number | undefined {
  let found: { year: number; staffHeadcount: number } | undefined;
  for (const count of counts) {
    if (count.year <= year && (!found || count.year > found.year)) found = count;
  }
  return found?.staffHeadcount;
}

/**
 * 分工会合并's headcounts: from the merge's year on, the source's staff are counted in the target. For that year
 * and every later year either branch has a count for, the target's count becomes the sum of both in effect then,
 * and the source's 0; earlier years stay as they were counted.
 */
export function mergeHeadcounts(
  source: readonly StaffHeadcount[],
  target: readonly StaffHeadcount[],
  sourceId: string,
  targetId: string,
  effectiveOn: string,
): { source: StaffHeadcount[]; target: StaffHeadcount[]; moved: number } {
  const from = yearOf(effectiveOn);
  const years = [
    ...new Set([from, ...[...source, ...target].map((c) => c.year).filter((y) => y > from)]),
  ].sort((a, b) => a - b);
  return {
    source: years.map((year) => ({ branchId: sourceId, year, staffHeadcount: 0 })),
    target: years.map((year) => ({
      branchId: targetId,
      year,
      staffHeadcount: (headcountInYear(target, year) ?? 0) + (headcountInYear(source, year) ?? 0),
    })),
    moved: headcountInYear(source, from) ?? 0,
  };
}

/**
 * 入会率 in exact parts: the active members, the staff headcount in effect in `year`, and the percent rounded
 * half up to one decimal, computed in integers (135 of 136 → 99.3, never 99.26… or a float's 99.29999).
 * Above 100 when there are more members than the recorded headcount (the seeds' "100%以上"): the headcount is
 * out of date. Undefined while the headcount is not known (none, or 0).
 */
export interface JoinRate {
  year: number;
  members: number;
  staffHeadcount: number;
  /** the rate in tenths of a percent, rounded half up: 993 for 99.3 % */
  tenthsOfPercent: number;
  /** more members than staff counted: the headcount is stale */
  exceedsHeadcount: boolean;
}

export function joinRateOf(members: number, staffHeadcount: number, year: number): JoinRate | undefined {
  if (!Number.isSafeInteger(members) || members < 0) throw new RangeError(`members ${members}`);
  if (!Number.isSafeInteger(staffHeadcount) || staffHeadcount <= 0) return undefined;
  // round(members / headcount × 1000) half up = ⌊(2000·members + headcount) / (2·headcount)⌋, in integers
  const numerator = 2000 * members + staffHeadcount;
  const denominator = 2 * staffHeadcount;
  return {
    year,
    members,
    staffHeadcount,
    tenthsOfPercent: (numerator - (numerator % denominator)) / denominator,
    exceedsHeadcount: members > staffHeadcount,
  };
}
