import type { GraphQLResolveInfo } from 'graphql';
import {
  Args,
  Context,
  Info,
  Mutation,
  Parent,
  Query,
  ResolveField,
  ResolveReference,
  Resolver,
} from '@nestjs/graphql';
import { isUuid } from '@unionfed/persistence';
import { CurrentReach, Reach } from '@unionfed/auth';
import { NotFoundError, todayInShanghai } from '@unionfed/domain-kit';
import {
  decodeCursor,
  pageSize,
  selectsField,
  toConnection,
  withPreloaded,
  type Connection,
} from '@unionfed/graphql-kit';
import { CurrentActing, type RequestActing } from '@unionfed/audit';
import { MembershipCommands } from '../application/membership.commands';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { memberHistoryOf } from '../infrastructure/member.mapper';
import { joinRate, type Branch, type Campus } from '../domain/structure';
import type { AdmitMemberInput, Member } from '../domain/member';
import { birthdayWindow, rosterCriteria, type RosterInput } from '../domain/roster';
import { HeadcountRepository } from '../infrastructure/headcount.repository';
import { headcountInYear } from '../domain/headcount';
import { activeMembersLoader, branchLoader, headcountsLoader } from './branch-loader';

/** Ids that are not UUIDs cannot exist: answer "not there" instead of letting PostgreSQL reject the cast. */
const existingId = (id: string) => isUuid(id);

@Resolver()
export class MembershipRootResolver {
  constructor(
    private readonly commands: MembershipCommands,
    private readonly repository: MembershipRepository,
  ) {}

  @Query('campuses')
  campuses(): Promise<Campus[]> {
    return this.repository.listCampuses();
  }

  @Query('branches')
  branches(@Args('campusId') campusId?: string): Promise<Branch[]> {
    if (campusId && !existingId(campusId)) return Promise.resolve([]);
    return this.repository.listBranches(campusId);
  }

  @Query('branch')
  async branch(@Args('id') id: string): Promise<Branch | undefined> {
    return existingId(id) ? this.repository.findBranch(id) : undefined;
  }

  @Query('member')
  async member(@Args('id') id: string, @CurrentReach() reach: Reach): Promise<Member | undefined> {
    return reached(existingId(id) ? await this.repository.findMember(id) : undefined, reach);
  }

  @Query('memberByStaffNumber')
  async memberByStaffNumber(
    @Args('staffNumber') staffNumber: string,
    @CurrentReach() reach: Reach,
  ): Promise<Member | undefined> {
    return reached(await this.repository.findMemberByStaffNumber(staffNumber.trim().toUpperCase()), reach);
  }

  @Query('members')
  members(
    @CurrentReach() reach: Reach,
    @Info() info: GraphQLResolveInfo,
    @Args('filter') filter?: RosterInput,
    @Args('first') first?: number,
    @Args('after') after?: string,
  ) {
    return roster(this.repository, reach, filter ?? {}, first, after, info);
  }

  @Query('membershipStatistics')
  async membershipStatistics(@CurrentReach() reach: Reach, @Args('branchId') branchId?: string) {
    if (branchId) reach.assertBranch(branchId);
    else reach.assertFederation();
    if (branchId && !(existingId(branchId) && (await this.repository.findBranch(branchId))))
      throw new NotFoundError('Branch', branchId);
    const stats = await this.repository.statistics(branchId, todayInShanghai());
    return {
      scope: branchId ?? 'FEDERATION',
      ...stats,
      joinRate: joinRate(stats.activeMembers, stats.staffHeadcount) ?? null,
    };
  }

  @Query('upcomingBirthdays')
  upcomingBirthdays(
    @CurrentReach() reach: Reach,
    @Args('days') days = 30,
    @Args('branchId') branchId?: string,
  ) {
    const window = birthdayWindow(days);
    if (branchId) reach.assertBranch(branchId);
    if (branchId && !existingId(branchId)) return [];
    return this.repository.upcomingBirthdays(todayInShanghai(), window, branchId, reach);
  }

  @Mutation('openCampus')
  openCampus(
    @Args('input') input: { code: string; name: string },
    @CurrentActing() acting: RequestActing,
  ): Promise<Campus> {
    return this.commands.openCampus(input, acting);
  }

  @Mutation('openBranch')
  openBranch(
    @Args('input')
    input: { campusId: string; code: string; name: string; kind: string; staffHeadcount: number },
    @CurrentActing() acting: RequestActing,
  ): Promise<Branch> {
    return this.commands.openBranch(input, acting);
  }

  @Mutation('admitMember')
  admitMember(
    @Args('input') input: AdmitMemberInput & { branchId: string },
    @CurrentActing() acting: RequestActing,
  ): Promise<Member> {
    return this.commands.admitMember(input, acting);
  }

  @Mutation('retireMember')
  retireMember(
    @Args('input') input: StatusChangeInput,
    @CurrentActing() acting: RequestActing,
  ): Promise<Member> {
    return this.changeStatus(input, 'RETIRED', acting);
  }

  @Mutation('withdrawMember')
  withdrawMember(
    @Args('input') input: StatusChangeInput,
    @CurrentActing() acting: RequestActing,
  ): Promise<Member> {
    return this.changeStatus(input, 'WITHDRAWN', acting);
  }

  @Mutation('recordMemberDeath')
  recordMemberDeath(
    @Args('input') input: StatusChangeInput,
    @CurrentActing() acting: RequestActing,
  ): Promise<Member> {
    return this.changeStatus(input, 'DECEASED', acting);
  }

  /** The reach is checked inside the command, on the locked member (a transfer cannot slip between). */
  private changeStatus(
    input: StatusChangeInput,
    change: 'RETIRED' | 'WITHDRAWN' | 'DECEASED',
    acting: RequestActing,
  ): Promise<Member> {
    return this.commands.changeStatus(input.memberId, change, input, acting);
  }
}

/** A member record the caller reaches; undefined when there is none, and for one out of reach (audited). */
function reached(member: Member | undefined, reach: Reach): Member | undefined {
  return reach.visibleMember(member);
}

type StatusChangeInput = { memberId: string; effectiveOn?: string | null; reason?: string | null };

/**
 * A roster page as a connection. The rows, their branches (preloaded: `branch` on each member answers without
 * its resolver or a query) and — only when the query selects `totalCount` — the count come in one SQL
 * statement. Unselected, `totalCount` is a function the default resolver would call: it counts then.
 */
async function roster(
  repository: MembershipRepository,
  reach: Reach,
  filter: RosterInput,
  first: number | undefined,
  after: string | undefined,
  info: GraphQLResolveInfo,
): Promise<Connection<Member>> {
  const size = pageSize(first);
  const afterId = after ? decodeCursor(after) : undefined;
  const criteria = rosterCriteria(filter, todayInShanghai());
  // asking for another branch is refused (and audited); without a branch the list is narrowed to the reach in SQL
  if (criteria.branchId) reach.assertBranch(criteria.branchId);
  if ((criteria.branchId && !existingId(criteria.branchId)) || (afterId && !existingId(afterId))) {
    return toConnection<Member>([], size, 0, (m) => m.id);
  }
  const count = selectsField(info, 'totalCount');
  const page = await repository.roster(criteria, size, afterId, reach, { count, branches: true });
  return toConnection(
    page.rows.map((member) => {
      const branch = page.branches?.get(member.branchId);
      return branch ? withPreloaded(member, { branch }) : member;
    }),
    size,
    page.totalCount ?? (() => repository.rosterCount(criteria, reach)),
    (m) => m.id,
  );
}

@Resolver('Campus')
export class CampusResolver {
  constructor(private readonly repository: MembershipRepository) {}

  @ResolveField('branches')
  branches(@Parent() campus: Campus): Promise<Branch[]> {
    return this.repository.listBranches(campus.id);
  }
}

@Resolver('Branch')
export class BranchResolver {
  constructor(
    private readonly repository: MembershipRepository,
    private readonly headcounts: HeadcountRepository,
  ) {}

  @ResolveReference()
  resolveReference(reference: { id: string }): Promise<Branch | undefined> {
    return existingId(reference.id) ? this.repository.findBranch(reference.id) : Promise.resolve(undefined);
  }

  @ResolveField('campus')
  campus(@Parent() branch: Branch): Promise<Campus | undefined> {
    return this.repository.findCampus(branch.campusId);
  }

  /** The count in effect in `year` (the branch's own, the latest, when omitted: no year ahead is counted). */
  @ResolveField('staffHeadcount')
  async staffHeadcount(
    @Parent() branch: Branch,
    @Context() ctx: object,
    @Args('year') year?: number | null,
  ): Promise<number> {
    if (year === undefined || year === null) return branch.staffHeadcount;
    const counts = (await headcountsLoader(ctx, this.headcounts).load(branch.id)) ?? [];
    return headcountInYear(counts, year) ?? 0;
  }

  /** Counted for every branch of the request at once (one query), as the join rates are. */
  @ResolveField('activeMembers')
  async activeMembers(@Parent() branch: Branch, @Context() ctx: object): Promise<number> {
    return (await activeMembersLoader(ctx, this.repository).load(branch.id)) ?? 0;
  }

  @ResolveField('joinRate')
  async joinRate(@Parent() branch: Branch, @Context() ctx: object): Promise<number | null> {
    const active = (await activeMembersLoader(ctx, this.repository).load(branch.id)) ?? 0;
    return joinRate(active, branch.staffHeadcount) ?? null;
  }

  @ResolveField('members')
  members(
    @Parent() branch: Branch,
    @CurrentReach() reach: Reach,
    @Info() info: GraphQLResolveInfo,
    @Args('filter') filter?: RosterInput,
    @Args('first') first?: number,
    @Args('after') after?: string,
  ) {
    return roster(this.repository, reach, { ...filter, branchId: branch.id }, first, after, info);
  }
}

@Resolver('Member')
export class MemberResolver {
  constructor(private readonly repository: MembershipRepository) {}

  @ResolveReference()
  resolveReference(reference: { id: string }): Promise<Member | undefined> {
    return existingId(reference.id) ? this.repository.findMember(reference.id) : Promise.resolve(undefined);
  }

  @ResolveField('branch')
  branch(@Parent() member: Member, @Context() ctx: object): Promise<Branch | undefined> {
    return branchLoader(ctx, this.repository).load(member.branchId);
  }

  @ResolveField('history')
  async history(@Parent() member: Member) {
    return (await this.repository.history(member.id)).map(memberHistoryOf);
  }
}
