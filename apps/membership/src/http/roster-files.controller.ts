import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Controller, Get, Logger, Post, Req, Res } from '@nestjs/common';
import { InvalidInputError, todayInShanghai } from '@unionfed/domain-kit';
import { HttpAccess, HttpCaller, HttpRefusal, type HttpAccessPolicy } from '@unionfed/graphql-kit';
import { isUuid } from '@unionfed/persistence';
import { RosterImports, UPLOAD_DIRECTORY } from '../application/roster-import';
import { RosterExport, type ExportFormat } from '../application/roster-export';
import { rosterCriteria } from '../domain/roster';
import { parseMapping } from '../domain/roster-import';

/** Who may upload and download rosters: the same as the GraphQL roster's writers, within their branches. */
export const ROSTER_FILES_POLICY: HttpAccessPolicy = {
  roles: ['ADMIN', 'MEMBERSHIP_OFFICER'],
  scope: 'BRANCH',
  integration: false,
  forbidden: {
    message: 'Only administrators and membership officers may import or export rosters',
    messageZh: '只有管理员和组织委员可以导入或导出花名册',
  },
};

/** An upload larger than this is refused (413) as it streams in; 100,000 rows of CSV are about 12 MB. */
export function maxUploadBytes(env: NodeJS.ProcessEnv = process.env): number {
  return Number(env.UNIONFED_ROSTER_MAX_BYTES ?? 32 * 1024 * 1024);
}

const FORM_TYPES = ['application/x-www-form-urlencoded', 'application/json', 'multipart/form-data'];

/**
 * 花名册文件: the roster's file endpoints, beside the GraphQL subgraph (files are not GraphQL's strength).
 *
 *   POST /roster/imports?mode=dry-run|apply&onInvalid=skip|abort[&mapping=<json>][&fileName=…]
 *        the raw CSV or XLSX as the body (any content type but form encodings); streamed to a temporary file
 *        with a size cap, then a job is queued: 202 {jobId}. Progress: GraphQL `rosterImport(id)`.
 *   GET  /roster/export?format=xlsx|csv[&branchId&groupId&status&category&gender&ageBand&joinedFrom&joinedTo&birthMonth&search]
 *        the roster with the GraphQL roster's filters, within the caller's reach, streamed (Chinese headers).
 *
 * Both are the gateway's /uploads/roster and /downloads/roster (libs/service-kit HTTP_ROUTES). `@HttpAccess`
 * (libs/graphql-kit) checks the gateway's signature, the bearer token and ROSTER_FILES_POLICY before a handler
 * runs, and answers whatever it throws as a JSON error (401/403/400/413/415) — never a stack trace. Branch
 * reach is checked where the data is: the export's SQL and its branchId, the import's rows.
 */
@Controller('roster')
export class RosterFilesController {
  private readonly audit = new Logger('Audit');

  constructor(
    private readonly imports: RosterImports,
    private readonly exporter: RosterExport,
  ) {}

  @Post('imports')
  @HttpAccess(ROSTER_FILES_POLICY)
  async upload(
    @HttpCaller() { principal, reach }: HttpCaller,
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const url = requestUrl(req);
    const mode = choice(url, 'mode', { 'dry-run': 'DRY_RUN', apply: 'APPLY' } as const, 'dry-run');
    const onInvalid = choice(url, 'onInvalid', { skip: 'SKIP', abort: 'ABORT' } as const, 'skip');
    const mapping = parseMapping(url.searchParams.get('mapping') ?? headerOf(req, 'x-roster-mapping'));
    // form and JSON bodies are read by the framework's body parsers before this runs; a file is sent raw
    const type = (headerOf(req, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (FORM_TYPES.includes(type) || req.readableEnded) {
      throw new HttpRefusal(
        415,
        'BAD_USER_INPUT',
        'UNSUPPORTED_MEDIA_TYPE',
        'send the file itself as the body, as text/csv, application/octet-stream or the XLSX type (not a form)',
        '请直接以文件内容作为请求体上传（text/csv、application/octet-stream 或 XLSX 类型），不要用表单编码',
      );
    }
    const max = maxUploadBytes();
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) throw tooLarge(max);
    await mkdir(UPLOAD_DIRECTORY, { recursive: true, mode: 0o700 });
    const filePath = join(UPLOAD_DIRECTORY, `${randomUUID()}.upload`);
    let bytes: number;
    try {
      bytes = await receive(req, filePath, max);
    } catch (error) {
      await rm(filePath, { force: true });
      throw error;
    }
    if (bytes === 0) {
      await rm(filePath, { force: true });
      throw new HttpRefusal(400, 'BAD_USER_INPUT', 'EMPTY_FILE', 'the upload is empty', '上传的文件是空的');
    }
    const job = await this.imports.submit({
      filePath,
      fileName: fileNameOf(req, url),
      fileBytes: bytes,
      mode,
      onInvalid,
      mapping,
      startedBy: { subject: principal.subject, name: principal.name },
      reach,
    });
    this.audit.log(
      `roster import queued ${JSON.stringify({
        action: 'ROSTER_IMPORT',
        actor: principal.subject,
        actorName: principal.name,
        jobId: job.id,
        mode,
        onInvalid,
        bytes,
      })}`,
    );
    sendJson(res, 202, { jobId: job.id, status: job.status, mode, onInvalid });
  }

  @Get('export')
  @HttpAccess(ROSTER_FILES_POLICY)
  async export(
    @HttpCaller() { principal, reach }: HttpCaller,
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const url = requestUrl(req);
    const format = choice(url, 'format', { xlsx: 'xlsx', csv: 'csv' } as const, 'xlsx') as ExportFormat;
    const param = (name: string) => url.searchParams.get(name) || undefined;
    const birthMonth = param('birthMonth');
    const criteria = rosterCriteria(
      {
        branchId: param('branchId'),
        groupId: param('groupId'),
        status: param('status'),
        category: param('category'),
        gender: param('gender'),
        ageBand: param('ageBand'),
        joinedFrom: param('joinedFrom'),
        joinedTo: param('joinedTo'),
        search: param('search'),
        birthMonth: birthMonth === undefined ? undefined : Number(birthMonth),
      },
      todayInShanghai(),
    );
    if (criteria.branchId) {
      if (!isUuid(criteria.branchId)) {
        throw new InvalidInputError('branchId is not a branch id', 'INVALID_ID', { field: 'branchId' });
      }
      reach.assertBranch(criteria.branchId);
    }
    // another branch's group needs no refusal of its own: the export's SQL is narrowed to the reach
    if (criteria.groupId && !isUuid(criteria.groupId)) {
      throw new InvalidInputError('groupId is not a union group id', 'INVALID_ID', { field: 'groupId' });
    }
    const date = todayInShanghai().replace(/-/g, '');
    res.statusCode = 200;
    res.setHeader(
      'content-type',
      format === 'csv'
        ? 'text/csv; charset=utf-8'
        : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    res.setHeader(
      'content-disposition',
      `attachment; filename="roster-${date}.${format}"; filename*=UTF-8''${encodeURIComponent(`花名册-${date}.${format}`)}`,
    );
    res.setHeader('cache-control', 'no-store');
    const rows = await this.exporter.write(criteria, reach, format, res);
    if (!res.writableEnded) res.end();
    this.audit.log(
      `roster exported ${JSON.stringify({
        action: 'ROSTER_EXPORT',
        actor: principal.subject,
        actorName: principal.name,
        format,
        rows,
      })}`,
    );
  }
}

function tooLarge(max: number): HttpRefusal {
  const size = max >= 1024 * 1024 ? `${Math.round(max / 1024 / 1024)} MB` : `${Math.ceil(max / 1024)} KB`;
  return new HttpRefusal(
    413,
    'BAD_USER_INPUT',
    'FILE_TOO_LARGE',
    `the file is larger than ${size}: split it`,
    `文件超过 ${size}，请分成几个文件上传`,
    { connection: 'close' },
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

function requestUrl(req: IncomingMessage): URL {
  return new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://localhost');
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function choice<T extends string>(url: URL, name: string, values: Record<string, T>, fallback: string): T {
  const value = url.searchParams.get(name) ?? fallback;
  const chosen = values[value.toLowerCase()];
  if (!chosen) {
    throw new HttpRefusal(
      400,
      'BAD_USER_INPUT',
      `INVALID_${name.toUpperCase()}`,
      `${name} must be one of ${Object.keys(values).join(', ')}`,
      `参数 ${name} 应为 ${Object.keys(values).join('、')} 之一`,
    );
  }
  return chosen;
}

/** The file's name from ?fileName= or an X-File-Name header (URI-encoded, for Chinese names); for the record. */
function fileNameOf(req: IncomingMessage, url: URL): string | null {
  const raw = url.searchParams.get('fileName') ?? headerOf(req, 'x-file-name');
  if (!raw) return null;
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // kept as sent
  }
  return name.replace(/[\u0000-\u001f]/g, '').slice(0, 255) || null;
}

/**
 * Streams the request body into a file, at most `max` bytes. Beyond, the rest of the body is read and dropped
 * (so that the 413 reaches the caller) and the promise rejects.
 */
function receive(req: IncomingMessage, path: string, max: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    let bytes = 0;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      file.destroy();
      req.resume(); // drain what is still coming, unread
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      bytes += chunk.length;
      if (bytes > max) return fail(tooLarge(max));
      if (!file.write(chunk)) {
        req.pause();
        file.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      if (!failed) file.end(() => resolve(bytes));
    });
    req.on('error', fail);
    req.on('aborted', () =>
      fail(new HttpRefusal(400, 'BAD_USER_INPUT', 'UPLOAD_ABORTED', 'the upload was cut off', '上传中断')),
    );
    file.on('error', fail);
  });
}
