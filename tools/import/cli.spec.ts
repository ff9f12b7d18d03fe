import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseArgs,
  problemLine,
  progressLine,
  succeeded,
  summaryLines,
  UsageError,
  type JobState,
} from './cli';

const job = (overrides: Partial<JobState> = {}): JobState => ({
  id: 'j1',
  status: 'SUCCEEDED',
  phase: 'DONE',
  mode: 'APPLY',
  onInvalid: 'SKIP',
  format: 'CSV',
  encoding: 'GB18030',
  ignoredColumns: [],
  totalRows: 5,
  processed: 5,
  created: 2,
  updated: 0,
  unchanged: 0,
  invalid: 3,
  errorCount: 5,
  storedErrorCount: 5,
  failure: null,
  ...overrides,
});

describe('npm run import', () => {
  it('reads the command line: a dry run unless --apply, paths from where the user stands', () => {
    expect(parseArgs(['roster.csv'], '/home/officer')).toEqual({
      file: '/home/officer/roster.csv',
      apply: false,
      onInvalid: 'skip',
      mapping: undefined,
    });
    expect(
      parseArgs(['--apply', '/tmp/a.xlsx', '--on-invalid', 'abort', '--mapping={"员工编号":"工号"}'], '/x'),
    ).toEqual({
      file: '/tmp/a.xlsx',
      apply: true,
      onInvalid: 'abort',
      mapping: '{"员工编号":"工号"}',
    });
  });

  it('reads a mapping from a file given with @', () => {
    const dir = mkdtempSync(join(tmpdir(), 'import-cli-'));
    try {
      writeFileSync(join(dir, 'mapping.json'), '{"部门":"所属分工会"}');
      expect(parseArgs(['a.csv', '--mapping', '@mapping.json'], dir).mapping).toBe('{"部门":"所属分工会"}');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what it does not understand', () => {
    expect(() => parseArgs([], '/')).toThrow(UsageError);
    expect(() => parseArgs(['a.csv', '--on-invalid', 'maybe'], '/')).toThrow(
      '--on-invalid must be skip or abort',
    );
    expect(() => parseArgs(['a.csv', '--mapping', '{nope'], '/')).toThrow('--mapping is not valid JSON');
    expect(() => parseArgs(['a.csv', '--force'], '/')).toThrow('unknown option --force');
    expect(() => parseArgs(['a.csv', 'b.csv'], '/')).toThrow('one file at a time');
  });

  it('draws a progress bar once the rows are counted', () => {
    expect(progressLine(job({ status: 'RUNNING', phase: 'SCANNING', totalRows: null, processed: 0 }))).toBe(
      '扫描 scanning…',
    );
    expect(
      progressLine(
        job({ status: 'RUNNING', phase: 'APPLYING', totalRows: 100_000, processed: 25_000, invalid: 12 }),
        8,
      ),
    ).toBe('写入 applying [██░░░░░░]  25% 25,000/100,000 行 rows, 12 无效 invalid');
  });

  it('reports each problem Chinese first, then English, with the row, the column and the staff number', () => {
    expect(
      problemLine({
        row: 7,
        column: '出生日期',
        code: 'INVALID_DATE',
        message: '出生日期格式应为 YYYY-MM-DD',
        messageEn: 'birth date must be YYYY-MM-DD',
        staffNumber: 'T1001',
      }),
    ).toBe(
      '第 7 行 出生日期：出生日期格式应为 YYYY-MM-DD（工号 T1001） — row 7: birth date must be YYYY-MM-DD [INVALID_DATE]',
    );
  });

  it('sums a job up, saying what was not listed and why a job failed', () => {
    expect(
      summaryLines(job({ errorCount: 10_050, storedErrorCount: 10_000, ignoredColumns: ['备注'] })),
    ).toEqual([
      '结果 result: 完成 SUCCEEDED — 导入 apply, 跳过无效行 skip invalid rows',
      '文件 file: CSV GB18030, 5 行 rows',
      '新增 created 2  更新 updated 0  未变 unchanged 0  无效 invalid 3（问题 problems 10050）',
      '未导入的列 columns not imported: 备注',
      '另有 50 个问题未列出（只保存前 10000 个） — 50 more problems not listed',
    ]);
    const failed = job({
      status: 'FAILED',
      failure: { code: 'UNKNOWN_ENCODING', message: '无法识别文件的文字编码', messageEn: 'unknown encoding' },
    });
    expect(summaryLines(failed)).toContain(
      '原因 reason: 无法识别文件的文字编码 — unknown encoding [UNKNOWN_ENCODING]',
    );
  });

  it('exits non-zero unless the job succeeded with every row fine', () => {
    expect(succeeded(job({ invalid: 0, errorCount: 0 }))).toBe(true);
    expect(succeeded(job())).toBe(false);
    expect(succeeded(job({ status: 'ABORTED', invalid: 0, errorCount: 0 }))).toBe(false);
    expect(succeeded(job({ status: 'FAILED', invalid: 0, errorCount: 0 }))).toBe(false);
  });
});
