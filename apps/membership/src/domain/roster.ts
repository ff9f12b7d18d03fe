import { InvalidInputError, parseIsoDate } from '@unionfed/domain-kit';
import { GENDERS, MEMBER_CATEGORIES, MEMBER_STATUSES } from './member';

/** Age bands of the work reports' composition tables (年龄结构). */
export const AGE_BANDS = ['UNDER_35', 'FROM_35_TO_44', 'FROM_45_TO_54', 'FROM_55'] as const;
export type AgeBand = (typeof AGE_BANDS)[number];

const BAND_YEARS: Record<AgeBand, [number, number | undefined]> = {
  UNDER_35: [0, 35],
  FROM_35_TO_44: [35, 45],
  FROM_45_TO_54: [45, 55],
  FROM_55: [55, undefined],
};

export interface RosterInput {
  branchId?: string | null;
  /** 工会小组 */
  groupId?: string | null;
  status?: string | null;
  category?: string | null;
  gender?: string | null;
  ageBand?: string | null;
  joinedFrom?: string | null;
  joinedTo?: string | null;
  birthMonth?: number | null;
  /** part of the name (张 finds 张三) or the pinyin initials of its start (zs finds 张三) */
  search?: string | null;
}

/** The longest search term (a name is at most 50 characters). */
export const MAX_SEARCH_LENGTH = 50;

/** What the roster query filters on, checked and normalised; ages become a range of birth dates. */
export interface RosterCriteria {
  branchId?: string;
  groupId?: string;
  status?: string;
  category?: string;
  gender?: string;
  /** born after this date (exclusive) */
  bornAfter?: string;
  /** born on or before this date */
  bornOnOrBefore?: string;
  joinedFrom?: string;
  joinedTo?: string;
  birthMonth?: number;
  /** a search term, trimmed; never blank */
  search?: string;
}

function yearsBefore(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const shifted = new Date(Date.UTC(y - years, m - 1, d));
  // 29 February of a leap year, shifted into a common year, is 28 February
  if (shifted.getUTCMonth() !== m - 1) shifted.setUTCDate(0);
  return shifted.toISOString().slice(0, 10);
}

function oneOf(
  values: readonly string[],
  value: string | null | undefined,
  field: string,
): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (!values.includes(value))
    throw new InvalidInputError(
      `${field} must be one of ${values.join(', ')}`,
      `INVALID_${field.toUpperCase()}`,
      { field },
    );
  return value;
}

/**
 * Checks a roster filter: enum values, dates, months, the search term (a blank one searches nothing); an age band
 * is turned into birth dates as of `today`.
 */
export function rosterCriteria(input: RosterInput, today: string): RosterCriteria {
  const criteria: RosterCriteria = {
    branchId: input.branchId ?? undefined,
    groupId: input.groupId ?? undefined,
    status: oneOf(MEMBER_STATUSES, input.status, 'status'),
    category: oneOf(MEMBER_CATEGORIES, input.category, 'category'),
    gender: oneOf(GENDERS, input.gender, 'gender'),
    joinedFrom: input.joinedFrom ? parseIsoDate(input.joinedFrom, 'joinedFrom') : undefined,
    joinedTo: input.joinedTo ? parseIsoDate(input.joinedTo, 'joinedTo') : undefined,
  };
  if (criteria.joinedFrom && criteria.joinedTo && criteria.joinedFrom > criteria.joinedTo) {
    throw new InvalidInputError('joinedFrom lies after joinedTo', 'INVALID_RANGE', { field: 'joinedFrom' });
  }
  if (input.birthMonth !== null && input.birthMonth !== undefined) {
    if (!Number.isInteger(input.birthMonth) || input.birthMonth < 1 || input.birthMonth > 12) {
      throw new InvalidInputError('birthMonth must be 1–12', 'INVALID_MONTH', { field: 'birthMonth' });
    }
    criteria.birthMonth = input.birthMonth;
  }
  const search = input.search?.trim();
  if (search) {
    if ([...search].length > MAX_SEARCH_LENGTH) {
      throw new InvalidInputError(`search is longer than ${MAX_SEARCH_LENGTH} characters`, 'INVALID_SEARCH', {
        field: 'search',
      });
    }
    criteria.search = search;
  }
  const band = oneOf(AGE_BANDS, input.ageBand, 'ageBand') as AgeBand | undefined;
  if (band) {
    const [from, to] = BAND_YEARS[band];
    criteria.bornOnOrBefore = yearsBefore(today, from);
    if (to !== undefined) criteria.bornAfter = yearsBefore(today, to);
  }
  return criteria;
}

/** The age band of someone born on `birthDate`, on `today`. */
export function ageBandOf(birthDate: string, today: string): AgeBand {
  return AGE_BANDS.find((band) => {
    const c = rosterCriteria({ ageBand: band }, today);
    return birthDate <= c.bornOnOrBefore! && (!c.bornAfter || birthDate > c.bornAfter);
  })!;
}

/** 生日慰问: how many days ahead the birthday list looks — a day up to a year (366 days, leap years). */
export function birthdayWindow(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    throw new InvalidInputError('days must be 1–366', 'INVALID_DAYS', { field: 'days' });
  }
  return days;
}
