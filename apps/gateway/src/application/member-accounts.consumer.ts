import { Injectable } from '@nestjs/common';
import {
  MembershipEvents,
  type MemberDeceased,
  type MemberReinstated,
  type MemberWithdrew,
} from '@unionfed/contracts';
import { EventConsumer, OnEvent, type HandlerContext } from '@unionfed/messaging';
import { MemberAccountService } from './member-accounts.service';

/**
 * Members' own accounts follow their member (consumer `gateway.member-accounts`, after the directory's in the
 * same batch): a member who withdraws or dies can no longer sign in — their account is disabled and its sessions
 * end; a member who is reinstated gets that account back (not one an admin disabled). A transfer needs nothing here: the account's branch is the member's, which the directory follows, so the
 * new branch's officers administer it from then on. A retiree stays a member and keeps their account.
 */
@Injectable()
@EventConsumer('member-accounts')
export class MemberAccountsConsumer {
  constructor(private readonly memberAccounts: MemberAccountService) {}

  @OnEvent(MembershipEvents.MemberWithdrew)
  async memberWithdrew(e: MemberWithdrew, { manager }: HandlerContext): Promise<void> {
    await this.memberAccounts.memberLeft(manager, {
      memberId: e.memberId,
      branchId: e.branchId,
      reason: 'MEMBER_WITHDREW',
    });
  }

  @OnEvent(MembershipEvents.MemberDeceased)
  async memberDeceased(e: MemberDeceased, { manager }: HandlerContext): Promise<void> {
    await this.memberAccounts.memberLeft(manager, {
      memberId: e.memberId,
      branchId: e.branchId,
      reason: 'MEMBER_DECEASED',
    });
  }

  @OnEvent(MembershipEvents.MemberReinstated)
  async memberReinstated(e: MemberReinstated, { manager }: HandlerContext): Promise<void> {
    await this.memberAccounts.memberReturned(manager, { memberId: e.memberId, branchId: e.branchId });
  }
}
