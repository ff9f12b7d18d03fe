import { Args, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CurrentPrincipal, CurrentReach, type Principal, type Reach } from '@unionfed/auth';
import { isUuid } from '@unionfed/persistence';
import { decodeCursor, pageSize, toConnection } from '@unionfed/graphql-kit';
import { InvalidInputError } from '@unionfed/domain-kit';
import {
  RosterImportRepository,
  type JobViewer,
  type RosterImportJob,
} from '../infrastructure/roster-import.repository';

/** Jobs are seen in SQL by who started them, by the branches they were started within, or by HQ (all). */
function viewerOf(principal: Principal, reach: Reach): JobViewer {
  return { all: reach.all, subject: principal.subject, branchIds: [...reach.branchIds] };
}

type JobView = Omit<RosterImportJob, 'createdAt' | 'startedAt' | 'finishedAt'> & {
  storedErrorCount: number;
  failure: { code: string; message: string; messageEn: string } | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

function view(job: RosterImportJob): JobView {
  return {
    ...job,
    storedErrorCount: job.storedErrors,
    failure: job.failureCode
      ? { code: job.failureCode, message: job.failureMessage ?? '', messageEn: job.failureMessageEn ?? '' }
      : null,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

/** 花名册导入 jobs: their progress while they run, and their problems row by row. */
@Resolver('RosterImportJob')
export class RosterImportResolver {
  constructor(private readonly jobs: RosterImportRepository) {}

  @Query('rosterImport')
  async rosterImport(
    @Args('id') id: string,
    @CurrentPrincipal() principal: Principal,
    @CurrentReach() reach: Reach,
  ): Promise<JobView | null> {
    if (!isUuid(id)) return null;
    const job = await this.jobs.findJob(id, viewerOf(principal, reach));
    return job ? view(job) : null;
  }

  @Query('rosterImports')
  async rosterImports(
    @CurrentPrincipal() principal: Principal,
    @CurrentReach() reach: Reach,
    @Args('first') first?: number,
    @Args('after') after?: string,
  ) {
    const size = pageSize(first);
    const beforeId = after ? decodeCursor(after) : undefined;
    if (beforeId && !isUuid(beforeId)) throw invalidCursor();
    const viewer = viewerOf(principal, reach);
    const [rows, totalCount] = await Promise.all([
      this.jobs.listJobs(viewer, size, beforeId),
      this.jobs.countJobs(viewer),
    ]);
    return toConnection(rows.map(view), size, totalCount, (job) => job.id);
  }

  @ResolveField('errors')
  async errors(@Parent() job: JobView, @Args('first') first?: number, @Args('after') after?: string) {
    const size = pageSize(first, 50);
    let position: { row: number; seq: number } | undefined;
    if (after) {
      const [row, seq] = decodeCursor(after).split(':').map(Number);
      if (!Number.isInteger(row) || !Number.isInteger(seq)) throw invalidCursor();
      position = { row, seq };
    }
    const rows = await this.jobs.problems(job.id, size, position);
    return toConnection(rows, size, job.storedErrorCount, (problem) => `${problem.row}:${problem.seq}`);
  }
}

function invalidCursor(): InvalidInputError {
  return new InvalidInputError('after is not a cursor this API gave out', 'INVALID_CURSOR', {
    field: 'after',
  });
}
