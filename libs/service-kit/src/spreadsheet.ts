import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** The files a service hands out as a download: CSV (UTF-8 with BOM, for Excel) or XLSX. */
export type SheetFormat = 'csv' | 'xlsx';

export const SHEET_CONTENT_TYPES: Readonly<Record<SheetFormat, string>> = {
  csv: 'text/csv; charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** `attachment` with an ASCII name for old clients and the real (Chinese) one for the others (RFC 6266). */
export function attachmentDisposition(asciiName: string, name: string): string {
  return `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** Where the rows of a download go, as they come: no sheet is held in memory whole. */
export interface SheetWriter {
  row(cells: string[]): Promise<void>;
  /** ends the file, and the stream */
  end(): Promise<void>;
}

/**
 * Rows written to `out` as CSV or XLSX as they come (text cells; a date stays the YYYY-MM-DD it was). `columns`
 * sizes the XLSX sheet's columns; CSV has none. exceljs is loaded on the first XLSX (about 40 MB and a second:
 * not for every service at start-up).
 */
export async function sheetWriter(
  format: SheetFormat,
  out: Writable,
  options: { sheetName: string; columns: string[] },
): Promise<SheetWriter> {
  return format === 'xlsx' ? xlsxWriter(out, options) : csvWriter(out);
}

/**
 * A cell a spreadsheet would take for a formula (=, @, or + / - before something not a number) gets a leading
 * apostrophe in CSV, as spreadsheets write it; the roster importer drops it again. (XLSX cells are typed: strings
 * stay strings.)
 */
export function neutraliseFormula(value: string): string {
  return /^[=@]|^[+-][^0-9\s]/.test(value) ? `'${value}` : value;
}

async function write(out: Writable, chunk: string | Buffer): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

const csvCell = (raw: string) => {
  const value = neutraliseFormula(raw);
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
};

function csvWriter(out: Writable): SheetWriter {
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

async function xlsxWriter(
  out: Writable,
  { sheetName, columns }: { sheetName: string; columns: string[] },
): Promise<SheetWriter> {
  const { stream: excelStream } = await import('exceljs');
  const workbook = new excelStream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: false,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet(sheetName);
  sheet.columns = columns.map((header) => ({ width: Math.max(10, header.length * 3) }));
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
