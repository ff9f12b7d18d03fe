import type { Branch } from '../structure';
import type { Member, MemberCategory } from '../member';
import type { RosterField } from './columns';

/*
 * A roster's cells: a data row as the file gives it, the words of its cells read as the member's codes (男 → MALE,
 * 专任教师 → TEACHER, 1980/3/8 → 1980-03-08) and, for an export, written back — and the limits of what is read.
 */

/** A cell longer than this is refused (names are ≤ 50 characters; nothing in a roster comes near). */
export const MAX_CELL_CHARS = 1024;

/** Rows stored per import: more than this is a different kind of job. */
export const MAX_ROWS = 200_000;

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

/** The key under which a staff number is compared for duplicates (as member.ts normalises it). */
export function staffNumberKey(text: string | undefined): string {
  return (text ?? '').trim().toUpperCase();
}

/**
 * A member as an export's cells (the inverse of reading them): 男/女, 专任教师…, dates YYYY-MM-DD, the branch by
 * name and code, the group by name — so that an export imports back unchanged.
 */
export function rosterCells(
  member: Member,
  branch: Branch | undefined,
  groupName: string | undefined,
): Record<RosterField, string> {
  return {
    staffNumber: member.staffNumber,
    name: member.name,
    gender: GENDER_WORDS_ZH[member.gender] ?? member.gender,
    birthDate: member.birthDate ?? '',
    branch: branch?.name ?? '',
    branchCode: branch?.code ?? '',
    group: groupName ?? '',
    category: CATEGORY_WORDS[member.category] ?? member.category,
    joinedOn: member.joinedOn,
    phone: member.phone ?? '',
    email: member.email ?? '',
    title: member.title ?? '',
  };
}
