import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { CurrentActing, type RequestActing } from '@unionfed/audit';
import { MemberRecordCommands } from '../application/member-record.commands';
import type { Member } from '../domain/member';
import type { ProfileCorrection } from '../domain/member-record';

/** 更正会员信息 and 重新入会: thin — the reach is judged inside the command, on the locked member. */
@Resolver()
export class MemberRecordResolver {
  constructor(private readonly commands: MemberRecordCommands) {}

  @Mutation('correctMemberProfile')
  correctMemberProfile(
    @Args('input') { memberId, ...correction }: ProfileCorrection & { memberId: string },
    @CurrentActing() acting: RequestActing,
  ): Promise<Member> {
    return this.commands.correctProfile(memberId, correction, acting);
  }

  @Mutation('reinstateMember')
  reinstateMember(
    @Args('input')
    input: {
      memberId: string;
      branchId?: string | null;
      effectiveOn?: string | null;
      reason?: string | null;
    },
    @CurrentActing() acting: RequestActing,
  ): Promise<Member> {
    return this.commands.reinstate(input, acting);
  }
}
