import { readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Reach } from '@unionfed/auth';
import { uuidv7 } from '@unionfed/persistence';
import { activeTraceparent, extractTraceContext, inSpan } from '@unionfed/telemetry';
import { RosterFileError, type RosterMapping } from '../../domain/roster-import';
import { MembershipRepository } from '../../infrastructure/membership.repository';
import { MembershipUnitOfWork } from '../../infrastructure/membership.unit-of-work';
import {
  RosterImportRepository,
  type ImportMode,
  type OnInvalid,
  type RosterImportJob,
} from '../../infrastructure/roster-import.repository';
import { Interrupted, JobFailure, runImport } from './pipeline';

/** A job whose process has not been heard of for this long is taken for abandoned. */
const ABANDONED_AFTER_SECONDS = 120;
const HEARTBEAT_MS = 30_000;

/** Where uploads wait for their job (each job deletes its file when done; leftovers go at the next start). */
export const UPLOAD_DIRECTORY = join(tmpdir(), 'unionfed-roster-imports');

export interface ImportRequest {
  /** the uploaded file, stored; the job deletes it once done */
  filePath: string;
  fileName: string | null;
  fileBytes: number;
  mode: ImportMode;
  onInvalid: OnInvalid;
  mapping: RosterMapping;
  startedBy: { subject: string; name: string };
  /** how far the importer reaches (members of other branches are refused per row, FORBIDDEN) */
  reach: Reach;
}

/** The span a job runs in, under the upload request's (whose trace context the job row keeps). */
export const ROSTER_IMPORT_SPAN = 'roster import';

/**
 * 花名册导入 as background jobs, one at a time per process: the job is stored QUEUED at once, then run by
 * `runImport` (the pipeline) from the uploaded file, which it deletes once done. While this process holds a job
 * (queued or running) it renews the job's heartbeat; a job whose heartbeat stopped — its process went away — is
 * marked FAILED (INTERRUPTED) at the next start, and leftover uploads are removed. Importing the same file again
 * finishes it (nothing is repeated). A stop lets the running job end at its next batch and fails those queued.
 */
@Injectable()
export class RosterImports implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RosterImports');
  private readonly queue: { jobId: string; filePath: string; done: () => void }[] = [];
  private readonly settled = new Map<string, Promise<void>>();
  private readonly held = new Set<string>();
  private draining?: Promise<void>;
  private stopping = false;
  private heartbeat?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: RosterImportRepository,
    private readonly membership: MembershipRepository,
    private readonly unitOfWork: MembershipUnitOfWork,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const abandoned = await this.jobs.failAbandoned(ABANDONED_AFTER_SECONDS);
    if (abandoned > 0)
      this.logger.warn(`${abandoned} roster import(s) interrupted by a restart marked FAILED`);
    await removeLeftoverUploads(ABANDONED_AFTER_SECONDS * 1000);
    this.heartbeat = setInterval(() => {
      this.jobs.heartbeat([...this.held]).catch((error: unknown) => this.logger.warn(String(error)));
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.draining;
  }

  /**
   * Creates the job and queues it; the caller gets the job at once (status QUEUED). The job keeps the trace
   * context of the active span (the upload request's): it runs later, in a span of that trace (`execute`).
   */
  async submit(request: ImportRequest): Promise<RosterImportJob> {
    const job = await this.jobs.createJob({
      id: uuidv7(),
      mode: request.mode,
      onInvalid: request.onInvalid,
      fileName: request.fileName,
      fileBytes: request.fileBytes,
      mapping: request.mapping,
      startedBy: request.startedBy.subject,
      startedByName: request.startedBy.name,
      scopeAll: request.reach.all,
      scopeBranchIds: [...request.reach.branchIds],
      traceparent: activeTraceparent() ?? null,
    });
    let done!: () => void;
    this.settled.set(job.id, new Promise<void>((resolve) => (done = resolve)));
    this.held.add(job.id);
    this.queue.push({ jobId: job.id, filePath: request.filePath, done });
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    return job;
  }

  /** Resolves once the job has ended (whatever its outcome). */
  whenSettled(jobId: string): Promise<void> {
    return this.settled.get(jobId) ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      try {
        if (this.stopping) await this.fail(next.jobId, interrupted());
        else await this.execute(next.jobId, next.filePath);
      } finally {
        await rm(next.filePath, { force: true }).catch(() => undefined);
        this.held.delete(next.jobId);
        this.settled.delete(next.jobId);
        next.done();
      }
    }
  }

  /**
   * Runs a job in a span under the upload request's, whatever request queued the loop that runs it: its units of
   * work, SQL, audit rows and events are of the upload's trace.
   */
  private async execute(jobId: string, filePath: string): Promise<void> {
    const job = await this.jobs.findJob(jobId);
    if (!job) return;
    const parent = extractTraceContext(job.traceparent ? { traceparent: job.traceparent } : undefined);
    await inSpan(
      ROSTER_IMPORT_SPAN,
      { parent, attributes: { 'unionfed.roster_import.id': jobId, 'unionfed.roster_import.mode': job.mode } },
      () => this.executeTraced(job, filePath),
    );
  }

  private async executeTraced(job: RosterImportJob, filePath: string): Promise<void> {
    const jobId = job.id;
    await this.jobs.markRunning(jobId);
    try {
      const outcome = await runImport(
        job,
        filePath,
        {
          dataSource: this.dataSource,
          jobs: this.jobs,
          membership: this.membership,
          unitOfWork: this.unitOfWork,
        },
        () => this.stopping,
      );
      await this.jobs.finish(jobId, outcome);
    } catch (error) {
      await this.fail(jobId, error);
    }
  }

  private async fail(jobId: string, error: unknown): Promise<void> {
    if (error instanceof RosterFileError) {
      await this.jobs.finish(jobId, 'FAILED', {
        code: error.reason,
        message: error.messageZh,
        messageEn: error.message,
      });
      return;
    }
    if (error instanceof Interrupted) {
      await this.jobs.finish(jobId, 'FAILED', interrupted());
      return;
    }
    if (error instanceof JobFailure) {
      await this.jobs.finish(jobId, 'FAILED', {
        code: error.code,
        message: error.messageZh,
        messageEn: error.message,
      });
      return;
    }
    this.logger.error(`roster import ${jobId} failed: ${(error as Error)?.stack ?? String(error)}`);
    await this.jobs.finish(jobId, 'FAILED', {
      code: 'INTERNAL',
      message: '导入因内部错误中止；已提交的批次保留，重新导入同一文件即可继续（不会重复）',
      messageEn:
        'the import stopped on an internal error; committed batches stay — import the same file again to finish (nothing is repeated)',
    });
  }
}

/** Uploads older than `ageMs` belong to no running job (a job's process went away before deleting its file). */
async function removeLeftoverUploads(ageMs: number): Promise<void> {
  const names = await readdir(UPLOAD_DIRECTORY).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(UPLOAD_DIRECTORY, name);
    const info = await stat(path).catch(() => undefined);
    if (info && Date.now() - info.mtimeMs > ageMs) await rm(path, { force: true }).catch(() => undefined);
  }
}

function interrupted() {
  return {
    code: 'INTERRUPTED',
    message: '导入因服务停止而中断；重新导入同一文件即可（已导入的行不会重复）',
    messageEn:
      'the import was interrupted because the service stopped; import the same file again (rows already imported are not repeated)',
  };
}
