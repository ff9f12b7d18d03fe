import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import * as argon2 from 'argon2';
import type { EntityManager } from 'typeorm';
import { RateLimitedError, UnauthenticatedError } from '@unionfed/domain-kit';
import { signAccessToken, type Grant, type Principal } from '@unionfed/auth';
import { uuidv7 } from '@unionfed/persistence';
import {
  checkPassword,
  countFailure,
  decideSignIn,
  SIGN_IN_THROTTLE,
  type SignInDecision,
} from '../domain/accounts';
import { hasLeft } from '../domain/member-accounts';
import { IdentityRepository, type AccountRow, type SignInKeys } from '../infrastructure/identity.repository';
import { MemberAccountRepository } from '../infrastructure/member-accounts.repository';
import { actingFor, GatewayUnitOfWork } from '../infrastructure/gateway.unit-of-work';
import { SigningKeys } from './signing-keys';
import { AuditLog } from './audit-log';
import type { Caller } from './caller';
import { isOneTimePasswordHash, sha256 } from './secrets';

/** Access tokens live briefly; sessions continue through rotating refresh tokens. */
export const ACCESS_TOKEN_SECONDS = Number(process.env.UNIONFED_ACCESS_TOKEN_SECONDS ?? 600);
export const REFRESH_TOKEN_SECONDS = 14 * 24 * 3600;

export interface Session {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  account: AccountRow;
  grants: Grant[];
}

/**
 * An argon2id hash (the same parameters as the accounts') to verify against when the username is unknown, so
 * both paths take the same time. Made once per process, when the first SessionService is built.
 */
let decoy: Promise<string> | undefined;
const decoyHash = () => (decoy ??= argon2.hash(randomBytes(16).toString('hex'), { type: argon2.argon2id }));
/** What sign-in failures are counted under; typed usernames only as hashes (people type passwords there too). */
const signInKeys = (username: string, address: string): SignInKeys => {
  const hashed = createHash('sha256').update(username).digest('hex');
  return { address, username: hashed, pair: `${address} ${hashed}` };
};

/**
 * Sign-in and sessions: local sign-in with argon2id password hashes, sign-in throttling (never a lock),
 * short-lived signed access tokens, rotating refresh tokens with reuse detection, sign-out, and an account
 * holder changing their own password.
 */
@Injectable()
export class SessionService {
  constructor(
    private readonly repository: IdentityRepository,
    private readonly members: MemberAccountRepository,
    private readonly keys: SigningKeys,
    private readonly audit: AuditLog,
    private readonly unitOfWork: GatewayUnitOfWork,
  ) {
    void decoyHash();
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
    const hash = account?.passwordHash ?? (await decoyHash());
    const verified = await argon2.verify(hash, password).catch(() => false);
    // an unused one-time password verifies in a millisecond (secrets.ts): the decoy too, so that this sign-in
    // takes as long as any other and an account waiting for its first sign-in cannot be told apart
    if (isOneTimePasswordHash(hash)) await argon2.verify(await decoyHash(), password).catch(() => false);
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
    // self-service (MEMBER) for the member the account is linked to, until the directory says they left — a
    // member not in the directory (yet) keeps it: the link was checked when it was made
    const memberId =
      account.memberId && !hasLeft((await this.members.member(account.memberId, manager))?.status)
        ? account.memberId
        : undefined;
    const principal: Omit<Principal, 'tokenId'> = {
      kind: 'user',
      subject: account.id,
      name: account.username,
      // until a one-time password is changed, the session can do nothing but change it
      grants: account.mustChangePassword
        ? []
        : [...grants, ...(memberId ? [{ role: 'MEMBER' as const, branchId: null }] : [])],
      memberId,
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

  /** The signed-in account holder changes their own password (a one-time one, or one they chose). */
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
}
