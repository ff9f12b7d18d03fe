import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { parse as parseCsv, CsvError } from 'csv-parse';
import { stream as excelStream, type CellValue } from 'exceljs';
import {
  ColumnLayout,
  MAX_CELL_CHARS,
  MAX_ROWS,
  ROSTER_FIELDS,
  RosterFileError,
  type RosterField,
  type RosterMapping,
  type RosterRow,
} from '../domain/roster-import';

/**
 * Reading a roster file — CSV or XLSX — as rows of text, streamed: a file is never held in memory whole.
 *
 * - What it is, from its bytes (not its name): a ZIP with `xl/workbook.xml` is XLSX; an OLE2 file is an old
 *   .xls (refused with advice); other binary content is refused; text is CSV.
 * - CSV encodings: a BOM (UTF-8, UTF-16LE/BE) decides; else the whole file is checked as UTF-8, then as GB18030
 *   (which includes GBK, what Chinese office software writes) — and a file that is neither is refused saying so.
 *   The delimiter (`,` tab `;`) is the one the first line uses most.
 * - A cell longer than MAX_CELL_CHARS never gets into memory whole: CSV text passes a guard that drops such a
 *   cell's text as it streams by and leaves a marker; the row is then refused with CELL_TOO_LARGE. An XLSX is a
 *   ZIP whose declared sizes are checked before it is opened (no ZIP bombs), so its cells are bounded too.
 */

export type RosterFormat = 'CSV' | 'XLSX';

export interface RosterFileFacts {
  format: RosterFormat;
  /** CSV only: 'UTF-8', 'GB18030', 'UTF-16LE', 'UTF-16BE' */
  encoding: string | null;
  delimiter: string;
}

/** A row of cells as text, as the file has it (1-based spreadsheet row numbers). */
export interface CellRow {
  row: number;
  cells: string[];
  /** column index → length of a cell too long to keep */
  oversized?: Map<number, number>;
  /** CSV: a cell of the row has a stray quote, so its cells may be cut where the writer did not mean */
  malformed?: true;
}

const HEAD_BYTES = 64 * 1024;
/** an XLSX's parts, uncompressed, at most (a roster of 200,000 rows is far below) */
const MAX_XLSX_ENTRY_BYTES = 256 * 1024 * 1024;
const MAX_XLSX_TOTAL_BYTES = 512 * 1024 * 1024;
/** a CSV record (all its cells) at most: a backstop behind the cell guard */
const MAX_CSV_RECORD_CHARS = 1024 * 1024;
/** rows the header is looked for in (title rows may come first) */
const HEADER_SEARCH_ROWS = 10;

const fileError = (reason: string, zh: string, en: string, details: Record<string, unknown> = {}) =>
  new RosterFileError(reason, zh, en, details);

const startsWith = (head: Buffer, bytes: number[]) => bytes.every((b, i) => head[i] === b);

const BINARY_SIGNATURES: [string, number[]][] = [
  ['PDF', [0x25, 0x50, 0x44, 0x46]],
  ['PNG', [0x89, 0x50, 0x4e, 0x47]],
  ['JPEG', [0xff, 0xd8, 0xff]],
  ['GIF', [0x47, 0x49, 0x46, 0x38]],
  ['GZIP', [0x1f, 0x8b]],
  ['7Z', [0x37, 0x7a, 0xbc, 0xaf]],
  ['RAR', [0x52, 0x61, 0x72, 0x21]],
];

/** Tells what a file is and how its text is encoded; throws a RosterFileError for anything not a roster. */
export async function inspectRosterFile(path: string): Promise<RosterFileFacts> {
  const { size } = await stat(path);
  if (size === 0) throw fileError('EMPTY_FILE', '文件是空的', 'the file is empty');
  const head = await readRange(path, 0, Math.min(size, HEAD_BYTES));
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) {
    await checkXlsxZip(path, size);
    return { format: 'XLSX', encoding: null, delimiter: ',' };
  }
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) {
    throw fileError(
      'LEGACY_XLS',
      '不支持旧版 Excel 文件（.xls）或加密的工作簿：请在 Excel 中“另存为” .xlsx 或 “CSV UTF-8”',
      'old Excel files (.xls) and encrypted workbooks are not supported: save the file as .xlsx or "CSV UTF-8"',
    );
  }
  let encoding: string | undefined;
  if (startsWith(head, [0xef, 0xbb, 0xbf])) encoding = 'UTF-8';
  else if (startsWith(head, [0xff, 0xfe])) encoding = 'UTF-16LE';
  else if (startsWith(head, [0xfe, 0xff])) encoding = 'UTF-16BE';
  const binary = BINARY_SIGNATURES.find(([, bytes]) => startsWith(head, bytes));
  if (binary || (!encoding && head.includes(0))) {
    throw fileError(
      'NOT_CSV_OR_XLSX',
      `文件不是 CSV 或 XLSX${binary ? `（看起来是 ${binary[0]}）` : '（含有二进制内容）'}：请上传 Excel 工作簿（.xlsx）或 CSV 文件`,
      `the file is neither CSV nor XLSX${binary ? ` (it looks like ${binary[0]})` : ' (it holds binary content)'}: upload an Excel workbook (.xlsx) or a CSV file`,
    );
  }
  encoding ??= (await decodesAs(path, 'utf-8'))
    ? 'UTF-8'
    : (await decodesAs(path, 'gb18030'))
      ? 'GB18030'
      : undefined;
  if (!encoding) {
    throw fileError(
      'UNKNOWN_ENCODING',
      '无法识别文件的文字编码（既不是 UTF-8，也不是 GBK/GB18030）：请在 Excel 中另存为“CSV UTF-8”',
      'the text encoding is neither UTF-8 nor GBK/GB18030: save the file as "CSV UTF-8"',
    );
  }
  const sample = new TextDecoder(decoderLabel(encoding)).decode(head);
  return { format: 'CSV', encoding, delimiter: delimiterOf(sample) };
}

function decoderLabel(encoding: string): string {
  return encoding.toLowerCase();
}

async function readRange(path: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Whether the whole file is valid text in this encoding (streamed through a strict decoder). */
async function decodesAs(path: string, encoding: string): Promise<boolean> {
  const decoder = new TextDecoder(encoding, { fatal: true });
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 18 }))
      decoder.decode(chunk as Buffer, { stream: true });
    decoder.decode();
    return true;
  } catch {
    return false;
  }
}

/** The delimiter the first non-empty line uses most, outside quotes: comma, tab or semicolon. */
function delimiterOf(sample: string): string {
  const line = sample.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const counts = new Map<string, number>([
    [',', 0],
    ['\t', 0],
    [';', 0],
  ]);
  let quoted = false;
  for (const char of line) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1);
  }
  const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  return best[1] > 0 ? best[0] : ',';
}

/**
 * Reads the ZIP's central directory (at its end) and refuses an archive that is not a workbook or whose parts
 * would unpack to more than a roster can need — before a byte of it is inflated.
 */
async function checkXlsxZip(path: string, size: number): Promise<void> {
  const notXlsx = () =>
    fileError(
      'NOT_CSV_OR_XLSX',
      '文件是 ZIP 压缩包，但不是 Excel 工作簿（.xlsx）',
      'the file is a ZIP archive but not an Excel workbook (.xlsx)',
    );
  const tailLength = Math.min(size, 65_557);
  const tail = await readRange(path, size - tailLength, tailLength);
  const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0 || eocd + 22 > tail.length) throw notXlsx();
  const entries = tail.readUInt16LE(eocd + 10);
  const directorySize = tail.readUInt32LE(eocd + 12);
  const directoryOffset = tail.readUInt32LE(eocd + 16);
  const tooLarge = () =>
    fileError(
      'XLSX_TOO_LARGE',
      '工作簿解压后过大，无法作为花名册导入',
      'the workbook unpacks to more than a roster can be',
    );
  if (directoryOffset === 0xffffffff || entries === 0xffff) throw tooLarge(); // ZIP64: far beyond a roster
  if (directoryOffset + directorySize > size || directorySize > 16 * 1024 * 1024) throw notXlsx();
  const directory = await readRange(path, directoryOffset, directorySize);
  let offset = 0;
  let total = 0;
  let workbook = false;
  for (let i = 0; i < entries; i++) {
    if (offset + 46 > directory.length || directory.readUInt32LE(offset) !== 0x02014b50) throw notXlsx();
    const uncompressed = directory.readUInt32LE(offset + 24);
    const nameLength = directory.readUInt16LE(offset + 28);
    const extraLength = directory.readUInt16LE(offset + 30);
    const commentLength = directory.readUInt16LE(offset + 32);
    const name = directory.toString('utf8', offset + 46, offset + 46 + nameLength);
    if (name === 'xl/workbook.xml') workbook = true;
    if (uncompressed === 0xffffffff || uncompressed > MAX_XLSX_ENTRY_BYTES) throw tooLarge();
    total += uncompressed;
    if (total > MAX_XLSX_TOTAL_BYTES) throw tooLarge();
    offset += 46 + nameLength + extraLength + commentLength;
  }
  if (!workbook) throw notXlsx();
}

// ------------------------------------------------------------------------------------------------------------
// cells

/** Marks a CSV cell whose text the guard dropped: NUL (never in a roster's text) and the cell's length. */
const OVERSIZED_MARK = '\u0000';
/**
 * Ends a CSV cell with a stray quote — one inside an unquoted cell (`=HYPERLINK("…")`) or text after a closing
 * quote (`"陈"静`), where strict CSV has no meaning: U+0001, never in a roster's text either.
 */
const STRAY_QUOTE_MARK = '\u0001';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Sits between the decoder and the CSV parser and keeps every cell's text under `max` characters: the text of
 * a longer cell is dropped as it streams by and replaced by `OVERSIZED_MARK` + its length. Follows CSV quoting
 * as csv-parse does (a quote opens only at the start of a cell; "" inside quotes is a quote), so it cuts exactly
 * the cells the parser would see. Holds at most one cell's text between chunks.
 */
export class CellGuard {
  private inQuotes = false;
  /** a quote closed a quoted cell just now: a second one right after is an escaped quote */
  private quoteClosed = false;
  private cellLength = 0;
  private skipping = false;
  /** the current cell has a stray quote: it is marked when it ends */
  private stray = false;
  /** the current cell's text from earlier chunks, not yet passed on */
  private carry = '';
  private readonly delimiter: number;

  constructor(
    delimiter: string,
    private readonly max: number = MAX_CELL_CHARS,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  feed(text: string): string {
    let out = '';
    let segmentStart = 0; // where the text not yet passed on begins (this chunk)
    let cellStart = this.skipping || this.carry.length > 0 || this.cellLength > 0 ? -1 : 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inQuotes) {
        if (c === QUOTE) {
          this.inQuotes = false;
          this.quoteClosed = true;
        }
      } else if (c === QUOTE && (this.cellLength === 0 || this.quoteClosed)) {
        this.inQuotes = true;
        this.quoteClosed = false;
      } else if (c === this.delimiter || c === LF || c === CR) {
        this.quoteClosed = false;
        if (this.skipping) {
          out += `${OVERSIZED_MARK}${this.cellLength}`;
          segmentStart = i;
          this.skipping = false;
        } else if (this.stray) {
          // pass on the cell up to here, then its mark; the delimiter follows with the rest
          out += this.carry + text.slice(segmentStart, i) + STRAY_QUOTE_MARK;
          this.carry = '';
          segmentStart = i;
        }
        this.stray = false;
        this.cellLength = 0;
        cellStart = i + 1;
        continue;
      } else {
        // a quote in an unquoted cell, or anything after a closing quote: strict CSV refuses it (the parser,
        // relaxed, keeps it as text)
        if (c === QUOTE || this.quoteClosed) this.stray = true;
        this.quoteClosed = false;
      }
      this.cellLength++;
      if (!this.skipping && this.cellLength > this.max) {
        // pass on what precedes this cell, and drop the cell's text from here to its end
        if (cellStart >= 0) out += this.carry + text.slice(segmentStart, cellStart);
        this.carry = '';
        this.skipping = true;
      }
    }
    if (this.skipping) return out;
    if (cellStart >= 0) {
      out += this.carry + text.slice(segmentStart, cellStart);
      this.carry = text.slice(cellStart);
    } else {
      this.carry += text.slice(segmentStart);
    }
    return out;
  }

  /** What is left at the end of the file. */
  finish(): string {
    const rest = this.skipping
      ? `${OVERSIZED_MARK}${this.cellLength}`
      : this.carry + (this.stray ? STRAY_QUOTE_MARK : '');
    this.carry = '';
    this.skipping = false;
    this.stray = false;
    return rest;
  }
}

/** Every row of the file's first worksheet (XLSX) or of the file (CSV), as text. */
export function readCells(path: string, facts: RosterFileFacts): AsyncGenerator<CellRow> {
  return facts.format === 'XLSX' ? xlsxCells(path) : csvCells(path, facts);
}

async function* decodedText(path: string, encoding: string, guard: CellGuard): AsyncGenerator<string> {
  // a BOM, if any, is dropped by the decoder
  const decoder = new TextDecoder(decoderLabel(encoding));
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 18 })) {
    const text = guard.feed(decoder.decode(chunk as Buffer, { stream: true }));
    if (text) yield text;
  }
  const rest = guard.feed(decoder.decode()) + guard.finish();
  if (rest) yield rest;
}

async function* csvCells(path: string, facts: RosterFileFacts): AsyncGenerator<CellRow> {
  const parser = parseCsv({
    delimiter: facts.delimiter,
    relax_column_count: true,
    // a stray quote (an unquoted =HYPERLINK("…")) is kept as text instead of failing the file: the guard marks
    // its cell, and the row — only that row — is refused (MALFORMED_ROW). In strict mode the parser would stop
    // at it, and skip_records_with_error resynchronises on the wrong quotes, swallowing the valid rows after it.
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: MAX_CSV_RECORD_CHARS,
  });
  const source = Readable.from(decodedText(path, facts.encoding ?? 'UTF-8', new CellGuard(facts.delimiter)));
  pipeline(source, parser, () => undefined); // errors surface in the iteration below
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      row++;
      let oversized: Map<number, number> | undefined;
      let malformed: true | undefined;
      record.forEach((cell, column) => {
        if (cell.charCodeAt(0) === 0 && /^\u0000\d+$/.test(cell)) {
          (oversized ??= new Map()).set(column, Number(cell.slice(1)));
          record[column] = '';
        } else if (cell.endsWith(STRAY_QUOTE_MARK)) {
          malformed = true;
          record[column] = cell.slice(0, -1);
        }
      });
      yield { row, cells: record, oversized, ...(malformed ? { malformed } : {}) };
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines;
      throw fileError(
        'MALFORMED_CSV',
        `CSV 格式错误${line ? `（第 ${line} 行附近）` : ''}：${csvErrorZh(error.code)}`,
        `the CSV is malformed${line ? ` near line ${line}` : ''}: ${error.message}`,
        { line: line ?? null, csvCode: error.code },
      );
    }
    throw error;
  } finally {
    source.destroy();
    parser.destroy();
  }
}

function csvErrorZh(code: string): string {
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return '引号没有闭合';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return '引号后面有多余的字符';
    case 'CSV_MAX_RECORD_SIZE':
      return '一行的内容过长';
    default:
      return code;
  }
}

async function* xlsxCells(path: string): AsyncGenerator<CellRow> {
  const input = createReadStream(path);
  const workbook = new excelStream.xlsx.WorkbookReader(input, {
    sharedStrings: 'cache',
    styles: 'cache', // to tell dates from numbers
    hyperlinks: 'ignore',
    worksheets: 'emit',
    entries: 'ignore',
  });
  try {
    for await (const worksheet of workbook) {
      for await (const row of worksheet) {
        const values = (row.values ?? []) as CellValue[];
        const cells: string[] = [];
        let oversized: Map<number, number> | undefined;
        for (let column = 1; column < values.length; column++) {
          const text = cellText(values[column], row.getCell(column).numFmt);
          if (text.length > MAX_CELL_CHARS) (oversized ??= new Map()).set(column - 1, text.length);
          cells[column - 1] = text.length > MAX_CELL_CHARS ? '' : text;
        }
        for (let i = 0; i < cells.length; i++) cells[i] ??= '';
        yield { row: row.number, cells, oversized };
      }
      return; // the roster is the first worksheet
    }
  } catch (error) {
    if (error instanceof RosterFileError) throw error;
    throw fileError(
      'MALFORMED_XLSX',
      '无法读取该 Excel 工作簿（文件可能已损坏）',
      `the Excel workbook cannot be read (${(error as Error).message})`,
    );
  } finally {
    input.destroy();
  }
}

/**
 * A cell's value as the text a user sees: dates as YYYY-MM-DD, formulas by their result, links by their text, and
 * whole numbers shown with leading zeros (number format `000000`, how offices keep 工号 such as 000123) with them.
 */
export function cellText(value: CellValue, numFmt?: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') {
    const zeros = numFmt && /^0+$/.test(numFmt) ? numFmt.length : 0;
    return zeros > 0 && Number.isInteger(value) && value >= 0
      ? String(value).padStart(zeros, '0')
      : String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString().slice(0, 10);
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('formula' in value || 'sharedFormula' in value) return cellText(value.result ?? null, numFmt);
  if ('hyperlink' in value) return String(value.text ?? '');
  if ('error' in value) return value.error;
  return String(value);
}

// ------------------------------------------------------------------------------------------------------------
// rows

/**
 * A roster file, opened: what it is, where its header is and what its columns mean. `rows()` reads it (again)
 * from the start: the import reads a file more than once (scan, check, apply) rather than hold it in memory.
 */
export class RosterReader {
  private constructor(
    private readonly path: string,
    readonly facts: RosterFileFacts,
    readonly columns: ColumnLayout,
    /** the header's row number */
    readonly headerRow: number,
  ) {}

  static async open(path: string, mapping: RosterMapping = {}): Promise<RosterReader> {
    const facts = await inspectRosterFile(path);
    let seen = 0;
    for await (const { row, cells } of readCells(path, facts)) {
      if (cells.every((cell) => cell.trim() === '')) continue;
      if (ColumnLayout.looksLikeHeader(cells, mapping)) {
        return new RosterReader(path, facts, ColumnLayout.read(cells, mapping), row);
      }
      if (++seen >= HEADER_SEARCH_ROWS) break;
    }
    throw fileError(
      'HEADER_NOT_FOUND',
      `前 ${HEADER_SEARCH_ROWS} 行中没有找到表头：需要 工号、姓名、性别、人员类别、所属分工会 等列（或用列映射指明各列）`,
      `no header in the first ${HEADER_SEARCH_ROWS} rows: a roster needs columns such as 工号/staffNumber, 姓名/name, 性别/gender, 人员类别/category, 所属分工会/branch (or a column mapping)`,
    );
  }

  /** The data rows below the header (blank rows skipped), each cell trimmed, by field. */
  async *rows(): AsyncGenerator<RosterRow> {
    const fields = [...this.columns.indexOf.entries()] as [RosterField, number][];
    let count = 0;
    for await (const { row, cells, oversized, malformed } of readCells(this.path, this.facts)) {
      if (row <= this.headerRow) continue;
      if (cells.every((cell) => cell.trim() === '') && !oversized) continue;
      if (++count > MAX_ROWS) {
        throw fileError(
          'TOO_MANY_ROWS',
          `文件超过 ${MAX_ROWS} 行，请分成几个文件导入`,
          `the file has more than ${MAX_ROWS} rows: split it`,
        );
      }
      const values: Partial<Record<RosterField, string>> = {};
      let tooLong: Partial<Record<RosterField, number>> | undefined;
      for (const [field, index] of fields) {
        const length = oversized?.get(index);
        if (length !== undefined) (tooLong ??= {})[field] = length;
        else values[field] = plainText(cells[index] ?? '');
      }
      yield { row, cells: values, oversized: tooLong, ...(malformed ? { malformed } : {}) };
    }
  }
}

/** A cell's text, trimmed, without the apostrophe an export puts before what a spreadsheet takes for a formula. */
function plainText(cell: string): string {
  const text = cell.trim();
  return /^'(?:[=@]|[+-][^0-9\s])/.test(text) ? text.slice(1) : text;
}

export { ROSTER_FIELDS };
