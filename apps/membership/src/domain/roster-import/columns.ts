import { InvalidInputError } from '@unionfed/domain-kit';

/*
 * A roster file's columns: the fields a roster has, what each is called (Chinese and English: messages, export
 * headers), which headers mean it, and where each stands in a file — read from its header row or an explicit
 * mapping. A file whose columns cannot be read is refused as a whole (RosterFileError).
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
