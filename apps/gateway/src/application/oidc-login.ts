import { Injectable, Logger } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
import { ANONYMOUS } from '@unionfed/auth';
import { ForbiddenError, InvalidInputError, UnauthenticatedError } from '@unionfed/domain-kit';
import { isUniqueViolation } from '@unionfed/persistence';
import {
  accountCandidates,
  campusIdentityName,
  OIDC_LOGIN_TTL_SECONDS,
  safeReturnTo,
  type CampusIdentityClaims,
} from '../domain/campus-sso';
import { IdentityRepository, type AccountRow } from '../infrastructure/identity.repository';
import { OidcLoginRepository } from '../infrastructure/oidc-login.repository';
import { TokenBuckets, type RateLimit } from '../limits/token-bucket';
import { AuditLog } from './audit-log';
import { actingFor, GatewayUnitOfWork } from '../infrastructure/gateway.unit-of-work';
import { SessionService, type Session } from './sessions.service';

/** Where the provider sends the browser back to, on the gateway's own origin unless configured. */
export const OIDC_CALLBACK_PATH = '/auth/oidc/callback';
const SCOPE = 'openid email profile';
/** seconds to wait for the provider (discovery, token exchange, UserInfo) */
const PROVIDER_TIMEOUT_SECONDS = 10;
/** sign-ins started per client address: every one is a row in the database until it is used or expires */
const START_RATE: RateLimit = { capacity: 20, refillPerSecond: 0.5 };

export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  /** when absent: the gateway's origin as the browser reached it, plus OIDC_CALLBACK_PATH */
  redirectUri?: string;
}

const VARIABLES = {
  issuer: 'UNIONFED_OIDC_ISSUER',
  clientId: 'UNIONFED_OIDC_CLIENT_ID',
  clientSecret: 'UNIONFED_OIDC_CLIENT_SECRET',
  redirectUri: 'UNIONFED_OIDC_REDIRECT_URI',
} as const;

const isLoopback = (url: URL) => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

/**
 * Campus SSO settings from the environment: none at all means it is off; a partial or malformed configuration
 * stops the gateway at start-up rather than leaving sign-in half working.
 */
export function oidcSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): OidcSettings | undefined {
  const value = (name: string) => env[name]?.trim() || undefined;
  const given = Object.values(VARIABLES).filter((name) => value(name) !== undefined);
  if (given.length === 0) return undefined;
  const missing = [VARIABLES.issuer, VARIABLES.clientId, VARIABLES.clientSecret].filter(
    (name) => !value(name),
  );
  if (missing.length)
    throw new Error(
      `campus SSO is half configured (${given.join(', ')} set): set ${missing.join(', ')} too, or none of them`,
    );
  const url = (name: string) => {
    let parsed: URL;
    try {
      parsed = new URL(value(name)!);
    } catch {
      throw new Error(`${name} must be an absolute URL`);
    }
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopback(parsed)))
      throw new Error(`${name} must be an https:// URL (http:// only on this machine, for development)`);
    return parsed;
  };
  return {
    issuer: url(VARIABLES.issuer),
    clientId: value(VARIABLES.clientId)!,
    clientSecret: value(VARIABLES.clientSecret)!,
    redirectUri: value(VARIABLES.redirectUri) ? url(VARIABLES.redirectUri).href : undefined,
  };
}

/**
 * Campus SSO cannot serve this request: not configured (404), too many sign-ins started from this address
 * (429), or the identity provider is unreachable (503) or answered something that could not be verified (502).
 */
export class CampusSsoUnavailableError extends Error {
  constructor(
    readonly status: 404 | 429 | 502 | 503,
    readonly reason: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'CampusSsoUnavailableError';
  }
}

export interface StartedOidcLogin {
  /** where to send the browser: the provider's authorization endpoint */
  authorizationUrl: URL;
  /** to keep in the browser (HttpOnly cookie): the callback must come back with the same state */
  state: string;
  /** whether the state cookie must be Secure (the callback is https) */
  secure: boolean;
}

export interface FinishedOidcLogin {
  session: Session;
  /** a same-origin path to send the browser to, or null to answer with JSON */
  returnTo: string | null;
}

const sha256 = (value: string) => createHash('sha256').update(value).digest();
function sameSecret(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}

/** An error and its causes (openid-client wraps what it does not recognise, e.g. errors from another realm). */
function* causes(error: unknown): Generator<{ name?: unknown; message?: unknown; code?: unknown }> {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    yield e;
    e = (e as { cause?: unknown }).cause;
  }
}

/** fetch() could not reach the provider, or it did not answer in time, or answered with a server error */
function isUnreachable(error: unknown): boolean {
  for (const { name, message, code } of causes(error)) {
    // compared by name, not instanceof: fetch's errors may come from another realm (jest, workers)
    if (name === 'TypeError' && message === 'fetch failed') return true;
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    if (['OAUTH_TIMEOUT', 'OAUTH_ABORT', 'OAUTH_RESPONSE_IS_NOT_CONFORM'].includes(String(code))) return true;
  }
  return false;
}

/** One line about an error from the provider for the log: never the tokens or the whole response. */
function describe(error: unknown): string {
  return [...causes(error)]
    .map(
      ({ name, message, code }) =>
        `${String(name)}${typeof code === 'string' ? ` ${code}` : ''}: ${String(message)}`,
    )
    .join(' <- ');
}

/**
 * Campus SSO with OpenID Connect (authorization code + PKCE S256, state and nonce), through openid-client. A
 * started sign-in is kept in the database (any gateway instance finishes it, once) and bound to the browser
 * that started it by an HttpOnly cookie holding its state. The campus identity (issuer, sub) signs in to the
 * account linked to it; an identity not linked yet is linked to the ACTIVE account whose username is its
 * verified e-mail address or its preferred_username; anyone else is refused. Sessions are the gateway's own
 * (SessionService.sessionFor), exactly as after a password sign-in.
 */
@Injectable()
export class OidcLogin {
  private readonly logger = new Logger('CampusSso');
  private readonly settings?: OidcSettings;
  private discovered?: Promise<oidc.Configuration>;
  private readonly starts = new TokenBuckets({ maxKeys: 10_000 });

  constructor(
    private readonly sessions: SessionService,
    private readonly accounts: IdentityRepository,
    private readonly pending: OidcLoginRepository,
    private readonly audit: AuditLog,
    private readonly unitOfWork: GatewayUnitOfWork,
  ) {
    this.settings = oidcSettingsFromEnv();
    if (this.settings)
      this.logger.log(`campus SSO (OpenID Connect) enabled, issuer ${this.settings.issuer.href}`);
  }

  /** Whether campus SSO is configured on this gateway. */
  get enabled(): boolean {
    return this.settings !== undefined;
  }

  /** Starts a sign-in: a new state, nonce and PKCE verifier, and the provider's URL to send the browser to. */
  async begin(request: {
    /** the gateway's origin as the browser reached it, for the default redirect URI */
    origin: string;
    returnTo?: string | null;
    address: string;
  }): Promise<StartedOidcLogin> {
    const settings = this.requireSettings();
    const returnTo = safeReturnTo(request.returnTo);
    const take = this.starts.take(request.address, START_RATE);
    if (!take.allowed)
      throw new CampusSsoUnavailableError(
        429,
        'OIDC_THROTTLED',
        'Too many sign-ins started from this address; try again shortly (请求过于频繁)',
        take.retryAfterSeconds,
      );
    const config = await this.configuration(settings);
    const redirectUri = settings.redirectUri ?? `${request.origin}${OIDC_CALLBACK_PATH}`;
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    await this.pending.savePending(
      sha256(state),
      { nonce, codeVerifier, redirectUri, returnTo: returnTo ?? null },
      OIDC_LOGIN_TTL_SECONDS,
    );
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    return { authorizationUrl, state, secure: redirectUri.startsWith('https:') };
  }

  /**
   * Finishes a sign-in at the callback: the state must be the one this browser started with and not used
   * before; the code is exchanged (with the PKCE verifier) and the ID token checked (issuer, audience, nonce);
   * then the campus identity is matched to an account and a session opened.
   */
  async complete(request: {
    query: URLSearchParams;
    /** the state the browser kept in its cookie */
    cookieState?: string;
    address: string;
  }): Promise<FinishedOidcLogin> {
    const settings = this.requireSettings();
    const { address } = request;
    const state = request.query.get('state');
    if (!state || !request.cookieState || !sameSecret(state, request.cookieState))
      throw await this.failed(
        address,
        new InvalidInputError(
          'This sign-in was not started in this browser, or its state was altered; sign in again (登录状态无效)',
          'OIDC_STATE_MISMATCH',
        ),
      );
    const pending = await this.pending.takePending(sha256(state));
    if (!pending || pending.expired)
      throw await this.failed(
        address,
        new InvalidInputError(
          'This sign-in has expired or was already used; sign in again (登录已过期或已使用)',
          pending ? 'OIDC_STATE_EXPIRED' : 'OIDC_STATE_UNKNOWN',
        ),
      );
    const config = await this.configuration(settings);
    const callbackUrl = new URL(pending.redirectUri);
    callbackUrl.search = request.query.toString();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw await this.exchangeFailed(address, error);
    }
    const claims = await this.identityClaims(config, tokens.access_token, tokens.claims()!, address);
    const account = await this.accountFor(config.serverMetadata().issuer, claims, address);
    const session = await this.sessions.sessionFor(account.id, { principal: ANONYMOUS, address }, 'oidc');
    return { session, returnTo: pending.returnTo };
  }

  private requireSettings(): OidcSettings {
    if (!this.settings)
      throw new CampusSsoUnavailableError(
        404,
        'OIDC_NOT_CONFIGURED',
        `Campus SSO (OpenID Connect) is not configured on this gateway: set ${VARIABLES.issuer}, ` +
          `${VARIABLES.clientId} and ${VARIABLES.clientSecret} (统一身份认证未配置)`,
      );
    return this.settings;
  }

  /** The provider's configuration, discovered once; a failed discovery is tried again at the next sign-in. */
  private async configuration(settings: OidcSettings): Promise<oidc.Configuration> {
    const discovery = (this.discovered ??= oidc.discovery(
      settings.issuer,
      settings.clientId,
      undefined,
      oidc.ClientSecretBasic(settings.clientSecret),
      {
        timeout: PROVIDER_TIMEOUT_SECONDS,
        // plain http is allowed only for a provider on this machine (oidcSettingsFromEnv checked)
        execute: settings.issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
      },
    ));
    try {
      return await discovery;
    } catch (error) {
      if (this.discovered === discovery) this.discovered = undefined;
      this.logger.warn(`OpenID discovery at ${settings.issuer.href} failed: ${describe(error)}`);
      throw this.unreachable();
    }
  }

  private unreachable(): CampusSsoUnavailableError {
    return new CampusSsoUnavailableError(
      503,
      'OIDC_PROVIDER_UNREACHABLE',
      'The campus identity provider cannot be reached; try again later or sign in with a password ' +
        '(统一身份认证服务暂不可用)',
    );
  }

  private async exchangeFailed(address: string, error: unknown): Promise<Error> {
    if (error instanceof oidc.AuthorizationResponseError)
      return this.failed(
        address,
        new UnauthenticatedError(
          `The campus identity provider did not sign you in (${error.error}) (统一身份认证未通过)`,
          'OIDC_DENIED_BY_PROVIDER',
          { providerError: error.error },
        ),
      );
    if (error instanceof oidc.ResponseBodyError)
      return this.failed(
        address,
        new InvalidInputError(
          `The campus identity provider refused this sign-in (${error.error}); sign in again (统一身份认证未通过)`,
          'OIDC_CODE_REJECTED',
          { providerError: error.error },
        ),
      );
    return this.providerFailed(address, 'token exchange', error);
  }

  private async providerFailed(address: string, step: string, error: unknown): Promise<Error> {
    this.logger.warn(`campus sign-in failed at the ${step}: ${describe(error)}`);
    if (isUnreachable(error)) {
      this.discovered = undefined; // the provider may have moved: discover again next time
      return this.unreachable();
    }
    return this.failed(
      address,
      new CampusSsoUnavailableError(
        502,
        'OIDC_PROVIDER_ERROR',
        'The campus identity provider answered with something that could not be verified; sign in again ' +
          '(统一身份认证响应无效)',
      ),
    );
  }

  /**
   * The claims that identify the person: the ID token's, completed from UserInfo when the provider keeps
   * e-mail or login name there (as providers conforming strictly to OpenID Connect do).
   */
  private async identityClaims(
    config: oidc.Configuration,
    accessToken: string,
    idToken: oidc.IDToken,
    address: string,
  ): Promise<CampusIdentityClaims> {
    const complete = ['email', 'email_verified', 'preferred_username'].every((c) => idToken[c] !== undefined);
    if (complete || !config.serverMetadata().userinfo_endpoint) return idToken;
    try {
      // the UserInfo subject must be the ID token's (checked by openid-client)
      return { ...(await oidc.fetchUserInfo(config, accessToken, idToken.sub)), ...idToken };
    } catch (error) {
      throw await this.providerFailed(address, 'UserInfo request', error);
    }
  }

  private async accountFor(
    issuer: string,
    claims: CampusIdentityClaims,
    address: string,
  ): Promise<AccountRow> {
    const linked = await this.accounts.findAccountByOidc(issuer, claims.sub);
    if (linked) return this.active(linked, address);
    const tried: { username: string; outcome: string }[] = [];
    for (const candidate of accountCandidates(claims)) {
      const account = await this.accounts.findAccountByUsername(candidate.username);
      const outcome = !account
        ? 'NO_ACCOUNT'
        : account.status !== 'ACTIVE'
          ? 'ACCOUNT_DISABLED'
          : await this.link(account, issuer, claims.sub, candidate.matchedBy, address);
      if (outcome === 'LINKED') return account!;
      tried.push({ username: candidate.username, outcome });
    }
    // the same identity may have been linked by a sign-in finishing at the same moment
    const raced = await this.accounts.findAccountByOidc(issuer, claims.sub);
    if (raced) return this.active(raced, address);
    await this.audit.record({
      action: 'LOGIN',
      outcome: 'REFUSED',
      actorName: campusIdentityName(claims),
      address,
      details: { reason: 'OIDC_UNKNOWN_ACCOUNT', method: 'oidc', issuer, subject: claims.sub, tried },
    });
    throw new ForbiddenError(
      'no account for this campus identity; ask an HQ admin (该统一身份认证账号没有对应的系统账号，请联系校工会管理员)',
      'OIDC_UNKNOWN_ACCOUNT',
    );
  }

  private async active(account: AccountRow, address: string): Promise<AccountRow> {
    if (account.status === 'ACTIVE') return account;
    await this.audit.record({
      action: 'LOGIN',
      outcome: 'REFUSED',
      actorId: account.id,
      actorName: account.username,
      address,
      details: { reason: 'ACCOUNT_DISABLED', method: 'oidc' },
    });
    throw new ForbiddenError('This account is disabled (账号已停用)', 'ACCOUNT_DISABLED');
  }

  /** Links the campus identity to the account, unless it is linked to another identity already. */
  private async link(
    account: AccountRow,
    issuer: string,
    subject: string,
    matchedBy: string,
    address: string,
  ): Promise<'LINKED' | 'ACCOUNT_DISABLED' | 'LINKED_TO_ANOTHER_IDENTITY'> {
    try {
      return await this.unitOfWork.run(actingFor(undefined), async (work) => {
        const { manager } = work;
        const current = await this.pending.lockAccountLink(manager, account.id);
        if (current?.status !== 'ACTIVE') return 'ACCOUNT_DISABLED';
        if (current.oidcSubject !== null) return 'LINKED_TO_ANOTHER_IDENTITY';
        await this.accounts.linkOidc(manager, account.id, issuer, subject);
        this.audit.within(work, {
          action: 'OIDC_LINKED',
          outcome: 'SUCCESS',
          actorId: account.id,
          actorName: account.username,
          address,
          entity: 'Account',
          entityId: account.id,
          details: { issuer, subject, matchedBy },
        });
        return 'LINKED';
      });
    } catch (error) {
      // (issuer, subject) is unique: another sign-in of this identity linked it to another account just now
      if (isUniqueViolation(error)) return 'LINKED_TO_ANOTHER_IDENTITY';
      throw error;
    }
  }

  /** Audits a sign-in that failed on the caller's side, and hands the error back to be thrown. */
  private async failed<E extends Error & { reason: string }>(address: string, error: E): Promise<E> {
    await this.audit.record({
      action: 'LOGIN',
      outcome: 'FAILURE',
      address,
      details: { reason: error.reason, method: 'oidc' },
    });
    return error;
  }
}
