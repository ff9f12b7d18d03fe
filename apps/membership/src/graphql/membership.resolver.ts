import {
  Args,
  Context,
  Mutation,
  Parent,
  Query,
  ResolveField,
  ResolveReference,
  Resolver,
} from '@nestjs/graphql';
import { isUuid } from '@unionfed/persistence';
import { InvalidInputError, NotFoundError, todayInShanghai } from '@unionfed/domain-kit';
import { decodeCursor, pageSize, toConnection } from '@unionfed/graphql-kit';
import type { OutboxContext } from '@unionfed/messaging';
import { MembershipCommands } from '../application/membership.commands';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { joinRate, type Branch, type Campus } from '../domain/structure';
import type { AdmitMemberInput, Member } from '../domain/member';
import { rosterCriteria, type RosterInput } from '../domain/roster';

interface RequestContext {
  req?: { headers?: Record<string, string | string[] | undefined> };
}

function outboxContext(ctx: RequestContext): OutboxContext {
  const traceparent = ctx.req?.headers?.traceparent;
  return { traceparent: Array.isArray(traceparent) ? traceparent[0] : traceparent };
}

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
  async member(@Args('id') id: string): Promise<Member | undefined> {
    return existingId(id) ? this.repository.findMember(id) : undefined;
  }

  @Query('memberByStaffNumber')
  memberByStaffNumber(@Args('staffNumber') staffNumber: string): Promise<Member | undefined> {
    return this.repository.findMemberByStaffNumber(staffNumber.trim().toUpperCase());
  }

  @Query('members')
  members(
    @Args('filter') filter?: RosterInput,
    @Args('first') first?: number,
    @Args('after') after?: string,
  ) {
    return roster(this.repository, filter ?? {}, first, after);
  }

  @Query('membershipStatistics')
  async membershipStatistics(@Args('branchId') branchId?: string) {
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
  upcomingBirthdays(@Args('days') days = 30, @Args('branchId') branchId?: string) {
    if (!Number.isInteger(days) || days < 1 || days > 366) {
      throw new InvalidInputError('days must be 1–366', 'INVALID_DAYS', { field: 'days' });
    }
    if (branchId && !existingId(branchId)) return [];
    return this.repository.upcomingBirthdays(todayInShanghai(), days, branchId);
  }

  @Mutation('openCampus')
  openCampus(@Args('input') input: { code: string; name: string }): Promise<Campus> {
    return this.commands.openCampus(input);
  }

  @Mutation('openBranch')
  openBranch(
    @Args('input')
    input: { campusId: string; code: string; name: string; kind: string; staffHeadcount: number },
    @Context() ctx: RequestContext,
  ): Promise<Branch> {
    if (!existingId(input.campusId)) throw new NotFoundError('Campus', input.campusId);
    return this.commands.openBranch(input, outboxContext(ctx));
  }

  @Mutation('admitMember')
  admitMember(
    @Args('input') input: AdmitMemberInput & { branchId: string },
    @Context() ctx: RequestContext,
  ): Promise<Member> {
    if (!existingId(input.branchId)) throw new NotFoundError('Branch', input.branchId);
    return this.commands.admitMember(input, outboxContext(ctx));
  }

  @Mutation('transferMember')
  transferMember(
    @Args('input') input: { memberId: string; toBranchId: string; effectiveOn?: string | null },
    @Context() ctx: RequestContext,
  ): Promise<Member> {
    if (!existingId(input.memberId)) throw new NotFoundError('Member', input.memberId);
    if (!existingId(input.toBranchId)) throw new NotFoundError('Branch', input.toBranchId);
    return this.commands.transfer(input.memberId, input, outboxContext(ctx));
  }

  @Mutation('retireMember')
  retireMember(@Args('input') input: StatusChangeInput, @Context() ctx: RequestContext): Promise<Member> {
    return this.changeStatus(input, 'RETIRED', ctx);
  }

  @Mutation('withdrawMember')
  withdrawMember(@Args('input') input: StatusChangeInput, @Context() ctx: RequestContext): Promise<Member> {
    return this.changeStatus(input, 'WITHDRAWN', ctx);
  }

  @Mutation('recordMemberDeath')
  recordMemberDeath(
    @Args('input') input: StatusChangeInput,
    @Context() ctx: RequestContext,
  ): Promise<Member> {
    return this.changeStatus(input, 'DECEASED', ctx);
  }

  private changeStatus(
    input: StatusChangeInput,
    change: 'RETIRED' | 'WITHDRAWN' | 'DECEASED',
    ctx: RequestContext,
  ): Promise<Member> {
    if (!existingId(input.memberId)) throw new NotFoundError('Member', input.memberId);
    return this.commands.changeStatus(input.memberId, change, input, outboxContext(ctx));
  }
}

type StatusChangeInput = { memberId: string; effectiveOn?: string | null; reason?: string | null };

async function roster(repository: MembershipRepository, filter: RosterInput, first?: number, after?: string) {
  const size = pageSize(first);
  const afterId = after ? decodeCursor(after) : undefined;
  const criteria = rosterCriteria(filter, todayInShanghai());
  if ((criteria.branchId && !existingId(criteria.branchId)) || (afterId && !existingId(afterId))) {
    return toConnection<Member>([], size, 0, (m) => m.id);
  }
  const page = await repository.roster(criteria, size, afterId);
  return toConnection(page.rows, size, page.totalCount, (m) => m.id);
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
  constructor(private readonly repository: MembershipRepository) {}

  @ResolveReference()
  resolveReference(reference: { id: string }): Promise<Branch | undefined> {
    return existingId(reference.id) ? this.repository.findBranch(reference.id) : Promise.resolve(undefined);
  }

  @ResolveField('campus')
  campus(@Parent() branch: Branch): Promise<Campus | undefined> {
    return this.repository.findCampus(branch.campusId);
  }

  @ResolveField('activeMembers')
  async activeMembers(@Parent() branch: Branch): Promise<number> {
    return (await this.repository.activeMembersByBranch([branch.id])).get(branch.id) ?? 0;
  }

  @ResolveField('joinRate')
  async joinRate(@Parent() branch: Branch): Promise<number | null> {
    const active = (await this.repository.activeMembersByBranch([branch.id])).get(branch.id) ?? 0;
    return joinRate(active, branch.staffHeadcount) ?? null;
  }

  @ResolveField('members')
  members(
    @Parent() branch: Branch,
    @Args('filter') filter?: RosterInput,
    @Args('first') first?: number,
    @Args('after') after?: string,
  ) {
    return roster(this.repository, { ...filter, branchId: branch.id }, first, after);
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
  branch(@Parent() member: Member): Promise<Branch | undefined> {
    return this.repository.findBranch(member.branchId);
  }

  @ResolveField('history')
  async history(@Parent() member: Member) {
    const entries = await this.repository.history(member.id);
    return entries.map((e) => ({ ...e, recordedAt: e.recordedAt.toISOString() }));
  }
}
