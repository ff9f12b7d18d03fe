import { DomainError, InvalidInputError } from '@unionfed/domain-kit';
import {
  admitMember,
  transfer,
  type AdmitMemberInput,
  type Member,
  type MemberCategory,
  type MemberHistoryEntry,
} from './member';
import type { Branch } from './structure';
import { changeGroup, type UnionGroup } from './union-group';

/**
 * 花名册导入 — the rules of a roster file: which columns it has (Chinese or English headers, or an explicit
 * mapping), how a cell's text becomes a member's field, and what a row means for the member it names (admit,
 * update, transfer, or nothing). Every rule about a member's data itself is member.ts's: a row is checked by
 * running it through `admitMember`, and a branch change through `transfer`. No I/O here.
 */

export const ROSTER_FIELDS = [
  'staffNumber',
  'name',
  'gender',
  'birthDate',
  'branch',
  'branchCode',
  'group',
  'category',
  'joinedOn',
  'phone',
  'email',
  'title',
] as const;
export type RosterField = (typeof ROSTER_FIELDS)[number];

/** How a field is called in Chinese and English (messages, export headers), and the headers that mean it. */
export const FIELD_LABELS: Record<RosterField, { zh: string; en: string; headers: string[] }> = {
  staffNumber: {
    zh: '工号',
    en: 'staff number',
    headers: ['工号', '职工号', '教职工号', 'staffNumber', 'staffNo'],
  },
  name: { zh: '姓名', en: 'name', headers: ['姓名', 'name', 'fullName'] },
  gender: { zh: '性别', en: 'gender', headers: ['性别', 'gender', 'sex'] },
  birthDate: {
    zh: '出生日期',
    en: 'birth date',
    headers: ['出生日期', '出生年月日', 'birthDate', 'dateOfBirth'],
  },
  branch: { zh: '所属分工会', en: 'branch', headers: ['所属分工会', '分工会', 'branch', 'branchName'] },
  branchCode: { zh: '分工会代码', en: 'branch code', headers: ['分工会代码', '分工会编码', 'branchCode'] },
  group: { zh: '工会小组', en: 'union group', headers: ['工会小组', '小组', 'group', 'unionGroup'] },
  category: { zh: '人员类别', en: 'category', headers: ['人员类别', '类别', 'category'] },
  joinedOn: { zh: '入会日期', en: 'joined on', headers: ['入会日期', '入会时间', 'joinedOn', 'joinDate'] },
  phone: { zh: '手机', en: 'phone', headers: ['手机', '手机号', '手机号码', '联系电话', 'phone', 'mobile'] },
  email: { zh: '邮箱', en: 'email', headers: ['邮箱', '电子邮箱', '电子邮件', 'email'] },
  title: { zh: '职称', en: 'title', headers: ['职称', 'title'] },
};

/** Columns an export writes that an import reads past: the record's own data, not the file's to change. */
const KNOWN_READ_ONLY_HEADERS = ['会员编号', 'memberNumber', '状态', 'status'];

/** The columns a roster must have (the branch by name or by code). */
const REQUIRED: RosterField[] = ['staffNumber', 'name', 'gender', 'category'];

/** A cell longer than this is refused (names are ≤ 50 characters; nothing in a roster comes near). */
export const MAX_CELL_CHARS = 1024;

/** Rows stored per import: more than this is a different kind of job. */
export const MAX_ROWS = 200_000;

/** Where a header's text is compared: full-width forms folded, case, spaces, "*", "_", "-" and "(…)" ignored. */
export function headerKey(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/^\uFEFF/, '')
    .replace(/\(.*?\)|\[.*?\]/g, '')
    .replace(/[\s*_\-:：]/g, '')
    .toLowerCase();
}

const FIELD_BY_HEADER = new Map<string, RosterField>(
  ROSTER_FIELDS.flatMap((field) => FIELD_LABELS[field].headers.map((h) => [headerKey(h), field] as const)),
);
const READ_ONLY = new Set(KNOWN_READ_ONLY_HEADERS.map(headerKey));

// ------------------------------------------------------------------------------------------------------------
// problems, in Chinese and English

/** One problem of one row (and column), as the import reports it. */
export interface RowProblem {
  /** the row as a spreadsheet shows it (the header is a row too) */
  row: number;
  /** the column's header as the file has it; null when the problem is the row's as a whole */
  column: string | null;
  code: string;
  message: string;
  messageEn: string;
  staffNumber?: string;
}

type Words = { zh: string; en: string };

/**
 * The words of every problem code for a field (`f`: its labels). Codes of member.ts's rules keep their names
 * (INVALID_DATE, NAME_REQUIRED …); codes of the file (UNKNOWN_BRANCH, DUPLICATE_STAFF_NUMBER …) are this file's.
 */
const PROBLEM_WORDS: Record<string, (f: Words, detail: Record<string, unknown>) => Words> = {
  REQUIRED: (f) => ({ zh: `${f.zh}不能为空`, en: `${f.en} must not be empty` }),
  INVALID_DATE: (f) => ({ zh: `${f.zh}格式应为 YYYY-MM-DD`, en: `${f.en} must be YYYY-MM-DD` }),
  NAME_REQUIRED: (f) => ({ zh: `${f.zh}不能为空`, en: `${f.en} must not be empty` }),
  NAME_TOO_LONG: (f) => ({ zh: `${f.zh}不能超过 50 个字`, en: `${f.en} must be at most 50 characters` }),
  INVALID_STAFF_NUMBER: (f) => ({
    zh: `${f.zh}只能由字母、数字和“-”组成，最长 32 位`,
    en: `${f.en} must be 1–32 letters, digits or "-"`,
  }),
  INVALID_GENDER: (f) => ({ zh: `${f.zh}应为“男”或“女”`, en: `${f.en} must be 男/女 or MALE/FEMALE` }),
  INVALID_CATEGORY: (f) => ({
    zh: `${f.zh}应为 专任教师、管理、工勤、合同制 之一`,
    en: `${f.en} must be one of 专任教师/管理/工勤/合同制 or TEACHER/MANAGEMENT/SUPPORT/CONTRACT`,
  }),
  JOINED_IN_FUTURE: (f) => ({ zh: `${f.zh}不能晚于今天`, en: `${f.en} must not lie in the future` }),
  IMPLAUSIBLE_BIRTH_DATE: (f) => ({
    zh: `${f.zh}不合理：入会时应年满 16 周岁且不超过 100 岁`,
    en: `${f.en} makes the member younger than 16 or older than 100 on joining`,
  }),
  INVALID_PHONE: (f) => ({ zh: `${f.zh}号码格式不正确`, en: `${f.en} is not a phone number` }),
  INVALID_EMAIL: (f) => ({ zh: `${f.zh}格式不正确`, en: `${f.en} is not an e-mail address` }),
  UNKNOWN_BRANCH: (f, d) => ({
    zh: `找不到${f.zh}“${d.value}”（请填写分工会代码或全称）`,
    en: `there is no branch "${d.value}" (give the branch's code or full name)`,
  }),
  AMBIGUOUS_BRANCH: (f, d) => ({
    zh: `有多个分工会名为“${d.value}”，请改填分工会代码`,
    en: `several branches are named "${d.value}": give the branch's code`,
  }),
  BRANCH_NOT_ACTIVE: (f, d) => ({
    zh: `分工会“${d.value}”已合并或撤销，不再接收会员`,
    en: `branch "${d.value}" is merged or dissolved and admits no members`,
  }),
  FORBIDDEN: (f, d) => ({
    zh: `您无权导入分工会“${d.value}”的会员`,
    en: `you may not import members of branch "${d.value}"`,
  }),
  MEMBER_OUT_OF_REACH: () => ({
    zh: '该工号属于其他分工会的会员，您无权修改',
    en: 'this staff number belongs to a member of a branch you may not change',
  }),
  DUPLICATE_STAFF_NUMBER: (f, d) => ({
    zh: `${f.zh} ${d.value} 在文件中重复出现（第 ${d.rows} 行），请只保留一行`,
    en: `${f.en} ${d.value} appears more than once in the file (rows ${d.rows}); keep one`,
  }),
  MALFORMED_ROW: () => ({
    zh: '本行的引号不符合 CSV 格式（例如未加引号的 =HYPERLINK("…")），无法确定各列的内容，请修正后重新导入该行',
    en: 'the row\'s quotes are not valid CSV (e.g. an unquoted =HYPERLINK("…")), so its columns cannot be told apart; fix the row and import it again',
  }),
  CELL_TOO_LARGE: (f, d) => ({
    zh: `${f.zh}单元格过长（${d.length} 个字符，最多 ${MAX_CELL_CHARS} 个）`,
    en: `${f.en} cell is too long (${d.length} characters, at most ${MAX_CELL_CHARS})`,
  }),
  UNKNOWN_GROUP: (f, d) => ({
    zh: `该分工会没有名为“${d.value}”的工会小组`,
    en: `the branch has no union group named "${d.value}"`,
  }),
  GROUP_LEADER_CANNOT_LEAVE: () => ({
    zh: '该会员是所在工会小组的组长，请先移交组长职务再调整小组',
    en: 'the member leads their union group: hand the leadership over before moving them',
  }),
  MEMBER_STATUS_CONFLICT: (f, d) =>
    f.en === FIELD_LABELS.group.en
      ? {
          zh: `会员状态为${STATUS_ZH[String(d.status)] ?? d.status}，不能调整工会小组`,
          en: `the member is ${String(d.status).toLowerCase()} and cannot change union group`,
        }
      : {
          zh: `会员状态为${STATUS_ZH[String(d.status)] ?? d.status}，不能转到其他分工会`,
          en: `the member is ${String(d.status).toLowerCase()} and cannot move to another branch`,
        },
};

const STATUS_ZH: Record<string, string> = {
  ACTIVE: '在会',
  RETIRED: '退休',
  TRANSFERRED_OUT: '已转出',
  WITHDRAWN: '已退会',
  DECEASED: '已去世',
};

/** A problem of a row, in both languages. */
export function rowProblem(
  row: number,
  field: RosterField | null,
  code: string,
  columns: ColumnLayout,
  detail: Record<string, unknown> = {},
  fallback?: string,
): RowProblem {
  const labels = field ? FIELD_LABELS[field] : { zh: '本行', en: 'the row' };
  const words = PROBLEM_WORDS[code]?.(labels, detail) ?? {
    zh: `${labels.zh}不符合规则：${fallback ?? code}`,
    en: `${labels.en}: ${fallback ?? code}`,
  };
  return {
    row,
    column: field ? (columns.headerOf(field) ?? FIELD_LABELS[field].zh) : null,
    code,
    message: words.zh,
    messageEn: words.en,
  };
}

/** A problem with the file as a whole: nothing of it is imported. */
export class RosterFileError extends InvalidInputError {
  constructor(
    reason: string,
    /** 中文 */
    readonly messageZh: string,
    messageEn: string,
    details: Record<string, unknown> = {},
  ) {
    super(messageEn, reason, details);
  }
}

// ------------------------------------------------------------------------------------------------------------
// columns

/** Where each field is in the file, under which header, and which headers mean nothing to the import. */
export class ColumnLayout {
  private constructor(
    readonly indexOf: ReadonlyMap<RosterField, number>,
    private readonly headers: readonly string[],
    /** headers the import does not use (reported on the job) */
    readonly ignored: readonly string[],
  ) {}

  headerOf(field: RosterField): string | undefined {
    const index = this.indexOf.get(field);
    return index === undefined ? undefined : this.headers[index].trim() || FIELD_LABELS[field].zh;
  }

  has(field: RosterField): boolean {
    return this.indexOf.has(field);
  }

  /** Where a column (by its header as reported) stands in the file; columns it lacks come last. */
  positionOf(header: string): number {
    for (const [field, index] of this.indexOf) if (this.headerOf(field) === header) return index;
    return Number.MAX_SAFE_INTEGER;
  }

  /** The layout of an export (and of the tests): every field under its Chinese header. */
  static of(fields: readonly RosterField[]): ColumnLayout {
    return new ColumnLayout(
      new Map(fields.map((field, i) => [field, i])),
      fields.map((f) => FIELD_LABELS[f].zh),
      [],
    );
  }

  /**
   * Reads a header row. `mapping` maps a header of the file to a field (by name — `staffNumber` — or by any
   * header that means it — `工号`) and wins over the built-in names; a mapping to `""` or `"ignore"` drops a
   * column. Throws a RosterFileError when a required column is missing, a column is there twice, or the mapping
   * names no field.
   */
  static read(headerCells: readonly string[], mapping: RosterMapping = {}): ColumnLayout {
    const explicit = mappedFields(mapping);
    const indexOf = new Map<RosterField, number>();
    const ignored: string[] = [];
    headerCells.forEach((cell, index) => {
      const key = headerKey(cell);
      if (!key) return;
      const field = explicit.has(key) ? explicit.get(key) : FIELD_BY_HEADER.get(key);
      if (!field) {
        if (!READ_ONLY.has(key)) ignored.push(cell.trim());
        return;
      }
      if (indexOf.has(field)) {
        throw new RosterFileError(
          'DUPLICATE_COLUMN',
          `“${FIELD_LABELS[field].zh}”列出现了两次（“${headerCells[indexOf.get(field)!].trim()}”和“${cell.trim()}”）`,
          `the ${FIELD_LABELS[field].en} column appears twice ("${headerCells[indexOf.get(field)!].trim()}" and "${cell.trim()}")`,
          { field },
        );
      }
      indexOf.set(field, index);
    });
    const missing = REQUIRED.filter((field) => !indexOf.has(field));
    if (!indexOf.has('branch') && !indexOf.has('branchCode')) missing.push('branch');
    if (missing.length > 0) {
      throw new RosterFileError(
        'MISSING_COLUMN',
        `缺少必需的列：${missing.map((f) => FIELD_LABELS[f].zh).join('、')}`,
        `required columns are missing: ${missing.map((f) => FIELD_LABELS[f].en).join(', ')}`,
        { missing },
      );
    }
    return new ColumnLayout(indexOf, headerCells, ignored);
  }

  /** Whether a row looks like the header (a roster often starts with a title row or two above it). */
  static looksLikeHeader(cells: readonly string[], mapping: RosterMapping = {}): boolean {
    const mapped = new Set(Object.keys(mapping).map(headerKey));
    const known = cells.filter((c) => FIELD_BY_HEADER.has(headerKey(c)) || mapped.has(headerKey(c)));
    return known.length >= 2;
  }
}

/** An explicit column mapping: header in the file → field (`staffNumber`, or a header meaning it, `工号`). */
export type RosterMapping = Record<string, string>;

/** The mapping by header key; a target of `""` or `"ignore"` drops the column (null). */
function mappedFields(mapping: RosterMapping): Map<string, RosterField | null> {
  const fields = new Map<string, RosterField | null>();
  for (const [header, target] of Object.entries(mapping)) {
    const key = headerKey(target);
    const field =
      key === '' || key === 'ignore'
        ? null
        : (ROSTER_FIELDS as readonly string[]).includes(target)
          ? (target as RosterField)
          : FIELD_BY_HEADER.get(key);
    if (field === undefined) {
      throw new RosterFileError(
        'INVALID_MAPPING',
        `列映射中的“${target}”不是花名册字段（可用：${ROSTER_FIELDS.join(', ')}）`,
        `the mapping's "${target}" is not a roster field (one of ${ROSTER_FIELDS.join(', ')})`,
        { target },
      );
    }
    fields.set(headerKey(header), field);
  }
  return fields;
}

/** Checks a mapping sent by a caller (a JSON object of strings). */
export function parseMapping(json: string | undefined | null): RosterMapping {
  if (!json) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new RosterFileError(
      'INVALID_MAPPING',
      '列映射不是合法的 JSON',
      'the column mapping is not valid JSON',
    );
  }
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    Object.values(value).some((v) => typeof v !== 'string')
  ) {
    throw new RosterFileError(
      'INVALID_MAPPING',
      '列映射应为 {"文件中的列名": "字段"} 形式的 JSON 对象',
      'the column mapping must be a JSON object {"header in the file": "field"}',
    );
  }
  // checked against the fields here, so that a bad mapping is refused before the upload is stored
  mappedFields(value as RosterMapping);
  return value as RosterMapping;
}

// ------------------------------------------------------------------------------------------------------------
// cells → input

/** One data row of the file: its cells by field (trimmed text), and the fields whose cell was too long. */
export interface RosterRow {
  row: number;
  cells: Partial<Record<RosterField, string>>;
  /** field → the cell's length, for cells over MAX_CELL_CHARS (their text is not kept) */
  oversized?: Partial<Record<RosterField, number>>;
  /** a CSV row with a stray quote: where its cells begin and end is a guess, so none of them is taken */
  malformed?: true;
}

const GENDER_WORDS: Record<string, string> = {
  男: 'MALE',
  女: 'FEMALE',
  male: 'MALE',
  female: 'FEMALE',
  m: 'MALE',
  f: 'FEMALE',
};

/** 人员类别 in the words of the work reports, and the codes. */
export const CATEGORY_WORDS: Record<MemberCategory, string> = {
  TEACHER: '专任教师',
  MANAGEMENT: '管理',
  SUPPORT: '工勤',
  CONTRACT: '合同制',
};
const CATEGORY_BY_WORD = new Map<string, string>(
  Object.entries(CATEGORY_WORDS).flatMap(([code, word]) => [
    [word, code],
    [code.toLowerCase(), code],
  ]),
);

export const GENDER_WORDS_ZH: Record<string, string> = { MALE: '男', FEMALE: '女' };

/** 男/女/MALE/FEMALE → the code; anything else is passed on as it is (and refused by the member's rules). */
export function genderCode(text: string): string {
  return GENDER_WORDS[text.trim().toLowerCase()] ?? text.trim();
}

export function categoryCode(text: string): string {
  return CATEGORY_BY_WORD.get(text.trim().toLowerCase()) ?? text.trim();
}

/**
 * Dates as office software writes them — 1980-3-8, 1980/03/08, 1980.3.8, 1980年3月8日, 19800308 — as
 * YYYY-MM-DD; anything else is passed on as it is (and refused by the member's rules as INVALID_DATE).
 */
export function isoDateText(text: string): string {
  const value = text.trim();
  const match =
    /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/.exec(value) ??
    /^(\d{4})年(\d{1,2})月(\d{1,2})日?$/.exec(value) ??
    /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (!match) return value;
  return `${match[1]}-${match[2].padStart(2, '0')}-${match[3].padStart(2, '0')}`;
}

// ------------------------------------------------------------------------------------------------------------
// a row, checked

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

/**
 * What each field is set to once its problem is recorded, so that `admitMember` can be asked again and report
 * the row's next problem: every problem of a row is found, while the rules stay member.ts's alone.
 */
const NEUTRAL: Partial<Record<RosterField, (input: AdmitMemberInput) => void>> = {
  staffNumber: (i) => (i.staffNumber = 'X'),
  name: (i) => (i.name = '某'),
  gender: (i) => (i.gender = 'MALE'),
  category: (i) => (i.category = 'TEACHER'),
  birthDate: (i) => (i.birthDate = null),
  joinedOn: (i) => (i.joinedOn = null),
  phone: (i) => (i.phone = null),
  email: (i) => (i.email = null),
};

const PLACEHOLDER_IDS = { id: SOME_BRANCH.id, memberNumber: '' };

/**
 * Checks one row: the cells are read (男 → MALE, 专任教师 → TEACHER, 1980/3/8 → 1980-03-08), the branch is
 * found and must be within the importer's reach, and the member's own rules (`admitMember`) decide the rest.
 * Returns the member the row describes, or every problem it has.
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

  for (const [field, length] of Object.entries(row.oversized ?? {}))
    problem(field as RosterField, 'CELL_TOO_LARGE', { length });

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
    if (!input[field] && row.oversized?.[field] === undefined) problem(field, 'REQUIRED');
    if (!input[field]) NEUTRAL[field]!(input);
  }
  if (row.oversized?.name !== undefined) NEUTRAL.name!(input);

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

  let checkAgainst = branch ?? SOME_BRANCH;
  let member: Member | undefined;
  for (let attempt = 0; attempt <= ROSTER_FIELDS.length && !member; attempt++) {
    try {
      member = admitMember(PLACEHOLDER_IDS, checkAgainst, input, context.today).member;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (error.reason === 'BRANCH_NOT_ACTIVE') {
        problem(branchField, 'BRANCH_NOT_ACTIVE', { value: branchText });
        branch = undefined;
        checkAgainst = SOME_BRANCH;
        continue;
      }
      const field = fieldOf(error);
      const neutral = field && NEUTRAL[field];
      if (!neutral) throw error; // a rule this file does not know how to report: a programming error
      problem(field, error.reason, {}, error.message);
      // IMPLAUSIBLE_BIRTH_DATE is the birth date's problem, but JOINED_IN_FUTURE the joining date's
      neutral(input);
    }
  }
  const staffNumber = member?.staffNumber ?? (cell('staffNumber').trim().toUpperCase() || undefined);
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

function fieldOf(error: DomainError): RosterField | undefined {
  const field = error.details.field;
  return typeof field === 'string' && (ROSTER_FIELDS as readonly string[]).includes(field)
    ? (field as RosterField)
    : undefined;
}

// ------------------------------------------------------------------------------------------------------------
// a row against the member it names

/** The profile fields a roster row may change on an existing member (joining date and status are not). */
export const PROFILE_FIELDS = ['name', 'gender', 'birthDate', 'phone', 'email', 'category', 'title'] as const;

export type RosterChange =
  | { kind: 'UNCHANGED' }
  | {
      kind: 'UPDATED';
      member: Member;
      /** profile fields that changed (PROFILE_UPDATED, MemberProfileUpdated) */
      profileChanges: string[];
      /** set when the branch changed (TRANSFERRED, MemberTransferred) */
      transferredFrom?: string;
      /** set when the union group changed (GROUP_CHANGED, MemberGroupChanged): the group before (null: none) */
      groupChangedFrom?: string | null;
      /** history entries, in the order they happened: profile, transfer, group */
      history: Omit<MemberHistoryEntry, 'id'>[];
    };

/**
 * What a valid row means for the existing member with its staff number. Only the file's columns count: a column
 * the file does not have leaves the field as it is; an empty cell of an optional column clears it. The joining
 * date of an existing member is its record's (a re-import does not rewrite it). A different branch is a
 * 会籍转移 on `today` — by member.ts's `transfer`, so only active members move (else MEMBER_STATUS_CONFLICT).
 */
export function rosterChange(
  existing: Member,
  checked: Extract<CheckedRow, { ok: true }>,
  columns: ColumnLayout,
  today: string,
  details: Record<string, string> = {},
  /** the group the member leads today, if any (a leader does not leave their group) */
  ledGroupId?: string,
): RosterChange {
  let next: Member = { ...existing };
  const profileChanges: string[] = [];
  for (const field of PROFILE_FIELDS) {
    if (!columns.has(field)) continue;
    const value = checked.member[field];
    if ((existing[field] ?? undefined) !== (value ?? undefined)) {
      (next as unknown as Record<string, unknown>)[field] = value;
      profileChanges.push(field);
    }
  }
  const history: Omit<MemberHistoryEntry, 'id'>[] = [];
  if (profileChanges.length > 0) {
    history.push({
      memberId: existing.id,
      change: 'PROFILE_UPDATED',
      branchId: existing.branchId,
      effectiveOn: today,
      details: { fields: profileChanges.join(','), ...details },
    });
  }
  let transferredFrom: string | undefined;
  if (checked.branch.id !== existing.branchId) {
    const moved = transfer(next, checked.branch, { effectiveOn: today }, today);
    history.push({ ...moved.history, details: { ...moved.history.details, ...details } });
    next = moved.member;
    transferredFrom = existing.branchId;
  }
  // the group: only when the file has the column; a transfer has taken the member out of their old one
  let groupChangedFrom: string | null | undefined;
  const wanted = checked.group === undefined ? next.groupId : (checked.group?.id ?? undefined);
  if (wanted !== next.groupId) {
    const group = checked.group ?? undefined;
    const changed = changeGroup(next, group, { effectiveOn: today, ledGroupId }, today);
    history.push({ ...changed.history, details: { ...changed.history.details, ...details } });
    groupChangedFrom = next.groupId ?? null;
    next = changed.member;
  }
  if (history.length === 0) return { kind: 'UNCHANGED' };
  return {
    kind: 'UPDATED',
    member: next,
    profileChanges,
    ...(transferredFrom ? { transferredFrom } : {}),
    ...(groupChangedFrom !== undefined ? { groupChangedFrom } : {}),
    history,
  };
}

/** The problem of a row whose change the member's rules refuse (e.g. moving a retired member). */
export function changeProblem(
  error: DomainError,
  checked: { row: number; staffNumber: string },
  columns: ColumnLayout,
  /** whether the row moves the member to another branch (else a status conflict is the group's) */
  moves = true,
): RowProblem {
  const branchField: RosterField = columns.has('branchCode') ? 'branchCode' : 'branch';
  const field =
    error.reason === 'GROUP_LEADER_CANNOT_LEAVE' || (error.reason === 'MEMBER_STATUS_CONFLICT' && !moves)
      ? 'group'
      : error.reason === 'MEMBER_STATUS_CONFLICT'
        ? branchField
        : (fieldOf(error) ?? null);
  return {
    ...rowProblem(checked.row, field, error.reason, columns, error.details, error.message),
    staffNumber: checked.staffNumber,
  };
}

/** The problem of a row naming a member of a branch out of the importer's reach. */
export function outOfReachProblem(checked: { row: number; staffNumber: string }, columns: ColumnLayout) {
  return {
    ...rowProblem(checked.row, 'staffNumber', 'MEMBER_OUT_OF_REACH', columns),
    staffNumber: checked.staffNumber,
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

/** The key under which a staff number is compared for duplicates (as member.ts normalises it). */
export function staffNumberKey(text: string | undefined): string {
  return (text ?? '').trim().toUpperCase();
}
