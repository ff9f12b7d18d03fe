import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { stream as excelStream } from 'exceljs';
import type { Reach } from '@unionfed/auth';
import type { Member } from '../domain/member';
import type { RosterCriteria } from '../domain/roster';
import { FIELD_LABELS, rosterCells, type RosterField } from '../domain/roster-import';
import type { Branch } from '../domain/structure';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { RosterImportRepository } from '../infrastructure/roster-import.repository';

export type ExportFormat = 'csv' | 'xlsx';

/** The columns of an export: every field an import reads (so that an export imports back unchanged), then the
 * record's own data, which an import reads past. */
const FIELDS: RosterField[] = [
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
];
export const EXPORT_HEADERS = [...FIELDS.map((f) => FIELD_LABELS[f].zh), '会员编号', '状态'];

const STATUS_WORDS: Record<Member['status'], string> = {
  ACTIVE: '在会',
  RETIRED: '退休',
  TRANSFERRED_OUT: '转出',
  WITHDRAWN: '退会',
  DECEASED: '去世',
};

/** rows read per query (keyset pages in admission order) */
const PAGE = 2000;

/** Where export rows go: a CSV or an XLSX being written to a stream. */
interface RosterSink {
  row(cells: string[]): Promise<void>;
  end(): Promise<void>;
}

/**
 * 花名册导出: the roster with the roster query's filters, within the caller's reach (the same query as the
 * GraphQL roster), streamed page by page as CSV (UTF-8 with BOM, for Excel) or XLSX — Chinese headers, 男/女,
 * 专任教师…, dates YYYY-MM-DD as text.
 */
@Injectable()
export class RosterExport {
  constructor(
    private readonly repository: MembershipRepository,
    private readonly rosterFiles: RosterImportRepository,
  ) {}

  async write(criteria: RosterCriteria, reach: Reach, format: ExportFormat, out: Writable): Promise<number> {
    const branches = new Map((await this.repository.listBranches()).map((b) => [b.id, b]));
    const groups = await this.rosterFiles.groupNames();
    const sink = format === 'xlsx' ? xlsxSink(out) : csvSink(out);
    await sink.row(EXPORT_HEADERS);
    let after: string | undefined;
    let count = 0;
    for (;;) {
      const { rows } = await this.repository.roster(criteria, PAGE, after, reach, { count: false });
      const page = rows.slice(0, PAGE);
      for (const member of page) {
        await sink.row(exportRow(member, branches.get(member.branchId), groups.get(member.groupId ?? '')));
      }
      count += page.length;
      if (rows.length <= PAGE) break;
      after = page[page.length - 1].id;
    }
    await sink.end();
    return count;
  }
}

export function exportRow(
  member: Member,
  branch: Branch | undefined,
  groupName: string | undefined,
): string[] {
  const cells = rosterCells(member, branch, groupName);
  return [...FIELDS.map((f) => cells[f]), member.memberNumber, STATUS_WORDS[member.status] ?? member.status];
}

async function write(out: Writable, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * A cell a spreadsheet would take for a formula (=, @, or + / - before something not a number) gets a leading
 * apostrophe in CSV, as spreadsheets write it; the importer drops it again. (XLSX cells are typed: strings stay
 * strings.)
 */
export function neutraliseFormula(value: string): string {
  return /^[=@]|^[+-][^0-9\s]/.test(value) ? `'${value}` : value;
}

const csvCell = (raw: string) => {
  const value = neutraliseFormula(raw);
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
};

function csvSink(out: Writable): RosterSink {
  let started = false;
  return {
    async row(cells) {
      // the BOM makes Excel read the file as UTF-8
      await write(out, `${started ? '' : '\uFEFF'}${cells.map(csvCell).join(',')}\r\n`);
      started = true;
    },
    async end() {
      await new Promise<void>((resolve) => out.end(resolve));
    },
  };
}

function xlsxSink(out: Writable): RosterSink {
  const workbook = new excelStream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: false,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet('花名册');
  sheet.columns = EXPORT_HEADERS.map((header) => ({ width: Math.max(10, header.length * 3) }));
  let rows = 0;
  return {
    async row(cells) {
      sheet.addRow(cells).commit();
      // let the zip stream drain now and then (the writer itself does not wait)
      if (++rows % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    },
    async end() {
      sheet.commit();
      await workbook.commit();
    },
  };
}
