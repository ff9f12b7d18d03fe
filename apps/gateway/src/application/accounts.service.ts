import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '@unionfed/domain-kit';
import type { Grant, Principal } from '@unionfed/auth';
import { isUuid } from '@unionfed/persistence';
import {
  AccountNotFoundError,
  administeredBranches,
  assertMayManageGrant,
  isHqAdmin,
  mayAdministerAccount,
  normaliseUsername,
  parseGrant,
  visibleGrants,
} from '../domain/accounts';
import { assertHasNotLeft, MemberNotFoundError } from '../domain/member-accounts';
import { IdentityRepository, type AccountRow } from '../infrastructure/identity.repository';
import { MemberAccountRepository } from '../infrastructure/member-accounts.repository';
import { actingFor, GatewayUnitOfWork } from '../infrastructure/gateway.unit-of-work';
import { AuditLog } from './audit-log';
import { performedBy, type Caller } from './caller';
import { hashOneTimePassword, newOneTimePassword } from './secrets';

/**
 * Account administration: accounts and their role grants, status, one-time passwords and member links. HQ
 * admins administer every account, a branch admin only those wholly within their branch (domain/accounts.ts);
 * each change runs in the gateway's unit of work with its audit row.
 */
@Injectable()
export class AccountService {
  constructor(
    private readonly repository: IdentityRepository,
    private readonly members: MemberAccountRepository,
    private readonly audit: AuditLog,
    private readonly unitOfWork: GatewayUnitOfWork,
  ) {}

  async account(id: string): Promise<AccountRow | undefined> {
    return isUuid(id) ? this.repository.findAccount(id) : undefined;
  }

  /** An account as an admin may read it: undefined when there is none or it is beyond the admin's reach. */
  async accountFor(actor: Principal, id: string): Promise<AccountRow | undefined> {
    const account = await this.account(id);
    return account && mayAdministerAccount(actor, await this.repository.grantsOf(id)) ? account : undefined;
  }

  /** The grants of an account that `actor` may see (none of an account beyond a branch admin's reach). */
  async grantsVisibleTo(actor: Principal, accountId: string): Promise<Grant[]> {
    return visibleGrants(actor, await this.repository.grantsOf(accountId));
  }

  /** Accounts the actor administers: all for HQ admins; for a branch admin, those wholly within their branches. */
  async accounts(actor: Principal, first: number, afterId?: string): Promise<AccountRow[]> {
    return this.repository.listAccounts(
      administeredBranches(actor),
      first,
      afterId && isUuid(afterId) ? afterId : undefined,
    );
  }

  /**
   * Creates an account with a one-time password (returned once) and the given grants. HQ admins grant
   * anything; branch admins only roles of their own branch.
   */
  async createAccount(
    actor: Caller,
    input: {
      username: string;
      displayName: string;
      grants: { role: string; branchId?: string | null }[];
      memberId?: string | null;
    },
  ): Promise<{ account: AccountRow; oneTimePassword: string }> {
    const username = normaliseUsername(input.username);
    const displayName = input.displayName.trim();
    if (!displayName)
      throw new InvalidInputError('displayName must not be empty', 'EMPTY_DISPLAY_NAME', {
        field: 'displayName',
      });
    const grants = input.grants.map(parseGrant);
    if (grants.length === 0 && !isHqAdmin(actor.principal))
      throw new ForbiddenError(
        'Branch admins create accounts with a role of their branch',
        'GRANT_OUT_OF_SCOPE',
      );
    for (const grant of grants) this.checkGrantTarget(actor.principal, grant);
    if (input.memberId && !isUuid(input.memberId)) throw new MemberNotFoundError();
    const oneTimePassword = newOneTimePassword(username);
    const id = await this.unitOfWork.run(actingFor(actor.principal), async (work) => {
      const { manager } = work;
      if (input.memberId) await this.linkableMember(actor, manager, input.memberId, 'ACCOUNT_CREATED');
      if (await this.repository.findAccountByUsername(username, manager))
        throw new ConflictError(`username "${username}" is taken`, 'USERNAME_TAKEN', { field: 'username' });
      const accountId = await this.repository.insertAccount(manager, {
        username,
        displayName,
        passwordHash: await hashOneTimePassword(oneTimePassword),
        mustChangePassword: true,
        memberId: input.memberId ?? null,
      });
      for (const grant of grants)
        await this.repository.addGrant(manager, accountId, grant, actor.principal.subject);
      this.audit.within(work, {
        action: 'ACCOUNT_CREATED',
        outcome: 'SUCCESS',
        ...performedBy(actor),
        entity: 'Account',
        entityId: accountId,
        details: { username, grants },
      });
      return accountId;
    });
    return { account: (await this.repository.findAccount(id))!, oneTimePassword };
  }

  async grantRole(
    actor: Caller,
    accountId: string,
    input: { role: string; branchId?: string | null },
  ): Promise<AccountRow> {
    const grant = parseGrant(input);
    this.checkGrantTarget(actor.principal, grant);
    return this.administer(
      actor,
      accountId,
      'ROLE_GRANTED',
      (manager) => this.repository.addGrant(manager, accountId, grant, actor.principal.subject),
      { role: grant.role },
      grant.branchId,
    );
  }

  async revokeRole(
    actor: Caller,
    accountId: string,
    input: { role: string; branchId?: string | null },
  ): Promise<AccountRow> {
    const grant = parseGrant(input);
    this.checkGrantTarget(actor.principal, grant);
    if (accountId === actor.principal.subject && grant.role === 'ADMIN' && grant.branchId === null)
      throw new ConflictError('HQ admins cannot revoke their own HQ admin role', 'SELF_DEMOTION');
    return this.administer(
      actor,
      accountId,
      'ROLE_REVOKED',
      async (manager) => {
        if (!(await this.repository.removeGrant(manager, accountId, grant))) return false;
        // the account's sessions get new tokens with the new grants at their next refresh; revoke them so a
        // removed role does not live on in a refresh token
        await this.repository.revokeAllOf(manager, accountId);
        return true;
      },
      { role: grant.role },
      grant.branchId,
    );
  }

  private checkGrantTarget(actor: Principal, grant: Grant): void {
    if (grant.branchId !== null && !isUuid(grant.branchId)) throw new NotFoundError('Branch', grant.branchId);
    try {
      assertMayManageGrant(actor, grant);
    } catch (error) {
      void this.audit.record({
        action: 'ROLE_GRANT',
        outcome: 'REFUSED',
        actorId: actor.subject,
        actorName: actor.name,
        branchId: grant.branchId,
        details: { role: grant.role },
      });
      throw error;
    }
  }

  /** Disables an account and ends its sessions (HQ admins, by the schema's policy; never beyond the actor's reach). */
  async setAccountStatus(
    actor: Caller,
    accountId: string,
    status: 'ACTIVE' | 'DISABLED',
  ): Promise<AccountRow> {
    if (accountId === actor.principal.subject && status === 'DISABLED')
      throw new ConflictError('You cannot disable your own account', 'SELF_DISABLE');
    return this.administer(
      actor,
      accountId,
      status === 'DISABLED' ? 'ACCOUNT_DISABLED' : 'ACCOUNT_ENABLED',
      async (manager) => {
        await this.repository.setStatus(manager, accountId, status);
        if (status === 'DISABLED') await this.repository.revokeAllOf(manager, accountId);
      },
    );
  }

  /** A new one-time password for an account (HQ admins, by the schema's policy), ending its sessions. */
  async resetPassword(actor: Caller, accountId: string): Promise<string> {
    let oneTimePassword = '';
    await this.administer(actor, accountId, 'PASSWORD_RESET', async (manager, account) => {
      oneTimePassword = newOneTimePassword(account.username);
      await this.repository.setPassword(manager, accountId, await hashOneTimePassword(oneTimePassword), true);
      await this.repository.revokeAllOf(manager, accountId);
    });
    return oneTimePassword;
  }

  /** Links an account to a member record for self-service (HQ admins, by the schema's policy). */
  async linkMember(actor: Caller, accountId: string, memberId: string | null): Promise<AccountRow> {
    if (memberId !== null && !isUuid(memberId)) throw new MemberNotFoundError();
    return this.administer(
      actor,
      accountId,
      'MEMBER_LINKED',
      async (manager) => {
        if (memberId !== null) await this.linkableMember(actor, manager, memberId, 'MEMBER_LINKED');
        // a member linked to another account meanwhile: the unit of work maps account_member_id_key to CONFLICT
        await this.repository.setMember(manager, accountId, memberId);
      },
      { memberId },
    );
  }

  /**
   * A member an account may be linked to (its session then reaches the member's record): one the gateway's copy
   * of the directory knows, who has not left, of a branch the actor administers (any for HQ admins). Unknown and
   * out of reach answer alike; a refusal of a member that exists is audited.
   */
  private async linkableMember(
    actor: Caller,
    manager: EntityManager,
    memberId: string,
    action: string,
  ): Promise<void> {
    const member = await this.members.member(memberId, manager, 'SHARE');
    if (!member) throw new MemberNotFoundError();
    const branches = administeredBranches(actor.principal);
    if (branches !== 'ALL' && !branches.includes(member.branchId)) {
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
    assertHasNotLeft(member);
  }

  /**
   * An administrative change of one account, in one transaction: the account's row locked, its grants read, the
   * actor's reach decided on them (a branch admin only administers accounts wholly within their branches), then
   * the change and its audit record. `change` answers false when it changed nothing (nothing is audited then).
   * An account that does not exist and one beyond the actor's reach get the same answer, which names neither;
   * the refused attempt is audited on its own (it stays although the transaction rolls back).
   */
  private async administer(
    actor: Caller,
    accountId: string,
    action: string,
    change: (manager: EntityManager, account: AccountRow) => Promise<boolean | void>,
    details?: Record<string, unknown>,
    branchId?: string | null,
  ): Promise<AccountRow> {
    if (!isUuid(accountId)) throw new AccountNotFoundError();
    await this.unitOfWork.run(actingFor(actor.principal), async (work) => {
      const { manager } = work;
      const account = await this.repository.findAccount(accountId, manager, true);
      if (!account) throw new AccountNotFoundError();
      if (!mayAdministerAccount(actor.principal, await this.repository.grantsOf(accountId, manager))) {
        await this.audit.record({
          action,
          outcome: 'REFUSED',
          ...performedBy(actor),
          entity: 'Account',
          entityId: accountId,
          branchId: branchId ?? null,
          details: { ...details, reason: 'ACCOUNT_OUT_OF_REACH' },
        });
        throw new AccountNotFoundError();
      }
      if ((await change(manager, account)) === false) return;
      this.audit.within(work, {
        action,
        outcome: 'SUCCESS',
        ...performedBy(actor),
        entity: 'Account',
        entityId: accountId,
        branchId: branchId ?? null,
        details,
      });
    });
    return (await this.repository.findAccount(accountId))!;
  }
}
