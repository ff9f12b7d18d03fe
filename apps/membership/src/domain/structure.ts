import { InvalidInputError } from '@unionfed/domain-kit';
import { requireHeadcount } from './headcount';

export const BRANCH_KINDS = ['COLLEGE', 'ADMINISTRATION', 'AFFILIATED', 'RETIREES'] as const;
export type BranchKind = (typeof BRANCH_KINDS)[number];
export const BRANCH_STATUSES = ['ACTIVE', 'MERGED', 'DISSOLVED'] as const;
export type BranchStatus = (typeof BRANCH_STATUSES)[number];

/** 校区 */
export interface Campus {
  id: string;
  code: string;
  name: string;
}

/** 分工会: a branch union in a college or unit. */
export interface Branch {
  id: string;
  campusId: string;
  code: string;
  name: string;
  kind: BranchKind;
  /**
   * 教职工总数 in effect today — staff of the unit, members or not, the denominator of the join rate (入会率): the
   * latest year's count (headcount.ts; counted per year), 0 while none is known
   */
  staffHeadcount: number;
  status: BranchStatus;
  /** MERGED: the branch it merged into */
  mergedIntoId?: string | null;
  /** MERGED or DISSOLVED: the day it closed (YYYY-MM-DD) */
  closedOn?: string | null;
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$/;

function requireName(value: string, field: string, max: number): string {
  const name = value.trim();
  if (!name) throw new InvalidInputError(`${field} must not be empty`, 'NAME_REQUIRED', { field });
  if ([...name].length > max)
    throw new InvalidInputError(`${field} is longer than ${max} characters`, 'NAME_TOO_LONG', { field });
  return name;
}

function requireCode(value: string): string {
  const code = value.trim().toUpperCase();
  if (!CODE.test(code)) {
    throw new InvalidInputError('code must be 2–32 letters, digits, "-" or "_"', 'INVALID_CODE', {
      field: 'code',
    });
  }
  return code;
}

export function openCampus(id: string, input: { code: string; name: string }): Campus {
  return { id, code: requireCode(input.code), name: requireName(input.name, 'name', 60) };
}

export function openBranch(
  id: string,
  campus: Campus,
  input: { code: string; name: string; kind: string; staffHeadcount: number },
): Branch {
  if (!(BRANCH_KINDS as readonly string[]).includes(input.kind)) {
    throw new InvalidInputError(`kind must be one of ${BRANCH_KINDS.join(', ')}`, 'INVALID_BRANCH_KIND', {
      field: 'kind',
    });
  }
  requireHeadcount(input.staffHeadcount);
  return {
    id,
    campusId: campus.id,
    code: requireCode(input.code),
    name: requireName(input.name, 'name', 60),
    kind: input.kind as BranchKind,
    staffHeadcount: input.staffHeadcount,
    status: 'ACTIVE',
  };
}

/**
 * 入会率 = active members ÷ staff headcount rounded to 4 places; undefined while the headcount is unknown (0). The
 * deprecated `joinRate` field's figure: `joinRateOf` (headcount.ts) gives the exact parts and the percent.
 */
export function joinRate(activeMembers: number, staffHeadcount: number): number | undefined {
  if (staffHeadcount <= 0) return undefined;
  return Math.round((activeMembers / staffHeadcount) * 10_000) / 10_000;
}

export { requireName };
