import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConflictError, NotFoundError } from '@unionfed/domain-kit';
import type { Reach } from '@unionfed/auth';
import type { AuditEntry } from '@unionfed/audit';
import { isUuid, SYSTEM_ACTING } from '@unionfed/persistence';
import { normaliseUsername } from '../domain/accounts';
import {
  assertHasNotLeft,
  assertMayOpenAccount,
  isMemberAccount,
  MemberAccountNotFoundError,
  MemberNotFoundError,
  memberUsername,
  planMemberAccounts,
  type DirectoryMember,
  type SkipReason,
} from '../domain/member-accounts';
import { IdentityRepository, type MemberLeaving } from '../infrastructure/identity.repository';
import { MemberAccountRepository } from '../infrastructure/member-accounts.repository';
import { actingFor, GatewayUnitOfWork } from '../infrastructure/gateway.unit-of-work';
import { auditEntry, AuditLog, type GatewayWork } from './audit-log';
import { performedBy, type Caller } from './caller';
import { hashOneTimePassword, newOneTimePassword } from './secrets';

/** Who may administer members' own accounts: the member's branch's admins and membership officers, or HQ's. */
export const MEMBER_ACCOUNT_ROLES = ['ADMIN', 'MEMBERSHIP_OFFICER'] as const;

/** One line of the sheet an officer hands out: who, and how they sign in the first time. */
export interface MemberCredentials {
  accountId: string;
  memberId: string;
  staffNumber: string;
  name: string;
  username: string;
  /** shown once, stored only as a hash */
  oneTimePassword: string;
}

export interface MemberAccountSheet {
  branchId: string;
  created: MemberCredentials[];
  skipped: { memberId: string; staffNumber: string; name: string; reason: SkipReason }[];
}

const credentials = (
  member: DirectoryMember,
  accountId: string,
  username: string,
  oneTimePassword: string,
): MemberCredentials => ({
  accountId,
  memberId: member.id,
  staffNumber: member.staffNumber ?? '',
  name: member.name ?? '',
  username,
  oneTimePassword,
});

/**
 * Members' own accounts (self-service sign-in, role MEMBER through the link to their record), administered by
 * their branch's officers: one account per member, made for an active member of the gateway's copy of the
 * membership directory, in the officer's reach — one by one or for a whole branch, each with a one-time password
 * handed out once; a new one-time password when the member lost theirs; disabled when the member leaves.
 *
 * Every check reads the member's directory row locked (SHARE), so a leaving event handled at the same time is
 * ordered with it (see `memberLeft`). A member out of reach and one that does not exist get the same answer; the
 * refused attempt is audited on its own.
 */
@Injectable()
export class MemberAccountService {
  constructor(
    private readonly repository: IdentityRepository,
    private readonly members: MemberAccountRepository,
    private readonly audit: AuditLog,
    private readonly unitOfWork: GatewayUnitOfWork,
  ) {}

  /** An account for one member; its username is the staff number unless one is given. */
  async createAccount(
    actor: Caller,
    reach: Reach,
    memberId: string,
    usernameInput?: string | null,
  ): Promise<MemberCredentials> {
    if (!isUuid(memberId)) throw new MemberNotFoundError();
    const given = usernameInput ? normaliseUsername(usernameInput) : undefined;
    return this.unitOfWork.run(this.acting(actor), async (work) => {
      // the branch's lock first, as a bulk run takes it, then the member's row
      const seen = await this.members.member(memberId, work.manager);
      if (seen) await this.members.lockBranch(work.manager, seen.branchId);
      const member = await this.memberInReach(work, actor, reach, memberId, 'MEMBER_ACCOUNT_CREATED');
      assertMayOpenAccount(member);
      if (await this.repository.findAccountByMember(member.id, work.manager))
        throw new ConflictError(
          'The member has an account already (该会员已开通账号)',
          'MEMBER_ALREADY_HAS_ACCOUNT',
          { field: 'memberId' },
        );
      const username = given ?? memberUsername(member.staffNumber);
      if (!username)
        throw new ConflictError(
          'The staff number cannot be a username: give one (工号不能用作用户名，请指定用户名)',
          'NO_USABLE_USERNAME',
          { field: 'username' },
        );
      if ((await this.repository.takenUsernames(work.manager, [username])).size > 0)
        throw new ConflictError(`username "${username}" is taken`, 'USERNAME_TAKEN', { field: 'username' });
      const [created] = await this.open(work, actor, [{ member, username }]);
      return created;
    });
  }

  /**
   * Accounts for every active member of the branch who has none, each with its one-time password: the sheet is
   * answered now and never again (the passwords are kept only as hashes), and a second run makes only the
   * accounts still missing. Members whose staff number cannot be had as a username are listed as skipped.
   */
  async createForBranch(actor: Caller, reach: Reach, branchId: string): Promise<MemberAccountSheet> {
    // branches are known to everyone signed in: another branch is refused as such (and audited), not hidden
    reach.assertBranch(branchId);
    if (!isUuid(branchId)) throw new NotFoundError('Branch', branchId);
    return this.unitOfWork.run(this.acting(actor, branchId), async (work) => {
      const { manager } = work;
      if (!(await this.members.branchKnown(branchId, manager))) throw new NotFoundError('Branch', branchId);
      await this.members.lockBranch(manager, branchId);
      const waiting = await this.members.activeMembersWithoutAccount(manager, branchId);
      const usernames = waiting.map((m) => memberUsername(m.staffNumber)).filter((u): u is string => !!u);
      const plan = planMemberAccounts(waiting, await this.repository.takenUsernames(manager, usernames));
      return {
        branchId,
        created: await this.open(work, actor, plan.create),
        skipped: plan.skip.map(({ member, reason }) => ({
          memberId: member.id,
          staffNumber: member.staffNumber ?? '',
          name: member.name ?? '',
          reason,
        })),
      };
    });
  }

  /** A new one-time password for a member's own account (the old one and every session end). */
  async resetPassword(actor: Caller, reach: Reach, memberId: string): Promise<MemberCredentials> {
    if (!isUuid(memberId)) throw new MemberNotFoundError();
    return this.unitOfWork.run(this.acting(actor), async (work) => {
      const { manager } = work;
      const member = await this.memberInReach(work, actor, reach, memberId, 'PASSWORD_RESET');
      assertHasNotLeft(member);
      const account = await this.repository.findAccountByMember(member.id, manager, true);
      // a staff account linked to the member is its admins' to reset (resetPassword), not the branch officer's
      if (!account || !isMemberAccount(await this.repository.grantsOf(account.id, manager)))
        throw new MemberAccountNotFoundError();
      const oneTimePassword = newOneTimePassword(account.username);
      await this.repository.setPassword(
        manager,
        account.id,
        await hashOneTimePassword(oneTimePassword),
        true,
      );
      await this.repository.revokeAllOf(manager, account.id);
      const row = credentials(member, account.id, account.username, oneTimePassword);
      this.audit.within(work, {
        action: 'PASSWORD_RESET',
        outcome: 'SUCCESS',
        ...performedBy(actor),
        entity: 'Account',
        entityId: account.id,
        branchId: member.branchId,
        details: { username: account.username, memberId: member.id, oneTimePassword },
      });
      return row;
    });
  }

  /**
   * A member left the union (withdrew, died): their own account is disabled and its sessions end, in the inbox
   * transaction of the event (libs/messaging), with an audit row each. The member's directory row is locked
   * first (FOR UPDATE), so an account being made for them meanwhile is either seen and disabled here, or made
   * after this and refused there (the directory then says they are gone). A staff account linked to them keeps
   * its roles; its MEMBER reach ends with the member (SessionService).
   */
  async memberLeft(
    manager: EntityManager,
    event: { memberId: string; branchId: string; reason: MemberLeaving },
  ): Promise<number> {
    await this.members.member(event.memberId, manager, 'UPDATE');
    const disabled = await this.repository.disableMemberAccounts(manager, event.memberId, event.reason);
    const entries: AuditEntry[] = disabled.map((account) =>
      auditEntry({
        action: 'ACCOUNT_DISABLED',
        outcome: 'SUCCESS',
        actorName: 'system',
        entity: 'Account',
        entityId: account.id,
        branchId: event.branchId || null,
        details: { username: account.username, memberId: event.memberId, reason: event.reason },
      }),
    );
    await this.audit.trail.write(manager, SYSTEM_ACTING, entries);
    return disabled.length;
  }

  /**
   * A member was reinstated: the account the membership disabled when they left is enabled again (sign-in with
   * the password it had; their officers can hand out a new one-time password), in the inbox transaction of the
   * event, with an audit row each. An account an admin disabled stays disabled.
   */
  async memberReturned(
    manager: EntityManager,
    event: { memberId: string; branchId: string },
  ): Promise<number> {
    await this.members.member(event.memberId, manager, 'UPDATE');
    const enabled = await this.repository.enableReturningMemberAccounts(manager, event.memberId);
    const entries: AuditEntry[] = enabled.map((account) =>
      auditEntry({
        action: 'ACCOUNT_ENABLED',
        outcome: 'SUCCESS',
        actorName: 'system',
        entity: 'Account',
        entityId: account.id,
        branchId: event.branchId || null,
        details: { username: account.username, memberId: event.memberId, reason: 'MEMBER_REINSTATED' },
      }),
    );
    await this.audit.trail.write(manager, SYSTEM_ACTING, entries);
    return enabled.length;
  }

  /**
   * The member's directory row, locked (SHARE), if the caller reaches it for a change (their branch's officers,
   * HQ; never their own record through MEMBER). Otherwise — unknown, not in the directory yet, another branch's —
   * the same NOT_FOUND, and the refusal of a member that exists is audited on its own.
   */
  private async memberInReach(
    work: GatewayWork,
    actor: Caller,
    reach: Reach,
    memberId: string,
    action: string,
  ): Promise<DirectoryMember> {
    const member = await this.members.member(memberId, work.manager, 'SHARE');
    if (!member) throw new MemberNotFoundError();
    if (!reach.includesBranch(member.branchId)) {
      await this.audit.record({
        action,
        outcome: 'REFUSED',
        ...performedBy(actor),
        entity: 'Member',
        entityId: memberId,
        branchId: member.branchId,
        details: { reason: 'MEMBER_OUT_OF_REACH' },
      });
      throw new MemberNotFoundError();
    }
    return member;
  }

  /** Makes the accounts (one statement) and audits each; the one-time passwords go back to the caller only. */
  private async open(
    work: GatewayWork,
    actor: Caller,
    planned: { member: DirectoryMember; username: string }[],
  ): Promise<MemberCredentials[]> {
    const withPasswords = await Promise.all(
      planned.map(async (p) => {
        const oneTimePassword = newOneTimePassword(p.username);
        return { ...p, oneTimePassword, hash: await hashOneTimePassword(oneTimePassword) };
      }),
    );
    const ids = await this.repository.insertAccounts(
      work.manager,
      withPasswords.map(({ member, username, hash }) => ({
        username,
        displayName: member.name || member.staffNumber || username,
        passwordHash: hash,
        mustChangePassword: true,
        memberId: member.id,
      })),
    );
    return withPasswords.map(({ member, username, oneTimePassword }, i) => {
      this.audit.within(work, {
        action: 'MEMBER_ACCOUNT_CREATED',
        outcome: 'SUCCESS',
        ...performedBy(actor),
        entity: 'Account',
        entityId: ids[i],
        branchId: member.branchId,
        // the sheet's line as it was handed out; the password is redacted by declaration (audit-log.ts)
        details: { username, memberId: member.id, staffNumber: member.staffNumber, oneTimePassword },
      });
      return credentials(member, ids[i], username, oneTimePassword);
    });
  }

  /** The grant a member-account change is made with, for the audit row: HQ's first, else the branch's. */
  private acting(actor: Caller, branchId?: string) {
    return actingFor(actor.principal, { roles: MEMBER_ACCOUNT_ROLES, branchId });
  }
}
