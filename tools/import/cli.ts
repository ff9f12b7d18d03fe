import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { Readable } from 'node:stream';

/**
 * 花名册导入 from the command line, through the gateway:
 *
 *   npm run import -- <file.csv|file.xlsx> [--apply] [--on-invalid skip|abort] [--mapping '<json>'|@mapping.json]
 *
 * Without --apply it is a dry run (every problem reported, nothing written). Uploads the file to the gateway's
 * /uploads/roster, shows a progress bar while polling `rosterImport(id)` over the gateway's GraphQL, then prints
 * the report row by row (Chinese first). Exit code 0 when every row was fine, 1 when a row or the file had a
 * problem (or the job did not succeed), 2 on a usage error.
 *
 * Env: UNIONFED_URL (the gateway, default http://127.0.0.1:4000), UNIONFED_TOKEN (a bearer token).
 */

export interface ImportOptions {
  file: string;
  apply: boolean;
  onInvalid: 'skip' | 'abort';
  mapping?: string;
}

export class UsageError extends Error {}

export const USAGE =
  "usage: npm run import -- <file.csv|file.xlsx> [--apply] [--on-invalid skip|abort] [--mapping '<json>'|@file.json]";

/** The command line; `cwd` is where relative paths start (npm runs scripts from the repository root). */
export function parseArgs(argv: string[], cwd: string): ImportOptions {
  let file: string | undefined;
  let apply = false;
  let onInvalid: 'skip' | 'abort' = 'skip';
  let mapping: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    if (flag === '--apply') apply = true;
    else if (flag === '--dry-run') apply = false;
    else if (flag === '--on-invalid') {
      const v = value();
      if (v !== 'skip' && v !== 'abort') throw new UsageError(`--on-invalid must be skip or abort\n${USAGE}`);
      onInvalid = v;
    } else if (flag === '--mapping') {
      const v = value();
      mapping = v.startsWith('@') ? readFileSync(resolve(cwd, v.slice(1)), 'utf8') : v;
      try {
        JSON.parse(mapping);
      } catch {
        throw new UsageError('--mapping is not valid JSON (e.g. \'{"员工编号":"工号"}\')');
      }
    } else if (flag.startsWith('-')) throw new UsageError(`unknown option ${flag}\n${USAGE}`);
    else if (file === undefined) file = resolve(cwd, arg);
    else throw new UsageError(`one file at a time\n${USAGE}`);
  }
  if (!file) throw new UsageError(USAGE);
  return { file, apply, onInvalid, mapping };
}

export interface JobState {
  id: string;
  status: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'ABORTED' | 'FAILED';
  phase: 'QUEUED' | 'SCANNING' | 'CHECKING' | 'APPLYING' | 'DONE';
  mode: 'DRY_RUN' | 'APPLY';
  onInvalid: 'SKIP' | 'ABORT';
  format: string | null;
  encoding: string | null;
  ignoredColumns: string[];
  totalRows: number | null;
  processed: number;
  created: number;
  updated: number;
  unchanged: number;
  invalid: number;
  errorCount: number;
  storedErrorCount: number;
  failure: { code: string; message: string; messageEn: string } | null;
}

export interface Problem {
  row: number;
  column: string | null;
  code: string;
  message: string;
  messageEn: string;
  staffNumber: string | null;
}

const PHASE_WORDS: Record<JobState['phase'], string> = {
  QUEUED: '排队 queued',
  SCANNING: '扫描 scanning',
  CHECKING: '校验 checking',
  APPLYING: '写入 applying',
  DONE: '完成 done',
};

const STATUS_WORDS: Record<JobState['status'], string> = {
  QUEUED: '排队中 QUEUED',
  RUNNING: '进行中 RUNNING',
  SUCCEEDED: '完成 SUCCEEDED',
  ABORTED: '已中止（未写入任何行） ABORTED (nothing written)',
  FAILED: '失败 FAILED',
};

/** One line of progress: a bar once the row count is known. */
export function progressLine(job: JobState, width = 30): string {
  const phase = PHASE_WORDS[job.phase];
  if (!job.totalRows || job.phase === 'SCANNING' || job.phase === 'QUEUED') return `${phase}…`;
  const share = Math.min(1, job.processed / job.totalRows);
  const filled = Math.round(share * width);
  return (
    `${phase} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ` +
    `${job.processed.toLocaleString('en-US')}/${job.totalRows.toLocaleString('en-US')} 行 rows` +
    (job.invalid ? `, ${job.invalid.toLocaleString('en-US')} 无效 invalid` : '')
  );
}

/** A problem as a line of the report: 第 7 行 出生日期：出生日期格式应为 YYYY-MM-DD — birth date must be … */
export function problemLine(problem: Problem): string {
  const where = problem.row > 0 ? `第 ${problem.row} 行` : '全部 all rows';
  const column = problem.column ? ` ${problem.column}` : '';
  const staff = problem.staffNumber ? `（工号 ${problem.staffNumber}）` : '';
  return `${where}${column}：${problem.message}${staff} — row ${problem.row}: ${problem.messageEn} [${problem.code}]`;
}

/** The report's summary lines. */
export function summaryLines(job: JobState): string[] {
  const mode =
    job.mode === 'DRY_RUN'
      ? '试导入（未写入） dry run (nothing written)'
      : `导入 apply, ${job.onInvalid === 'SKIP' ? '跳过无效行 skip invalid rows' : '全部或全不 all or nothing'}`;
  const lines = [
    `结果 result: ${STATUS_WORDS[job.status]} — ${mode}`,
    `文件 file: ${job.format ?? '?'}${job.encoding ? ` ${job.encoding}` : ''}, ${job.totalRows ?? 0} 行 rows`,
    `新增 created ${job.created}  更新 updated ${job.updated}  未变 unchanged ${job.unchanged}  无效 invalid ${job.invalid}（问题 problems ${job.errorCount}）`,
  ];
  if (job.ignoredColumns.length > 0)
    lines.push(`未导入的列 columns not imported: ${job.ignoredColumns.join('、')}`);
  if (job.failure)
    lines.push(`原因 reason: ${job.failure.message} — ${job.failure.messageEn} [${job.failure.code}]`);
  if (job.storedErrorCount < job.errorCount) {
    const more = job.errorCount - job.storedErrorCount;
    lines.push(
      `另有 ${more} 个问题未列出（只保存前 ${job.storedErrorCount} 个） — ${more} more problems not listed`,
    );
  }
  return lines;
}

/** Whether the run counts as a success for the exit code: the job succeeded and no row had a problem. */
export function succeeded(job: JobState): boolean {
  return job.status === 'SUCCEEDED' && job.invalid === 0 && job.errorCount === 0;
}

const JOB_FIELDS = `id status phase mode onInvalid format encoding ignoredColumns totalRows processed created updated
  unchanged invalid errorCount storedErrorCount failure { code message messageEn }`;

class GatewayClient {
  constructor(
    private readonly base: string,
    private readonly token: string | undefined,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.token ? { authorization: `Bearer ${this.token}` } : {}), ...extra };
  }

  async upload(options: ImportOptions): Promise<string> {
    const query = new URLSearchParams({
      mode: options.apply ? 'apply' : 'dry-run',
      onInvalid: options.onInvalid,
      ...(options.mapping ? { mapping: options.mapping } : {}),
    });
    const size = statSync(options.file).size;
    const extension = extname(options.file).toLowerCase();
    const response = await fetch(`${this.base}/uploads/roster?${query}`, {
      method: 'POST',
      headers: this.headers({
        'content-type':
          extension === '.xlsx'
            ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
            : extension === '.csv'
              ? 'text/csv'
              : 'application/octet-stream',
        'content-length': String(size),
        'x-file-name': encodeURIComponent(basename(options.file)),
      }),
      body: Readable.toWeb(createReadStream(options.file)),
      duplex: 'half',
    } as RequestInit);
    const body = (await response.json().catch(() => ({}))) as {
      jobId?: string;
      error?: { code?: string; message?: string; messageZh?: string };
    };
    if (response.status !== 202 || !body.jobId) {
      const error = body.error;
      throw new Error(
        error
          ? `${error.messageZh ?? ''} — ${error.message ?? ''} [${response.status} ${error.code ?? ''}]`
          : `the gateway answered ${response.status}`,
      );
    }
    return body.jobId;
  }

  async graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const response = await fetch(`${this.base}/graphql`, {
      method: 'POST',
      headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json().catch(() => ({}))) as {
      data?: T;
      errors?: { message: string; extensions?: { code?: string } }[];
    };
    if (body.errors?.length || !body.data) {
      const first = body.errors?.[0];
      throw new Error(
        `GraphQL: ${first ? `${first.message} [${first.extensions?.code ?? ''}]` : `answered ${response.status}`}`,
      );
    }
    return body.data;
  }

  async job(id: string): Promise<JobState> {
    const { rosterImport } = await this.graphql<{ rosterImport: JobState | null }>(
      `query($id: ID!) { rosterImport(id: $id) { ${JOB_FIELDS} } }`,
      { id },
    );
    if (!rosterImport) throw new Error(`import job ${id} cannot be seen with this token`);
    return rosterImport;
  }

  async *problems(id: string): AsyncGenerator<Problem> {
    let after: string | null = null;
    for (;;) {
      const data: {
        rosterImport: {
          errors: {
            edges: { node: Problem }[];
            pageInfo: { hasNextPage: boolean; endCursor: string | null };
          };
        } | null;
      } = await this.graphql(
        `query($id: ID!, $after: String) { rosterImport(id: $id) { errors(first: 100, after: $after) {
           edges { node { row column code message messageEn staffNumber } } pageInfo { hasNextPage endCursor } } } }`,
        { id, after },
      );
      const errors = data.rosterImport?.errors;
      if (!errors) return;
      for (const edge of errors.edges) yield edge.node;
      if (!errors.pageInfo.hasNextPage) return;
      after = errors.pageInfo.endCursor;
    }
  }
}

async function main(): Promise<number> {
  let options: ImportOptions;
  try {
    options = parseArgs(process.argv.slice(2), process.env.INIT_CWD ?? process.cwd());
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  if (!existsSync(options.file)) {
    console.error(`找不到文件 no such file: ${options.file}`);
    return 2;
  }
  const base = (process.env.UNIONFED_URL ?? 'http://127.0.0.1:4000').replace(/\/$/, '');
  const token = process.env.UNIONFED_TOKEN?.trim() || undefined;
  if (!token)
    console.error('提示 note: UNIONFED_TOKEN is not set — the gateway will ask you to sign in (401)');
  const client = new GatewayClient(base, token);

  const jobId = await client.upload(options);
  console.error(`已上传 uploaded ${basename(options.file)} → 任务 job ${jobId}`);
  process.once('SIGINT', () => {
    console.error(`\n任务仍在服务器上运行 the job goes on on the server: rosterImport(id: "${jobId}")`);
    process.exit(130);
  });
  const tty = process.stderr.isTTY;
  let job = await client.job(jobId);
  let lastPrinted = 0;
  while (job.status === 'QUEUED' || job.status === 'RUNNING') {
    const line = progressLine(job);
    if (tty) process.stderr.write(`\r\x1b[2K${line}`);
    else if (Date.now() - lastPrinted > 5000) {
      process.stderr.write(`${line}\n`);
      lastPrinted = Date.now();
    }
    await new Promise((r) => setTimeout(r, 500));
    job = await client.job(jobId);
  }
  if (tty) process.stderr.write(`\r\x1b[2K${progressLine(job)}\n`);

  console.log(summaryLines(job).join('\n'));
  let listed = 0;
  for await (const problem of client.problems(jobId)) {
    if (listed++ === 0) console.log('');
    console.log(problemLine(problem));
  }
  return succeeded(job) ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`import: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
