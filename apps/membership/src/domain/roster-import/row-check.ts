import { admitMember, checkAdmission, type AdmitMemberInput, type Member } from '../member';
import type { Branch } from '../structure';
import type { UnionGroup } from '../union-group';
import { categoryCode, genderCode, isoDateText, staffNumberKey, type RosterRow } from './cells';
import type { ColumnLayout, RosterField } from './columns';
import { fieldOf, rowProblem, type RowProblem } from './wording';

/*
 * A row, checked on its own: its cells read, its branch (and 工会小组) found within the importer's reach, and the
 * member it describes judged by member.ts's own rules (`checkAdmission`, every rule at once) — or every problem
 * it has.
 */

/** The branches an import may name, by code and by name. */
export class BranchDirectory {
  private readonly byCode = new Map<string, Branch>();
  private readonly byName = new Map<string, Branch[]>();

  constructor(branches: readonly Branch[]) {
    for (const branch of branches) {
      this.byCode.set(branch.code.toUpperCase(), branch);
      const name = branch.name.trim();
      this.byName.set(name, [...(this.byName.get(name) ?? []), branch]);
    }
  }

  /** By code first, then by full name; `ambiguous` when several branches carry the name. */
  find(text: string): Branch | 'ambiguous' | undefined {
    const value = text.trim();
    const byCode = this.byCode.get(value.toUpperCase());
    if (byCode) return byCode;
    const named = this.byName.get(value);
    if (!named) return undefined;
    return named.length === 1 ? named[0] : 'ambiguous';
  }

  get(id: string): Branch | undefined {
    return [...this.byCode.values()].find((b) => b.id === id);
  }
}

/** The active union groups (工会小组) of every branch, by name (compared ignoring case and spacing). */
export class GroupDirectory {
  private readonly byBranch = new Map<string, Map<string, UnionGroup>>();

  constructor(groups: readonly UnionGroup[]) {
    for (const group of groups) {
      if (group.status !== 'ACTIVE') continue;
      const named = this.byBranch.get(group.branchId) ?? new Map<string, UnionGroup>();
      named.set(groupKey(group.name), group);
      this.byBranch.set(group.branchId, named);
    }
  }

  find(branchId: string, name: string): UnionGroup | undefined {
    return this.byBranch.get(branchId)?.get(groupKey(name));
  }
}

const groupKey = (name: string) => name.replace(/\s+/g, '').toLowerCase();

export interface RowContext {
  columns: ColumnLayout;
  branches: BranchDirectory;
  /** the branches' union groups (the 工会小组 column); none known: every named group is unknown */
  groups?: GroupDirectory;
  /** whether the importer may import members into (and change members of) this branch */
  mayImportInto(branchId: string): boolean;
  today: string;
}

export type CheckedRow =
  | {
      ok: true;
      row: number;
      staffNumber: string;
      /** the row as a new member would be (ids still to be given) */
      member: Member;
      branch: Branch;
      /** the file's 工会小组: a group of the branch, null for none; undefined when the file has no such column */
      group?: UnionGroup | null;
      /** 入会 of the person the row describes (member.ts's admitMember, with the ids it is to have) */
      admit(ids: { id: string; memberNumber: string }): ReturnType<typeof admitMember>;
    }
  | { ok: false; row: number; staffNumber?: string; problems: RowProblem[] };

/** The placeholder branch a row is checked against when its own cannot be found (to check the other cells). */
const SOME_BRANCH: Branch = {
  id: '00000000-0000-7000-8000-000000000000',
  campusId: '00000000-0000-7000-8000-000000000000',
  code: 'UNKNOWN',
  name: '',
  kind: 'COLLEGE',
  staffHeadcount: 0,
  status: 'ACTIVE',
};

const PLACEHOLDER_IDS = { id: SOME_BRANCH.id, memberNumber: '' };

/**
 * Checks one row: the cells are read (男 → MALE, 专任教师 → TEACHER, 1980/3/8 → 1980-03-08), the branch is
 * found and must be within the importer's reach, and the member's own rules (`checkAdmission`) decide the rest.
 * Returns the member the row describes, or every problem it has — the file's (an empty or oversized cell, an
 * unknown branch) and every rule of member.ts it breaks, at once.
 */
export function checkRow(row: RosterRow, context: RowContext): CheckedRow {
  const { columns } = context;
  const problems: RowProblem[] = [];
  const problem = (
    field: RosterField | null,
    code: string,
    detail?: Record<string, unknown>,
    text?: string,
  ) => problems.push(rowProblem(row.row, field, code, columns, detail, text));
  const cell = (field: RosterField) => (row.oversized?.[field] !== undefined ? '' : (row.cells[field] ?? ''));

  if (row.malformed) {
    // its cells may be shifted: checking them would only report problems that are not there
    problem(null, 'MALFORMED_ROW');
    const staffNumber = staffNumberKey(cell('staffNumber')) || undefined;
    return { ok: false, row: row.row, staffNumber, problems: problems.map((p) => ({ ...p, staffNumber })) };
  }

  /** fields whose cell is already a problem of the file (too long, empty): the member's rules add nothing */
  const reported = new Set<string>();
  for (const [field, length] of Object.entries(row.oversized ?? {})) {
    problem(field as RosterField, 'CELL_TOO_LARGE', { length });
    reported.add(field);
  }

  const input: AdmitMemberInput = {
    staffNumber: cell('staffNumber'),
    name: cell('name'),
    gender: genderCode(cell('gender')),
    category: categoryCode(cell('category')),
    birthDate: isoDateText(cell('birthDate')) || null,
    joinedOn: isoDateText(cell('joinedOn')) || null,
    phone: cell('phone') || null,
    email: cell('email') || null,
    title: cell('title') || null,
  };
  for (const field of ['staffNumber', 'gender', 'category'] as const) {
    if (input[field] || reported.has(field)) continue;
    problem(field, 'REQUIRED');
    reported.add(field);
  }

  // the branch: by code (分工会代码) when the file has that column, else by code or name (所属分工会)
  const branchField: RosterField = columns.has('branchCode') && cell('branchCode') ? 'branchCode' : 'branch';
  const branchText = cell(branchField);
  let branch: Branch | undefined;
  if (!branchText) {
    if (row.oversized?.[branchField] === undefined) problem(branchField, 'REQUIRED');
  } else {
    const found = context.branches.find(branchText);
    if (found === 'ambiguous') problem(branchField, 'AMBIGUOUS_BRANCH', { value: branchText });
    else if (!found) problem(branchField, 'UNKNOWN_BRANCH', { value: branchText });
    else if (!context.mayImportInto(found.id)) problem(branchField, 'FORBIDDEN', { value: branchText });
    else branch = found;
  }

  // the union group: by name among the branch's active groups (checked once the branch is known)
  let group: UnionGroup | null | undefined;
  if (columns.has('group')) {
    const name = cell('group');
    group = null;
    if (name && branch) {
      group = context.groups?.find(branch.id, name) ?? null;
      if (!group) problem('group', 'UNKNOWN_GROUP', { value: name });
    }
  }

  // member.ts's rules, every one at once; a row whose branch is not known is checked against a placeholder
  const admission = checkAdmission(PLACEHOLDER_IDS, branch ?? SOME_BRANCH, input, context.today);
  for (const error of admission.ok ? [] : admission.problems) {
    if (error.reason === 'BRANCH_NOT_ACTIVE') {
      problem(branchField, 'BRANCH_NOT_ACTIVE', { value: branchText });
      branch = undefined;
      continue;
    }
    const field = fieldOf(error);
    if (field && reported.has(field)) continue;
    // IMPLAUSIBLE_BIRTH_DATE is the birth date's problem, JOINED_IN_FUTURE the joining date's
    problem(field ?? null, error.reason, {}, error.message);
  }
  const member = admission.ok ? admission.member : undefined;
  const staffNumber = member?.staffNumber ?? (staffNumberKey(cell('staffNumber')) || undefined);
  if (problems.length > 0 || !member || !branch) {
    // reported left to right, as the columns stand in the file
    const position = (p: RowProblem) => (p.column === null ? -1 : columns.positionOf(p.column));
    problems.sort((a, b) => position(a) - position(b));
    return { ok: false, row: row.row, staffNumber, problems: problems.map((p) => ({ ...p, staffNumber })) };
  }
  const inBranch = branch;
  const joinsGroup = group ?? undefined;
  return {
    ok: true,
    row: row.row,
    staffNumber: member.staffNumber,
    member: { ...member, groupId: joinsGroup?.id },
    branch,
    group,
    admit: (ids) => {
      // straight into the row's group: an active group of the member's own branch (found just so above)
      const admitted = admitMember(ids, inBranch, input, context.today);
      return { ...admitted, member: { ...admitted.member, groupId: joinsGroup?.id } };
    },
  };
}

/** The problem of every row whose staff number appears in several rows of the file. */
export function duplicateProblem(
  row: number,
  staffNumber: string,
  rows: readonly number[],
  columns: ColumnLayout,
): RowProblem {
  return {
    ...rowProblem(row, 'staffNumber', 'DUPLICATE_STAFF_NUMBER', columns, {
      value: staffNumber,
      rows: rows.join('、'),
    }),
    staffNumber,
  };
}
