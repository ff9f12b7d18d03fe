import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as argon2 from 'argon2';
import type { EntityManager } from 'typeorm';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  RateLimitedError,
  UnauthenticatedError,
} from '@unionfed/domain-kit';
import { signAccessToken, type Grant, type Principal } from '@unionfed/auth';
import { isUuid, uuidv7 } from '@unionfed/persistence';
import {
  AccountNotFoundError,
  administeredBranches,
  assertMayManageGrant,
  checkPassword,
  isHqAdmin,
  countFailure,
  decideSignIn,
  SIGN_IN_THROTTLE,
  type SignInDecision,
  mayAdministerAccount,
  normaliseUsername,
  parseGrant,
  visibleGrants,
} from '../domain/accounts';
import {
  IdentityRepository,
  type AccountRow,
  type ApiKeyRow,
  type SignInKeys,
} from '../infrastructure/identity.repository';
import { SigningKeys } from './signing-keys';
import { AuditLog } from './audit-log';
import { actingFor, GatewayUnitOfWork } from '../infrastructure/gateway.unit-of-work';

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
/**
 * An argon2id hash (the same parameters as the accounts') to verify against when the username is unknown, so
 * both paths take the same time. Made once per process, when the first IdentityService is built.
 */
let decoy: Promise<string> | undefined;
const decoyHash = () => (decoy ??= argon2.hash(randomBytes(16).toString('hex'), { type: argon2.argon2id }));
/** What sign-in failures are counted under; typed usernames only as hashes (people type passwords there too). */
const signInKeys = (username: string, address: string): SignInKeys => {
  const hashed = createHash('sha256').update(username).digest('hex');
  return { address, username: hashed, pair: `${address} ${hashed}` };
};

/**
 * Accounts, sessions and role grants: local sign-in with argon2id password hashes, short-lived signed access
 * tokens, rotating refresh tokens with reuse detection, sign-in throttling (never a lock), and the audit log.
 */
@Injectable()
export class IdentityService {
  private readonly logger = new Logger('Identity');

  constructor(
    private readonly repository: IdentityRepository,
    private readonly keys: SigningKeys,
    private readonly audit: AuditLog,
    private readonly unitOfWork: GatewayUnitOfWork,
  ) {
    void decoyHash();
  }

  /**
   * On first start (no account at all) creates the HQ admin: password from UNIONFED_ADMIN_PASSWORD, or a
   * one-time password printed once that must be changed at first sign-in.
   */
  async ensureInitialAdmin(env: NodeJS.ProcessEnv = process.env): Promise<void> {
    if ((await this.repository.countAccounts()) > 0) return;
    const username = normaliseUsername(env.UNIONFED_ADMIN_USERNAME ?? 'admin');
    const given = env.UNIONFED_ADMIN_PASSWORD;
    const password = given ?? randomBytes(12).toString('base64url') + '7a';
    if (given) {
      try {
        checkPassword(given, username);
      } catch (error) {
        // said as the start's reason (tools/platform/start.ts prints it as one line)
        throw new Error(`UNIONFED_ADMIN_PASSWORD is refused: ${(error as Error).message}`);
      }
    }
    const created = await this.unitOfWork.run(actingFor(undefined), async (work) => {
      const { manager } = work;
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
      this.audit.within(work, {
        action: 'ACCOUNT_CREATED',
        outcome: 'SUCCESS',
        entity: 'Account',
        entityId: id,
        details: { username, initial: true },
      });
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

  /**
   * Signs in with a username and password. Throttled per (username, address), per address and per username
   * (domain/accounts.ts), never locked; an unknown username goes through the same counts, the same argon2id
   * verification (against a decoy hash) and the same answers as a known one, so nothing tells them apart.
   */
  async login(usernameInput: string, password: string, caller: Caller): Promise<Session> {
    const username = usernameInput.trim().toLowerCase();
    const keys = signInKeys(username, caller.address);
    const decision = await this.countSignInAttempt(keys);
    if (!decision.allowed) {
      await this.audit.record({
        action: 'LOGIN',
        outcome: 'REFUSED',
        actorName: username,
        address: caller.address,
        details: { reason: decision.reason },
      });
      throw new RateLimitedError(
        'Too many failed sign-ins; try again later (登录失败次数过多，请稍后再试)',
        decision.reason,
        { retryAfter: decision.retryAfterSeconds },
      );
    }
    const account = await this.repository.findAccountByUsername(username);
    const verified = await argon2
      .verify(account?.passwordHash ?? (await decoyHash()), password)
      .catch(() => false);
    if (!account?.passwordHash || !verified) {
      await this.audit.record({
        action: 'LOGIN',
        outcome: 'FAILURE',
        actorId: account?.id ?? null,
        actorName: username,
        address: caller.address,
        details: { reason: account?.passwordHash ? 'BAD_PASSWORD' : 'UNKNOWN_ACCOUNT' },
      });
      throw new UnauthenticatedError('Wrong username or password (用户名或密码错误)', 'BAD_CREDENTIALS');
    }
    await this.repository.forgetSignInFailure(keys);
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
    const session = await this.unitOfWork.run(actingFor(undefined), async (work) => {
      const { manager } = work;
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

  /**
   * Decides whether a sign-in attempt may go on and, if so, counts it as a failure before its password is
   * checked (a success takes that back): the counts' rows are locked meanwhile, so concurrent attempts from one
   * address are counted one after the other instead of all slipping past the same count.
   */
  private countSignInAttempt(keys: SignInKeys): Promise<SignInDecision> {
    return this.unitOfWork.run(actingFor(undefined), async (work) => {
      const { manager } = work;
      const now = new Date();
      const counts = await this.repository.lockSignInCounts(manager, keys);
      const decision = decideSignIn(counts, now);
      if (decision.allowed) {
        await this.repository.saveSignInCounts(manager, keys, countFailure(counts, now));
        await this.repository.pruneSignInCounts(manager, SIGN_IN_THROTTLE.pairForgetSeconds);
      }
      return decision;
    });
  }

  /** A session for an account signed in some other way (campus SSO). */
  async sessionFor(accountId: string, caller: Caller, method: string): Promise<Session> {
    const account = await this.repository.findAccount(accountId);
    if (!account || account.status !== 'ACTIVE')
      throw new UnauthenticatedError('This account is disabled (账号已停用)', 'ACCOUNT_DISABLED');
    const session = await this.unitOfWork.run(actingFor(undefined), async (work) => {
      const { manager } = work;
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
    const result = await this.unitOfWork.run(actingFor(undefined), async (work) => {
      const { manager } = work;
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
    const accountId = await this.unitOfWork.run(actingFor(undefined), async (work) => {
      const { manager } = work;
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
    await this.unitOfWork.run(actingFor(actor.principal), async (work) => {
      const { manager } = work;
      await this.repository.setPassword(manager, account.id, await argon2.hash(newPassword), false);
      this.audit.within(work, {
        action: 'PASSWORD_CHANGED',
        outcome: 'SUCCESS',
        actorId: account.id,
        actorName: account.username,
        address: actor.address,
        entity: 'Account',
        entityId: account.id,
      });
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
    const id = await this.unitOfWork.run(actingFor(actor.principal), async (work) => {
      const { manager } = work;
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
    const oneTimePassword = newOneTimePassword();
    await this.administer(actor, accountId, 'PASSWORD_RESET', async (manager) => {
      await this.repository.setPassword(manager, accountId, await argon2.hash(oneTimePassword), true);
      await this.repository.revokeAllOf(manager, accountId);
    });
    return oneTimePassword;
  }

  /** Links an account to a member record for self-service (HQ admins, by the schema's policy). */
  async linkMember(actor: Caller, accountId: string, memberId: string | null): Promise<AccountRow> {
    if (memberId !== null && !isUuid(memberId)) throw new NotFoundError('Member', memberId);
    return this.administer(
      actor,
      accountId,
      'MEMBER_LINKED',
      // a member linked to another account meanwhile: the unit of work maps account_member_id_key to CONFLICT
      (manager) => this.repository.setMember(manager, accountId, memberId),
      { memberId },
    );
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
    change: (manager: EntityManager) => Promise<boolean | void>,
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
      if ((await change(manager)) === false) return;
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
    await this.unitOfWork.run(actingFor(actor.principal), async (work) => {
      const { manager } = work;
      await this.repository.insertApiKey(manager, {
        id,
        prefix,
        secretHash: sha256(secret),
        label,
        scopes: input.scopes,
        expiresAt: input.expiresAt,
        createdBy: actor.principal.subject,
      });
      this.audit.within(work, {
        action: 'API_KEY_CREATED',
        outcome: 'SUCCESS',
        ...performedBy(actor),
        entity: 'ApiKey',
        entityId: id,
        details: { label, prefix, scopes: input.scopes },
      });
    });
    return { key: (await this.repository.findApiKey(id))!, secret };
  }

  async revokeApiKey(actor: Caller, id: string): Promise<ApiKeyRow> {
    if (!isUuid(id)) throw new NotFoundError('ApiKey', id);
    await this.unitOfWork.run(actingFor(actor.principal), async (work) => {
      const { manager } = work;
      if (!(await this.repository.findApiKey(id, manager))) throw new NotFoundError('ApiKey', id);
      if (await this.repository.revokeApiKey(manager, id))
        this.audit.within(work, {
          action: 'API_KEY_REVOKED',
          outcome: 'SUCCESS',
          ...performedBy(actor),
          entity: 'ApiKey',
          entityId: id,
        });
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
