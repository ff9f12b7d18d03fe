import { ConflictError, InvalidInputError } from '@unionfed/domain-kit';
import {
  headcountInYear,
  joinRateOf,
  mergeHeadcounts,
  openingHeadcount,
  setStaffHeadcount,
  type StaffHeadcount,
} from './headcount';
import { openBranch, type Branch } from './structure';

const campus = { id: 'c1', code: 'MAIN', name: '本部校区' };
const branch: Branch = openBranch('b1', campus, {
  code: 'cs',
  name: '计算机学院分工会',
  kind: 'COLLEGE',
  staffHeadcount: 120,
});
const today = '2026-11-22';
const count = (branchId: string, year: number, staffHeadcount: number): StaffHeadcount => ({
  branchId,
  year,
  staffHeadcount,
});

describe('staff headcount per year (教职工总数)', () => {
  it('counts a branch for a year that has begun', () => {
    expect(setStaffHeadcount(branch, { year: 2026, staffHeadcount: 136 }, today)).toEqual(
      count('b1', 2026, 136),
    );
    expect(setStaffHeadcount(branch, { year: 1950, staffHeadcount: 0 }, today)).toEqual(count('b1', 1950, 0));
  });

  it.each([
    [{ year: 2027, staffHeadcount: 136 }, 'INVALID_HEADCOUNT_YEAR', 'year'],
    [{ year: 1949, staffHeadcount: 136 }, 'INVALID_HEADCOUNT_YEAR', 'year'],
    [{ year: 2026.5, staffHeadcount: 136 }, 'INVALID_HEADCOUNT_YEAR', 'year'],
    [{ year: 2026, staffHeadcount: -1 }, 'INVALID_HEADCOUNT', 'staffHeadcount'],
    [{ year: 2026, staffHeadcount: 1.5 }, 'INVALID_HEADCOUNT', 'staffHeadcount'],
    [{ year: 2026, staffHeadcount: 100_001 }, 'INVALID_HEADCOUNT', 'staffHeadcount'],
  ])('refuses %p (%s, naming %s)', (input, reason, field) => {
    expect.assertions(2);
    try {
      setStaffHeadcount(branch, input, today);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error).toMatchObject({ reason, details: { field } });
    }
  });

  it('counts no branch that merged or was dissolved', () => {
    expect(() =>
      setStaffHeadcount({ ...branch, status: 'MERGED' }, { year: 2026, staffHeadcount: 1 }, today),
    ).toThrow(ConflictError);
  });

  it('holds a count from its year until a later year’s, and knows none before the first', () => {
    const counts = [count('b1', 2024, 120), count('b1', 2026, 136)];
    expect(headcountInYear(counts, 2023)).toBeUndefined();
    expect(headcountInYear(counts, 2024)).toBe(120);
    expect(headcountInYear(counts, 2025)).toBe(120);
    expect(headcountInYear(counts, 2026)).toBe(136);
    expect(headcountInYear(counts, 2030)).toBe(136);
  });

  it('opens a branch with its headcount as this year’s count, and with none when it is 0', () => {
    expect(openingHeadcount(branch, today)).toEqual(count('b1', 2026, 120));
    expect(openingHeadcount({ ...branch, staffHeadcount: 0 }, today)).toBeUndefined();
  });
});

describe('a merge’s headcounts (分工会合并)', () => {
  it('counts the source’s staff in the target from the merge’s year on, leaving earlier years as counted', () => {
    const source = [count('s', 2024, 30), count('s', 2026, 32)];
    const target = [count('t', 2025, 80)];
    const merged = mergeHeadcounts(source, target, 's', 't', '2025-07-01');
    expect(merged.moved).toBe(30); // the source's count in effect in 2025
    expect(merged.source).toEqual([count('s', 2025, 0), count('s', 2026, 0)]);
    expect(merged.target).toEqual([count('t', 2025, 110), count('t', 2026, 112)]);
    // 2024 is not rewritten: neither branch gets a 2024 row
    expect([...merged.source, ...merged.target].some((c) => c.year < 2025)).toBe(false);
  });

  it('moves nothing from a source that was never counted', () => {
    const merged = mergeHeadcounts([], [count('t', 2026, 80)], 's', 't', '2026-03-01');
    expect(merged).toEqual({ moved: 0, source: [count('s', 2026, 0)], target: [count('t', 2026, 80)] });
  });
});

describe('join rate in exact parts (入会率)', () => {
  it('rounds half up to one decimal in integers: 135 of 136 is 99.3 %', () => {
    expect(joinRateOf(135, 136, 2026)).toEqual({
      year: 2026,
      members: 135,
      staffHeadcount: 136,
      tenthsOfPercent: 993,
      exceedsHeadcount: false,
    });
  });

  it.each([
    [1, 8, 125], // 12.5 % exactly
    [1, 16, 63], // 6.25 % → 6.3 (half up, not to even)
    [1, 3, 333], // 33.33… %
    [23, 80, 288], // 28.75 % → 28.8, where (23 / 80) × 100 × 10 in floats is 287.4999…
    [2, 3, 667], // 66.66… %
    [19_999, 20_000, 1000], // 99.995 % → 100.0, though not over: exceedsHeadcount says so
    [0, 10, 0],
    [136, 136, 1000],
  ])('%i of %i is %i tenths of a percent', (members, headcount, tenths) => {
    expect(joinRateOf(members, headcount, 2026)?.tenthsOfPercent).toBe(tenths);
    expect(joinRateOf(members, headcount, 2026)?.exceedsHeadcount).toBe(false);
  });

  it('shows more members than staff counted as over 100 %, flagged (the seeds’ “100%以上”)', () => {
    expect(joinRateOf(140, 136, 2026)).toMatchObject({ tenthsOfPercent: 1029, exceedsHeadcount: true });
  });

  it('is unknown while no staff are counted', () => {
    expect(joinRateOf(3, 0, 2026)).toBeUndefined();
  });
});
