import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workbook } from 'exceljs';
import { CellGuard, inspectRosterFile, RosterReader } from './roster-file';
import { neutraliseFormula } from '@unionfed/service-kit';
import type { RosterRow } from '../domain/roster-import';

/** GB18030 (GBK) bytes of a text, from the platform's own decoder's table (no encoder needed). */
function gb18030(text: string): Buffer {
  const decoder = new TextDecoder('gb18030');
  const table = new Map<string, [number, number]>();
  for (let a = 0x81; a <= 0xfe; a++) {
    for (let b = 0x40; b <= 0xfe; b++) {
      if (b === 0x7f) continue;
      const char = decoder.decode(Uint8Array.of(a, b));
      if (char.length === 1 && char !== '\uFFFD' && !table.has(char)) table.set(char, [a, b]);
    }
  }
  const bytes: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code < 0x80) bytes.push(code);
    else {
      const pair = table.get(char);
      if (!pair) throw new Error(`no GBK code for ${char}`);
      bytes.push(...pair);
    }
  }
  return Buffer.from(bytes);
}

const HEADER = '工号,姓名,性别,出生日期,所属分工会,人员类别';
const ROWS = ['T1001,陈静,女,1985-03-08,CS,专任教师', 'T1002,王强,男,1979-11-02,数学学院分工会,管理'];

describe('reading a roster file', () => {
  let dir: string;
  let n = 0;
  const file = (content: string | Buffer, name = `roster-${++n}`) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const read = async (path: string) => {
    const reader = await RosterReader.open(path);
    const rows: RosterRow[] = [];
    for await (const row of reader.rows()) rows.push(row);
    return { reader, rows };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'roster-file-spec-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a UTF-8 CSV with a BOM, rows numbered as a spreadsheet shows them', async () => {
    const { reader, rows } = await read(file(`\uFEFF${HEADER}\r\n${ROWS.join('\r\n')}\r\n`));
    expect(reader.facts).toEqual({ format: 'CSV', encoding: 'UTF-8', delimiter: ',' });
    expect(rows).toEqual([
      {
        row: 2,
        cells: {
          staffNumber: 'T1001',
          name: '陈静',
          gender: '女',
          birthDate: '1985-03-08',
          branch: 'CS',
          category: '专任教师',
        },
        oversized: undefined,
      },
      expect.objectContaining({
        row: 3,
        cells: expect.objectContaining({ name: '王强', branch: '数学学院分工会' }),
      }),
    ]);
  });

  it('decodes a GBK (GB18030) CSV as office software writes it', async () => {
    const path = file(gb18030(`${HEADER}\r\n${ROWS.join('\r\n')}\r\n`));
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path))).toThrow();
    const { reader, rows } = await read(path);
    expect(reader.facts.encoding).toBe('GB18030');
    expect(rows.map((r) => [r.cells.name, r.cells.gender, r.cells.branch, r.cells.category])).toEqual([
      ['陈静', '女', 'CS', '专任教师'],
      ['王强', '男', '数学学院分工会', '管理'],
    ]);
  });

  it('reads a tab-separated UTF-16 file (Excel’s “Unicode text”)', async () => {
    const text = `\uFEFF${[HEADER, ...ROWS].map((l) => l.replace(/,/g, '\t')).join('\r\n')}`;
    const { reader, rows } = await read(file(Buffer.from(text, 'utf16le')));
    expect(reader.facts).toEqual({ format: 'CSV', encoding: 'UTF-16LE', delimiter: '\t' });
    expect(rows.map((r) => r.cells.name)).toEqual(['陈静', '王强']);
  });

  it('finds the header below a title row, and skips blank rows', async () => {
    const { rows, reader } = await read(
      file(`计算机学院分工会会员花名册,,,,,\n${HEADER}\n\n${ROWS[0]}\n,,,,,\n`),
    );
    expect(reader.headerRow).toBe(2);
    expect(rows.map((r) => [r.row, r.cells.name])).toEqual([[4, '陈静']]);
  });

  it('says clearly when no header is there', async () => {
    await expect(RosterReader.open(file('a,b,c\n1,2,3\n'))).rejects.toMatchObject({
      reason: 'HEADER_NOT_FOUND',
      messageZh: expect.stringContaining('前 10 行中没有找到表头'),
    });
  });

  it('refuses files that are neither CSV nor XLSX, saying what they are', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    await expect(inspectRosterFile(file(png))).rejects.toMatchObject({
      reason: 'NOT_CSV_OR_XLSX',
      messageZh: '文件不是 CSV 或 XLSX（看起来是 PNG）：请上传 Excel 工作簿（.xlsx）或 CSV 文件',
      message:
        'the file is neither CSV nor XLSX (it looks like PNG): upload an Excel workbook (.xlsx) or a CSV file',
    });
    await expect(inspectRosterFile(file(Buffer.from('%PDF-1.7\n...')))).rejects.toMatchObject({
      reason: 'NOT_CSV_OR_XLSX',
    });
    await expect(inspectRosterFile(file(Buffer.from([1, 2, 0, 0, 3, 4, 0])))).rejects.toMatchObject({
      reason: 'NOT_CSV_OR_XLSX',
    });
    const zip = Buffer.concat([
      Buffer.from([0x50, 0x4b, 0x03, 0x04]),
      Buffer.alloc(26),
      // an empty central directory: a ZIP, but no workbook in it
      Buffer.from([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 30, 0, 0, 0, 0, 0]),
    ]);
    await expect(inspectRosterFile(file(zip))).rejects.toMatchObject({ reason: 'NOT_CSV_OR_XLSX' });
    await expect(inspectRosterFile(file(Buffer.alloc(0)))).rejects.toMatchObject({ reason: 'EMPTY_FILE' });
  });

  it('refuses an old .xls (OLE2) workbook with advice', async () => {
    const xls = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]);
    await expect(inspectRosterFile(file(xls))).rejects.toMatchObject({
      reason: 'LEGACY_XLS',
      messageZh: expect.stringContaining('另存为” .xlsx'),
    });
  });

  it('says so when text is neither UTF-8 nor GBK', async () => {
    await expect(
      inspectRosterFile(file(Buffer.from([0x61, 0x2c, 0xff, 0xfe, 0xff, 0x0a]))),
    ).rejects.toMatchObject({
      reason: 'UNKNOWN_ENCODING',
      messageZh: '无法识别文件的文字编码（既不是 UTF-8，也不是 GBK/GB18030）：请在 Excel 中另存为“CSV UTF-8”',
    });
  });

  it('refuses a malformed CSV naming the line', async () => {
    await expect(
      read(file(`${HEADER}\n${ROWS[0]}\nT1003,"没有闭合,男,1980-01-01,CS,管理\n`)),
    ).rejects.toMatchObject({
      reason: 'MALFORMED_CSV',
      messageZh: expect.stringMatching(/^CSV 格式错误（第 \d+ 行附近）：引号没有闭合$/),
    });
  });

  it('keeps reading past a row with a stray quote (an unquoted =HYPERLINK("…")), marking that row as malformed', async () => {
    const bad = 'T1003,=HYPERLINK("http://evil.example","点我"),男,1980-01-01,CS,管理';
    const { rows } = await read(file(`${HEADER}\n${ROWS[0]}\n${bad}\n${ROWS[1]}\n`));
    expect(rows.map((r) => [r.row, r.cells.staffNumber, r.malformed])).toEqual([
      [2, 'T1001', undefined],
      [3, 'T1003', true],
      [4, 'T1002', undefined],
    ]);
    expect(rows[2].cells).toMatchObject({ name: '王强', gender: '男', category: '管理' });
  });

  it('marks a row whose quoted cell has text after its closing quote, and reads a properly quoted one as it is', async () => {
    const { rows } = await read(
      file(`${HEADER}\nT1003,"陈"静,女,1985-03-08,CS,专任教师\nT1004,"王""强",男,1979-11-02,CS,管理\n`),
    );
    expect(rows.map((r) => [r.row, r.malformed, r.cells.name])).toEqual([
      [2, true, '"陈"静'],
      [3, undefined, '王"强'],
    ]);
  });

  it('drops a 10 MB cell as it streams by and reports its row and length; the rows around it are intact', async () => {
    const huge = `"${'长,"" \n'.repeat((10 * 1024 * 1024) / 8)}"`; // quoted, with delimiters, quotes and newlines inside
    const path = file(`${HEADER}\n${ROWS[0]}\nT1003,${huge},男,1980-01-01,CS,管理\n${ROWS[1]}\n`);
    const before = process.memoryUsage().heapUsed;
    const { rows } = await read(path);
    expect(rows.map((r) => [r.row, r.cells.staffNumber, r.cells.name, r.oversized])).toEqual([
      [2, 'T1001', '陈静', undefined],
      [3, 'T1003', undefined, { name: huge.length }],
      [4, 'T1002', '王强', undefined],
    ]);
    expect(rows[1].cells).toMatchObject({ gender: '男', branch: 'CS', category: '管理' });
    // the cell's text never got into memory whole (the file is read in 256 KB chunks). What heapUsed shows of
    // the chunks' garbage depends on the young generation: `npm test` gives its unit tests the services' own
    // (--max-semi-space-size=2, libs/platform NODE_FLAGS); Node 24's default is large enough to keep ~50 MB
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(8 * 1024 * 1024);
  });

  it('reads back exactly what an export wrote, formula-like cells included (their apostrophe is dropped)', async () => {
    const name = '=HYPERLINK("http://evil.example","点我")';
    expect(neutraliseFormula(name)).toBe(`'${name}`);
    expect(neutraliseFormula('+8613800138000')).toBe('+8613800138000');
    expect(neutraliseFormula('-x')).toBe("'-x");
    expect(neutraliseFormula('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(neutraliseFormula('陈静')).toBe('陈静');
    const cell = `"${neutraliseFormula(name).replace(/"/g, '""')}"`;
    const { rows } = await read(
      file(`${HEADER},手机\nT1001,${cell},女,1985-03-08,CS,专任教师,+8613800138000\n`),
    );
    expect(rows[0].cells).toMatchObject({ name, phone: '+8613800138000' });
  });

  it('reads the first worksheet of an XLSX: title row, dates, numbers, rich text', async () => {
    const workbook = new Workbook();
    const sheet = workbook.addWorksheet('花名册');
    sheet.addRow(['计算机学院分工会会员花名册']);
    sheet.addRow(['工号', '姓名', '性别', '出生日期', '所属分工会', '人员类别', '手机']);
    sheet.addRow([1001, '陈静', '女', new Date(Date.UTC(1985, 2, 8)), 'CS', '专任教师', 13800138000]);
    sheet.addRow([
      'T1002',
      { richText: [{ text: '王' }, { text: '强' }] },
      '男',
      '1979-11-02',
      'MATH',
      '管理',
      '',
    ]);
    workbook.addWorksheet('备注').addRow(['not the roster']);
    const { reader, rows } = await read(file(Buffer.from(await workbook.xlsx.writeBuffer())));
    expect(reader.facts.format).toBe('XLSX');
    expect(reader.headerRow).toBe(2);
    expect(rows).toEqual([
      {
        row: 3,
        cells: {
          staffNumber: '1001',
          name: '陈静',
          gender: '女',
          birthDate: '1985-03-08',
          branch: 'CS',
          category: '专任教师',
          phone: '13800138000',
        },
        oversized: undefined,
      },
      expect.objectContaining({
        row: 4,
        cells: expect.objectContaining({ staffNumber: 'T1002', name: '王强' }),
      }),
    ]);
  });

  it('keeps the leading zeros of staff numbers stored as numbers shown with zeros (format 000000)', async () => {
    const workbook = new Workbook();
    const sheet = workbook.addWorksheet('花名册');
    sheet.addRow(['工号', '姓名', '性别', '所属分工会', '人员类别']);
    sheet.addRow([123, '陈静', '女', 'CS', '专任教师']).getCell(1).numFmt = '000000';
    sheet.addRow([4567, '王强', '男', 'CS', '管理']); // no format: the number as it is
    const { rows } = await read(file(Buffer.from(await workbook.xlsx.writeBuffer())));
    expect(rows.map((r) => r.cells.staffNumber)).toEqual(['000123', '4567']);
  });

  it('refuses an XLSX cell that is too long, by row and length', async () => {
    const workbook = new Workbook();
    const sheet = workbook.addWorksheet('花名册');
    sheet.addRow(HEADER.split(','));
    sheet.addRow(['T1001', 'x'.repeat(5000), '女', '1985-03-08', 'CS', '专任教师']);
    const { rows } = await read(file(Buffer.from(await workbook.xlsx.writeBuffer())));
    expect(rows).toEqual([expect.objectContaining({ row: 2, oversized: { name: 5000 } })]);
  });
});

describe('the cell guard in front of the CSV parser', () => {
  const csv = 'a,"b,""c""\nd",e\r\n"' + 'x'.repeat(50) + '",f\n' + 'y'.repeat(30) + ',"z"\n';
  const whole = (text: string, max: number) => {
    const guard = new CellGuard(',', max);
    return guard.feed(text) + guard.finish();
  };

  it('passes cells up to the limit through untouched', () => {
    expect(whole(csv, 100)).toBe(csv);
  });

  it('replaces only the cells over the limit by a marker with their length', () => {
    expect(whole(csv, 40)).toBe('a,"b,""c""\nd",e\r\n\u000052,f\n' + 'y'.repeat(30) + ',"z"\n');
    expect(whole(csv, 20)).toBe('a,"b,""c""\nd",e\r\n\u000052,f\n\u000030,"z"\n');
  });

  it('gives the same text however the input is cut into chunks', () => {
    const expected = whole(csv, 20);
    for (let cut = 1; cut < csv.length; cut++) {
      const guard = new CellGuard(',', 20);
      expect(guard.feed(csv.slice(0, cut)) + guard.feed(csv.slice(cut)) + guard.finish()).toBe(expected);
    }
  });

  it('marks a cell with a stray quote at its end, in any chunking, and leaves well-quoted cells alone', () => {
    const text = 'a,b"c,"d""e"f,"g"\n';
    const marked = 'a,b"c\u0001,"d""e"f\u0001,"g"\n';
    expect(whole(text, 100)).toBe(marked);
    for (let cut = 1; cut < text.length; cut++) {
      const guard = new CellGuard(',', 100);
      expect(guard.feed(text.slice(0, cut)) + guard.feed(text.slice(cut)) + guard.finish()).toBe(marked);
    }
    expect(whole(csv, 100)).toBe(csv);
  });

  it('never holds more than one cell’s text: a 10 MB cell passes through as a few bytes', () => {
    const guard = new CellGuard(',', 1024);
    let out = guard.feed('T1,');
    const chunk = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 160; i++) out += guard.feed(chunk);
    out += guard.feed(',女\n') + guard.finish();
    expect(out).toBe(`T1,\u0000${160 * chunk.length},女\n`);
  });
});
