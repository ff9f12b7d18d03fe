import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@unionfed/domain-kit';
import { isUuid } from '@unionfed/persistence';
import { SYSTEM, type RequestActing } from '@unionfed/audit';
import { headcountInYear, setStaffHeadcount } from '../domain/headcount';
import type { Branch } from '../domain/structure';
import { HeadcountRepository } from '../infrastructure/headcount.repository';
import { MembershipUnitOfWork } from '../infrastructure/membership.unit-of-work';
import { StructureRepository } from '../infrastructure/structure.repository';
import { branchStaffHeadcountSet, branchUpdated } from './integration-events';

/** The latest year any count is for: every count is in effect by then. */
const LATEST = Number.MAX_SAFE_INTEGER;

/** 教职工总数: a branch's staff headcount, counted per year. */
@Injectable()
export class HeadcountCommands {
  constructor(
    private readonly unitOfWork: MembershipUnitOfWork,
    private readonly structure: StructureRepository,
    private readonly headcounts: HeadcountRepository,
  ) {}

  /**
   * Records the branch's headcount for a year, leaving the other years as they were counted: the year's count
   * (one row per year: the headcount's history), BranchStaffHeadcountSet and — when the count in effect today
   * changed — BranchUpdated, and the audit row, in one unit of work. The branch is locked first (a merge moving
   * its headcount waits, or is waited for). A branch out of the caller's reach is refused as every change naming
   * a branch is (branches are known to all: FORBIDDEN, naming nothing). The same count again changes nothing and
   * writes nothing. Answers the branch as it now stands.
   */
  setStaffHeadcount(
    input: { branchId: string; year: number; staffHeadcount: number },
    acting: RequestActing = SYSTEM,
  ): Promise<Branch> {
    return this.unitOfWork.run(acting, async (work) => {
      acting.reach.assertBranch(input.branchId);
      const { manager } = work;
      const branch = isUuid(input.branchId)
        ? (await this.structure.lockBranches(manager, [input.branchId])).get(input.branchId)
        : undefined;
      if (!branch) throw new NotFoundError('Branch', input.branchId);
      const count = setStaffHeadcount(branch, input);
      const counts = await this.headcounts.of(manager, branch.id);
      const previous = counts.find((c) => c.year === count.year)?.staffHeadcount;
      if (previous === count.staffHeadcount) return branch;
      await this.headcounts.save(manager, [count]);
      const now = headcountInYear([...counts.filter((c) => c.year !== count.year), count], LATEST) ?? 0;
      const after: Branch = { ...branch, staffHeadcount: now };
      await work.publish([
        branchStaffHeadcountSet(count, previous, new Date()),
        ...(now !== branch.staffHeadcount ? [branchUpdated(after)] : []),
      ]);
      work.audit({
        action: 'BRANCH_STAFF_HEADCOUNT_SET',
        entityType: 'Branch',
        entityId: branch.id,
        branchId: branch.id,
        before: { year: count.year, staffHeadcount: previous ?? null },
        after: { year: count.year, staffHeadcount: count.staffHeadcount },
        details: { inEffectToday: { before: branch.staffHeadcount, after: now } },
      });
      return after;
    });
  }
}
