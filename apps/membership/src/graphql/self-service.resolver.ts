import { Query, Resolver } from '@nestjs/graphql';
import { CurrentReach, Reach } from '@unionfed/auth';
import type { Member } from '../domain/member';
import { MembershipRepository } from '../infrastructure/membership.repository';

/**
 * Self-service for members (会员自助): the member's own record, from the MEMBER reach the gateway's session gives
 * an account linked to it (`Reach.ownMemberId`). Nothing here takes a member id from the caller, so there is
 * nobody else's record to ask for; the fields of Member (profile, branch, history) answer as they do for staff.
 */
@Resolver()
export class SelfServiceResolver {
  constructor(private readonly repository: MembershipRepository) {}

  @Query('myMembership')
  async myMembership(@CurrentReach() reach: Reach): Promise<Member | undefined> {
    const own = reach.ownMemberId;
    return own ? reach.visibleMember(await this.repository.findMember(own)) : undefined;
  }
}
