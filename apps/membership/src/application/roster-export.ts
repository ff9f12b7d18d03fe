import type { Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import type { Reach } from '@unionfed/auth';
import { sheetWriter, type SheetFormat } from '@unionfed/service-kit';
import type { Member } from '../domain/member';
import type { RosterCriteria } from '../domain/roster';
import { FIELD_LABELS, ROSTER_FIELDS, rosterCells } from '../domain/roster-import';
import type { Branch } from '../domain/structure';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { RosterImportRepository } from '../infrastructure/roster-import.repository';

export type ExportFormat = SheetFormat;

/** The columns of an export: every field an import reads (so that an export imports back unchanged), then the
 * record's own data, which an import reads past. */
const FIELDS = ROSTER_FIELDS;
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
    const sink = await sheetWriter(format, out, { sheetName: '花名册', columns: EXPORT_HEADERS });
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
