import type { DomainError } from '@unionfed/domain-kit';
import { MAX_CELL_CHARS } from './cells';
import { FIELD_LABELS, ROSTER_FIELDS, type ColumnLayout, type RosterField } from './columns';

/* The problems of a row, in Chinese and English, by their codes. */

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

/** The roster field a domain error is about (its `field` detail), if it is one. */
export function fieldOf(error: DomainError): RosterField | undefined {
  const field = error.details.field;
  return typeof field === 'string' && (ROSTER_FIELDS as readonly string[]).includes(field)
    ? (field as RosterField)
    : undefined;
}
