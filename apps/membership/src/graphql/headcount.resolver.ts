import { Args, Context, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { todayInShanghai } from '@unionfed/domain-kit';
import { CurrentActing, type RequestActing } from '@unionfed/audit';
import { HeadcountCommands } from '../application/headcount.commands';
import { joinRateOf } from '../domain/headcount';
import type { Branch } from '../domain/structure';
import { HeadcountRepository } from '../infrastructure/headcount.repository';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { activeMembersLoader, headcountsLoader } from './branch-loader';

/** 入会率 as the schema's JoinRate: the percent is the integer tenths' decimal (993 → 99.3). */
function joinRateOfToday(members: number, staffHeadcount: number) {
  const rate = joinRateOf(members, staffHeadcount, Number(todayInShanghai().slice(0, 4)));
  return rate ? { ...rate, percent: rate.tenthsOfPercent / 10 } : null;
}

@Resolver()
export class HeadcountRootResolver {
  constructor(private readonly commands: HeadcountCommands) {}

  @Mutation('setBranchStaffHeadcount')
  setBranchStaffHeadcount(
    @Args('input') input: { branchId: string; year: number; staffHeadcount: number },
    @CurrentActing() acting: RequestActing,
  ): Promise<Branch> {
    return this.commands.setStaffHeadcount(input, acting);
  }
}

@Resolver('Branch')
export class BranchHeadcountResolver {
  constructor(
    private readonly repository: MembershipRepository,
    private readonly headcounts: HeadcountRepository,
  ) {}

  @ResolveField('staffHeadcounts')
  async staffHeadcounts(@Parent() branch: Branch, @Context() ctx: object) {
    const counts = (await headcountsLoader(ctx, this.headcounts).load(branch.id)) ?? [];
    return counts.map((c) => ({ ...c, recordedAt: c.recordedAt.toISOString() }));
  }

  /** The branch's active members, counted for every branch of the request in one query. */
  @ResolveField('joinRateDetail')
  async joinRateDetail(@Parent() branch: Branch, @Context() ctx: object) {
    const members = (await activeMembersLoader(ctx, this.repository).load(branch.id)) ?? 0;
    return joinRateOfToday(members, branch.staffHeadcount);
  }
}

@Resolver('MembershipStatistics')
export class StatisticsJoinRateResolver {
  @ResolveField('joinRateDetail')
  joinRateDetail(@Parent() statistics: { activeMembers: number; staffHeadcount: number }) {
    return joinRateOfToday(statistics.activeMembers, statistics.staffHeadcount);
  }
}
