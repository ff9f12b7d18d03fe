import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as argon2 from 'argon2';
import type { EntityManager } from 'typeorm';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UnauthenticatedError,
} from '@unionfed/domain-kit';
import { signAccessToken, type Grant, type Principal } from '@unionfed/auth';
import { isUuid, uuidv7 } from '@unionfed/persistence';
import {
  assertMayManageGrant,
  checkPassword,
  isHqAdmin,
  LOCKOUT,
  lockSecondsAfter,
  normaliseUsername,
  parseGrant,
} from '../domain/accounts';
import { IdentityRepository, type AccountRow, type ApiKeyRow } from '../infrastructure/identity.repository';
import { SigningKeys } from './signing-keys';
import { AuditLog } from './audit-log';

/** Access tokens live briefly; sessions continue through rotating refresh tokens. */
export const ACCESS_TOKEN_SECONDS = Number(process.env.UNIONFED_ACCESS_TOKEN_SECONDS ?? 600);
export const REFRESH_TOKEN_SECONDS = 14 * 24 * 3600;
/** tokens minted for API keys never leave the gateway; kept short so a revoked key stops everywhere soon */
const API_KEY_TOKEN_SECONDS = 120;

export interface Session {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  account: AccountRow;
  grants: Grant[];
}

/** Where a request comes from, for throttling and the audit log. */
export interface Caller {
  principal: Principal;
  address: string;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();
/** Who did something, for the audit log. */
const performedBy = (actor: Caller) => ({
  actorId: actor.principal.subject,
  actorName: actor.principal.name,
  address: actor.address,
});
/** 72 random bits plus a letter and a digit, so it also meets the password rules. */
const newOneTimePassword = () => `${randomBytes(9).toString('base64url')}9x`;
/** A hash to compare against when the account does not exist, so both paths take the same time. */
let decoyHash: Promise<string> | undefined;

/**
 * Accounts, sessions and role grants: local sign-in with argon2id password hashes, short-lived signed access
 * tokens, rotating refresh tokens with reuse detection, lock-out after repeated failures, and the audit log.
 */
@Injectable()
export class IdentityService {
  private readonly logger = new Logger('Identity');

  constructor(
    private readonly repository: IdentityRepository,
    private readonly keys: SigningKeys,
    private readonly audit: AuditLog,
  ) {}

  /**
   * On first start (no account at all) creates the HQ admin: password from UNIONFED_ADMIN_PASSWORD, or a
   * one-time password printed once that must be changed at first sign-in.
   */
  async ensureInitialAdmin(env: NodeJS.ProcessEnv = process.env): Promise<void> {
    if ((await this.repository.countAccounts()) > 0) return;
    const username = normaliseUsername(env.UNIONFED_ADMIN_USERNAME ?? 'admin');
    const given = env.UNIONFED_ADMIN_PASSWORD;
    const password = given ?? randomBytes(12).toString('base64url') + '7a';
    if (given) checkPassword(given, username);
    const created = await this.repository.dataSource.transaction(async (manager) => {
      await manager.query(`LOCK TABLE account IN SHARE ROW EXCLUSIVE MODE`);
      const [{ n }] = await manager.query(`SELECT count(*)::int AS n FROM account`);
      if (n > 0) return false;
      const id = await this.repository.insertAccount(manager, {
        username,
        displayName: '校工会管理员',
        passwordHash: await argon2.hash(password),
        mustChangePassword: !given,
        memberId: null,
      });
      await this.repository.addGrant(manager, id, { role: 'ADMIN', branchId: null }, null);
      await this.audit.record(
        {
          action: 'ACCOUNT_CREATED',
          outcome: 'SUCCESS',
          entity: 'Account',
          entityId: id,
          details: { username, initial: true },
        },
        manager,
      );
      return true;
    });
    if (created && !given) {
      // printed once, on purpose to stdout: whoever runs the first start needs it
      process.stdout.write(
        `\n  Initial HQ admin created: username "${username}", one-time password "${password}"\n` +
          '  (shown only now; it must be changed at first sign-in)\n\n',
      );
    } else if (created)
      this.logger.log(`initial HQ admin "${username}" created from UNIONFED_ADMIN_PASSWORD`);
  }

  async login(usernameInput: string, password: string, caller: Caller): Promise<Session> {
    const failure = () =>
      new UnauthenticatedError('Wrong username or password (用户名或密码错误)', 'BAD_CREDENTIALS');
    if (
      (await this.repository.recentAddressFailures(caller.address, LOCKOUT.addressWindowSeconds)) >=
      LOCKOUT.addressFailures
    ) {
      await this.audit.record({
        action: 'LOGIN',
        outcome: 'REFUSED',
        address: caller.address,
        details: { reason: 'ADDRESS_THROTTLED' },
      });
      throw new UnauthenticatedError(
        'Too many failed sign-ins from this address; try again later (登录失败次数过多)',
        'ADDRESS_THROTTLED',
        {
          retryAfter: LOCKOUT.addressWindowSeconds,
        },
      );
    }
    const username = usernameInput.trim().toLowerCase();
    const account = await this.repository.findAccountByUsername(username);
    if (!account?.passwordHash) {
      await argon2
        .verify(await (decoyHash ??= argon2.hash(randomBytes(16).toString('hex'))), password)
        .catch(() => false);
      await this.repository.recordAddressFailure(caller.address, LOCKOUT.addressWindowSeconds);
      await this.audit.record({
        action: 'LOGIN',
        outcome: 'FAILURE',
        actorName: username,
        address: caller.address,
        details: { reason: 'UNKNOWN_ACCOUNT' },
      });
      throw failure();
    }
    const now = Date.now();
    if (account.lockedUntil && account.lockedUntil.getTime() > now) {
      await this.audit.record({
        action: 'LOGIN',
        outcome: 'REFUSED',
        actorId: account.id,
        actorName: username,
        address: caller.address,
        details: { reason: 'ACCOUNT_LOCKED' },
      });
      throw new UnauthenticatedError(
        'This account is locked after repeated failed sign-ins; try again later (账号已临时锁定)',
        'ACCOUNT_LOCKED',
        {
          retryAfter: Math.ceil((account.lockedUntil.getTime() - now) / 1000),
        },
      );
    }
    if (!(await argon2.verify(account.passwordHash, password))) {
      const lockSeconds = lockSecondsAfter(account.failedLogins + 1);
      await this.repository.dataSource.transaction((manager) =>
        this.repository.recordFailedLogin(
          manager,
          account.id,
          lockSeconds ? new Date(now + lockSeconds * 1000) : null,
        ),
      );
      await this.repository.recordAddressFailure(caller.address, LOCKOUT.addressWindowSeconds);
      await this.audit.record({
        action: 'LOGIN',
        outcome: 'FAILURE',
        actorId: account.id,
        actorName: username,
        address: caller.address,
        details: { reason: 'BAD_PASSWORD', lockedForSeconds: lockSeconds },
      });
      throw failure();
    }
    if (account.status !== 'ACTIVE') {
      await this.audit.record({
        action: 'LOGIN',
        outcome: 'REFUSED',
        actorId: account.id,
        actorName: username,
        address: caller.address,
        details: { reason: 'ACCOUNT_DISABLED' },
      });
      throw new UnauthenticatedError('This account is disabled (账号已停用)', 'ACCOUNT_DISABLED');
    }
    const session = await this.repository.dataSource.transaction(async (manager) => {
      await this.repository.recordLogin(manager, account.id);
      return this.openSession(manager, account, uuidv7());
    });
    await this.audit.record({
      action: 'LOGIN',
      outcome: 'SUCCESS',
      actorId: account.id,
      actorName: username,
      address: caller.address,
    });
    return session;
  }

  /** A session for an account signed in some other way (campus SSO). */
  async sessionFor(accountId: string, caller: Caller, method: string): Promise<Session> {
    const account = await this.repository.findAccount(accountId);
    if (!account || account.status !== 'ACTIVE')
      throw new UnauthenticatedError('This account is disabled (账号已停用)', 'ACCOUNT_DISABLED');
    const session = await this.repository.dataSource.transaction(async (manager) => {
      await this.repository.recordLogin(manager, account.id);
      // signing in through SSO proves who it is: an unused one-time password is retired, not forced to be changed
      if (account.mustChangePassword) {
        await this.repository.retireOneTimePassword(manager, account.id);
        account.mustChangePassword = false;
        account.passwordHash = null;
      }
      return this.openSession(manager, account, uuidv7());
    });
    await this.audit.record({
      action: 'LOGIN',
      outcome: 'SUCCESS',
      actorId: account.id,
      actorName: account.username,
      address: caller.address,
      details: { method },
    });
    return session;
  }

  /**
   * Exchanges a refresh token for a new pair. A token is good once: presenting a rotated token again means it
   * was stolen (or replayed), so the whole family of that login is revoked.
   */
  async refresh(refreshToken: string, caller: Caller): Promise<Session> {
    const result = await this.repository.dataSource.transaction(async (manager) => {
      const row = await this.repository.findRefreshToken(manager, sha256(refreshToken));
      if (!row) return { error: 'REFRESH_TOKEN_UNKNOWN' as const };
      if (row.revokedAt) return { error: 'REFRESH_TOKEN_REVOKED' as const, row };
      if (row.rotatedAt) {
        await this.repository.revokeFamily(manager, row.familyId);
        return { error: 'REFRESH_TOKEN_REUSED' as const, row };
      }
      if (row.expiresAt.getTime() <= Date.now()) return { error: 'REFRESH_TOKEN_EXPIRED' as const, row };
      const account = await this.repository.findAccount(row.accountId, manager);
      if (!account || account.status !== 'ACTIVE') return { error: 'ACCOUNT_DISABLED' as const, row };
      await this.repository.markRotated(manager, row.id);
      return { session: await this.openSession(manager, account, row.familyId) };
    });
    if ('error' in result) {
      await this.audit.record({
        action: 'TOKEN_REFRESH',
        outcome: 'FAILURE',
        actorId: result.row?.accountId ?? null,
        address: caller.address,
        details: { reason: result.error },
      });
      throw new UnauthenticatedError(
        'The session has ended; sign in again (会话已失效，请重新登录)',
        result.error ?? 'REFRESH_TOKEN_UNKNOWN',
      );
    }
    await this.audit.record({
      action: 'TOKEN_REFRESH',
      outcome: 'SUCCESS',
      actorId: result.session.account.id,
      actorName: result.session.account.username,
      address: caller.address,
    });
    return result.session;
  }

  /** Ends the session the refresh token belongs to (its whole family). Unknown tokens are ignored. */
  async logout(refreshToken: string, caller: Caller): Promise<boolean> {
    const accountId = await this.repository.dataSource.transaction(async (manager) => {
      const row = await this.repository.findRefreshToken(manager, sha256(refreshToken));
      if (!row) return undefined;
      await this.repository.revokeFamily(manager, row.familyId);
      return row.accountId;
    });
    if (accountId)
      await this.audit.record({
        action: 'LOGOUT',
        outcome: 'SUCCESS',
        actorId: accountId,
        address: caller.address,
      });
    return accountId !== undefined;
  }

  private async openSession(manager: EntityManager, account: AccountRow, familyId: string): Promise<Session> {
    const grants = await this.repository.grantsOf(account.id, manager);
    const principal: Omit<Principal, 'tokenId'> = {
      kind: 'user',
      subject: account.id,
      name: account.username,
      // until a one-time password is changed, the session can do nothing but change it
      grants: account.mustChangePassword
        ? []
        : [...grants, ...(account.memberId ? [{ role: 'MEMBER' as const, branchId: null }] : [])],
      memberId: account.memberId ?? undefined,
      scopes: [],
    };
    const access = await signAccessToken(this.keys.signingKey(), principal, ACCESS_TOKEN_SECONDS);
    const refreshToken = `ufr_${randomBytes(32).toString('base64url')}`;
    const refreshTokenExpiresAt = new Date(Date.now() + REFRESH_TOKEN_SECONDS * 1000);
    await this.repository.insertRefreshToken(manager, {
      id: uuidv7(),
      accountId: account.id,
      familyId,
      hash: sha256(refreshToken),
      expiresAt: refreshTokenExpiresAt,
    });
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken,
      refreshTokenExpiresAt,
      account,
      grants,
    };
  }

  async account(id: string): Promise<AccountRow | undefined> {
    return isUuid(id) ? this.repository.findAccount(id) : undefined;
  }

  grantsOf(accountId: string): Promise<Grant[]> {
    return this.repository.grantsOf(accountId);
  }

  /** Accounts the actor manages: all for HQ admins, those holding a role of their branch for branch admins. */
  async accounts(actor: Principal, first: number, afterId?: string): Promise<AccountRow[]> {
    const scope = isHqAdmin(actor)
      ? ('ALL' as const)
      : actor.grants.filter((g) => g.role === 'ADMIN' && g.branchId).map((g) => g.branchId as string);
    return this.repository.listAccounts(scope, first, afterId && isUuid(afterId) ? afterId : undefined);
  }

  async changePassword(actor: Caller, currentPassword: string, newPassword: string): Promise<boolean> {
    const account =
      actor.principal.kind === 'user'
        ? await this.repository.findAccount(actor.principal.subject)
        : undefined;
    if (!account?.passwordHash || !(await argon2.verify(account.passwordHash, currentPassword))) {
      await this.audit.record({
        action: 'PASSWORD_CHANGED',
        outcome: 'FAILURE',
        actorId: actor.principal.subject,
        address: actor.address,
      });
      throw new UnauthenticatedError('The current password is wrong (当前密码错误)', 'BAD_CREDENTIALS');
    }
    checkPassword(newPassword, account.username);
    await this.repository.dataSource.transaction(async (manager) => {
      await this.repository.setPassword(manager, account.id, await argon2.hash(newPassword), false);
      await this.audit.record(
        {
          action: 'PASSWORD_CHANGED',
          outcome: 'SUCCESS',
          actorId: account.id,
          actorName: account.username,
          address: actor.address,
          entity: 'Account',
          entityId: account.id,
        },
        manager,
      );
    });
    return true;
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
    if (input.memberId && !isUuid(input.memberId)) throw new NotFoundError('Member', input.memberId);
    const oneTimePassword = newOneTimePassword();
    const id = await this.repository.dataSource.transaction(async (manager) => {
      if (await this.repository.findAccountByUsername(username, manager))
        throw new ConflictError(`username "${username}" is taken`, 'USERNAME_TAKEN', { field: 'username' });
      const accountId = await this.repository.insertAccount(manager, {
        username,
        displayName,
        passwordHash: await argon2.hash(oneTimePassword),
        mustChangePassword: true,
        memberId: input.memberId ?? null,
      });
      for (const grant of grants)
        await this.repository.addGrant(manager, accountId, grant, actor.principal.subject);
      await this.audit.record(
        {
          action: 'ACCOUNT_CREATED',
          outcome: 'SUCCESS',
          ...performedBy(actor),
          entity: 'Account',
          entityId: accountId,
          details: { username, grants },
        },
        manager,
      );
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
    return this.changeGrant(actor, accountId, grant, 'ROLE_GRANTED', (manager) =>
      this.repository.addGrant(manager, accountId, grant, actor.principal.subject),
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
    return this.changeGrant(actor, accountId, grant, 'ROLE_REVOKED', (manager) =>
      this.repository.removeGrant(manager, accountId, grant),
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

  private async changeGrant(
    actor: Caller,
    accountId: string,
    grant: Grant,
    action: string,
    change: (manager: EntityManager) => Promise<boolean>,
  ): Promise<AccountRow> {
    if (!isUuid(accountId)) throw new NotFoundError('Account', accountId);
    await this.repository.dataSource.transaction(async (manager) => {
      const account = await this.repository.findAccount(accountId, manager, true);
      if (!account) throw new NotFoundError('Account', accountId);
      if (await change(manager)) {
        // the account's sessions get new tokens with the new grants at their next refresh; revoke them so a
        // removed role does not live on in a refresh token
        if (action === 'ROLE_REVOKED') await this.repository.revokeAllOf(manager, accountId);
        await this.audit.record(
          {
            action,
            outcome: 'SUCCESS',
            ...performedBy(actor),
            entity: 'Account',
            entityId: accountId,
            branchId: grant.branchId,
            details: { role: grant.role },
          },
          manager,
        );
      }
    });
    return (await this.repository.findAccount(accountId))!;
  }

  /** Disables an account and ends its sessions (HQ admins). */
  async setAccountStatus(
    actor: Caller,
    accountId: string,
    status: 'ACTIVE' | 'DISABLED',
  ): Promise<AccountRow> {
    if (accountId === actor.principal.subject && status === 'DISABLED')
      throw new ConflictError('You cannot disable your own account', 'SELF_DISABLE');
    return this.changeAccount(
      actor,
      accountId,
      status === 'DISABLED' ? 'ACCOUNT_DISABLED' : 'ACCOUNT_ENABLED',
      async (manager) => {
        await this.repository.setStatus(manager, accountId, status);
        if (status === 'DISABLED') await this.repository.revokeAllOf(manager, accountId);
      },
    );
  }

  /** A new one-time password for an account (HQ admins), ending its sessions. */
  async resetPassword(actor: Caller, accountId: string): Promise<string> {
    const oneTimePassword = newOneTimePassword();
    await this.changeAccount(actor, accountId, 'PASSWORD_RESET', async (manager) => {
      await this.repository.setPassword(manager, accountId, await argon2.hash(oneTimePassword), true);
      await this.repository.revokeAllOf(manager, accountId);
    });
    return oneTimePassword;
  }

  /** Links an account to a member record for self-service (HQ admins). */
  async linkMember(actor: Caller, accountId: string, memberId: string | null): Promise<AccountRow> {
    if (memberId !== null && !isUuid(memberId)) throw new NotFoundError('Member', memberId);
    return this.changeAccount(
      actor,
      accountId,
      'MEMBER_LINKED',
      (manager) =>
        this.repository.setMember(manager, accountId, memberId).catch((error: { code?: string }) => {
          if (error.code === '23505')
            throw new ConflictError('That member is linked to another account', 'MEMBER_ALREADY_LINKED');
          throw error;
        }),
      { memberId },
    );
  }

  /**
   * An administrative change of one account: the account locked (NOT_FOUND when there is none), the change and
   * its audit record in one transaction; returns the account as it is afterwards.
   */
  private async changeAccount(
    actor: Caller,
    accountId: string,
    action: string,
    change: (manager: EntityManager) => Promise<void>,
    details?: Record<string, unknown>,
  ): Promise<AccountRow> {
    if (!isUuid(accountId)) throw new NotFoundError('Account', accountId);
    await this.repository.dataSource.transaction(async (manager) => {
      if (!(await this.repository.findAccount(accountId, manager, true)))
        throw new NotFoundError('Account', accountId);
      await change(manager);
      await this.audit.record(
        {
          action,
          outcome: 'SUCCESS',
          ...performedBy(actor),
          entity: 'Account',
          entityId: accountId,
          details,
        },
        manager,
      );
    });
    return (await this.repository.findAccount(accountId))!;
  }

  // --- API keys (integrations) ---------------------------------------------------------------------------

  /** A new API key; the secret is returned once and stored only as a hash. */
  async createApiKey(
    actor: Caller,
    input: { label: string; scopes: string[]; expiresAt: Date },
  ): Promise<{ key: ApiKeyRow; secret: string }> {
    const label = input.label.trim();
    if (!label) throw new InvalidInputError('label must not be empty', 'EMPTY_LABEL', { field: 'label' });
    const unknown = input.scopes.filter((scope) => !API_KEY_SCOPES.includes(scope));
    if (input.scopes.length === 0 || unknown.length)
      throw new InvalidInputError(`scopes must be some of ${API_KEY_SCOPES.join(', ')}`, 'INVALID_SCOPE', {
        field: 'scopes',
      });
    const days = (input.expiresAt.getTime() - Date.now()) / 86_400_000;
    if (!(days > 0 && days <= 366))
      throw new InvalidInputError('expiresAt must be in the future, at most a year away', 'INVALID_EXPIRY', {
        field: 'expiresAt',
      });
    const prefix = randomBytes(6).toString('hex');
    const secret = `ufk_${prefix}_${randomBytes(32).toString('base64url')}`;
    const id = uuidv7();
    await this.repository.dataSource.transaction(async (manager) => {
      await this.repository.insertApiKey(manager, {
        id,
        prefix,
        secretHash: sha256(secret),
        label,
        scopes: input.scopes,
        expiresAt: input.expiresAt,
        createdBy: actor.principal.subject,
      });
      await this.audit.record(
        {
          action: 'API_KEY_CREATED',
          outcome: 'SUCCESS',
          ...performedBy(actor),
          entity: 'ApiKey',
          entityId: id,
          details: { label, prefix, scopes: input.scopes },
        },
        manager,
      );
    });
    return { key: (await this.repository.findApiKey(id))!, secret };
  }

  async revokeApiKey(actor: Caller, id: string): Promise<ApiKeyRow> {
    if (!isUuid(id)) throw new NotFoundError('ApiKey', id);
    await this.repository.dataSource.transaction(async (manager) => {
      if (!(await this.repository.findApiKey(id, manager))) throw new NotFoundError('ApiKey', id);
      if (await this.repository.revokeApiKey(manager, id))
        await this.audit.record(
          {
            action: 'API_KEY_REVOKED',
            outcome: 'SUCCESS',
            ...performedBy(actor),
            entity: 'ApiKey',
            entityId: id,
          },
          manager,
        );
    });
    return (await this.repository.findApiKey(id))!;
  }

  listApiKeys(): Promise<ApiKeyRow[]> {
    return this.repository.listApiKeys();
  }

  /**
   * The key a secret belongs to, if it is valid (known, not revoked, not expired); records the use. The
   * comparison is constant-time on the hash.
   */
  async verifyApiKey(secret: string, address: string): Promise<ApiKeyRow> {
    const match = secret.match(/^ufk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/);
    const key = match ? await this.repository.findApiKeyByPrefix(match[1]) : undefined;
    const valid = key !== undefined && timingSafeEqual(key.secretHash, sha256(secret));
    const reason = !valid
      ? 'API_KEY_UNKNOWN'
      : key.revokedAt
        ? 'API_KEY_REVOKED'
        : key.expiresAt.getTime() <= Date.now()
          ? 'API_KEY_EXPIRED'
          : undefined;
    await this.audit.record({
      action: 'API_KEY_USED',
      outcome: reason ? 'FAILURE' : 'SUCCESS',
      actorId: valid ? key.id : null,
      actorName: valid ? key.label : null,
      address,
      details: reason ? { reason } : {},
    });
    if (reason) throw new UnauthenticatedError('The API key is not valid (API 密钥无效)', reason);
    await this.repository.touchApiKey(key!.id);
    return key!;
  }

  /** A short-lived access token for an API key: INTEGRATION, read-only statistics scopes. */
  async tokenForApiKey(key: ApiKeyRow): Promise<{ token: string; expiresAt: Date }> {
    const ttl = Math.max(
      1,
      Math.min(API_KEY_TOKEN_SECONDS, Math.floor((key.expiresAt.getTime() - Date.now()) / 1000)),
    );
    return signAccessToken(
      this.keys.signingKey(),
      {
        kind: 'integration',
        subject: key.id,
        name: key.label,
        grants: [{ role: 'INTEGRATION', branchId: null }],
        scopes: key.scopes,
      },
      ttl,
    );
  }
}

/** What an API key may be allowed to do: read statistics. */
export const API_KEY_SCOPES = ['statistics:read'];
