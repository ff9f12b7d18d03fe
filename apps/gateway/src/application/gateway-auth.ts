import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  ANONYMOUS,
  AUTH_OFF_PRINCIPAL,
  authenticate,
  authenticationSwitchedOff,
  type Principal,
} from '@unionfed/auth';
import { UnauthenticatedError } from '@unionfed/domain-kit';
import { ApiKeyService } from './api-keys.service';
import { SigningKeys } from './signing-keys';

export interface IncomingRequest {
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string };
}

export interface RequestIdentity {
  principal: Principal;
  /** why the credentials sent were refused (the caller is then anonymous) */
  authError?: Error;
  /** the Authorization header subgraphs get: the caller's token, or the one minted for an API key */
  forwardAuthorization?: string;
  /** the client's address (for throttling and the audit log) */
  address: string;
  /** whose budget a request spends: the API key, the user, or the address */
  rateKey: string;
}

const API_KEY_TOKEN_REUSE_MS = 60_000;

function header(req: IncomingRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The client's address: the socket's peer, or the first X-Forwarded-For hop behind a trusted proxy. */
export function clientAddress(
  req: IncomingRequest,
  trustProxy = process.env.UNIONFED_TRUST_PROXY === '1',
): string {
  const forwarded = trustProxy ? header(req, 'x-forwarded-for')?.split(',')[0]?.trim() : undefined;
  return forwarded || req.socket?.remoteAddress || 'unknown';
}

/**
 * Who a request to the gateway comes from. A bearer token is verified against the gateway's own keys; an API key
 * (X-Api-Key) is checked against its stored hash and exchanged for a short-lived INTEGRATION token, reused for
 * a minute so that an integration's burst of requests does not hash and audit each one. Subgraphs verify the
 * forwarded token again themselves.
 */
@Injectable()
export class GatewayAuthenticator {
  private readonly apiKeyTokens = new Map<string, { token: string; principal: Principal; until: number }>();
  /** UNIONFED_AUTH=off (benchmarks; refused in production): no token or API key is looked at */
  private readonly authOff = authenticationSwitchedOff('the gateway', (message) =>
    new Logger('GatewayAuthenticator').warn(message),
  );

  constructor(
    private readonly apiKeys: ApiKeyService,
    private readonly keys: SigningKeys,
  ) {}

  async identify(req: IncomingRequest): Promise<RequestIdentity> {
    const address = clientAddress(req);
    if (this.authOff) return { principal: AUTH_OFF_PRINCIPAL, address, rateKey: `address:${address}` };
    const apiKey = header(req, 'x-api-key');
    if (apiKey !== undefined) return this.identifyApiKey(apiKey, address);
    const authorization = header(req, 'authorization');
    const { principal, authError } = await authenticate(this.keys.tokenVerifier(), authorization);
    return {
      principal,
      authError,
      forwardAuthorization: principal.kind === 'anonymous' ? undefined : authorization,
      address,
      rateKey: principal.kind === 'anonymous' ? `address:${address}` : `user:${principal.subject}`,
    };
  }

  private async identifyApiKey(secret: string, address: string): Promise<RequestIdentity> {
    const cacheKey = createHash('sha256').update(secret).digest('base64');
    const now = Date.now();
    let cached = this.apiKeyTokens.get(cacheKey);
    if (!cached || cached.until <= now) {
      this.apiKeyTokens.delete(cacheKey);
      try {
        const key = await this.apiKeys.verifyApiKey(secret.trim(), address);
        const { token, expiresAt } = await this.apiKeys.tokenForApiKey(key);
        const principal = await this.keys.tokenVerifier().verify(token);
        cached = { token, principal, until: Math.min(now + API_KEY_TOKEN_REUSE_MS, expiresAt.getTime()) };
        if (this.apiKeyTokens.size > 10_000) this.apiKeyTokens.clear();
        this.apiKeyTokens.set(cacheKey, cached);
      } catch (error) {
        if (!(error instanceof UnauthenticatedError)) throw error;
        return { principal: ANONYMOUS, authError: error, address, rateKey: `address:${address}` };
      }
    }
    return {
      principal: cached.principal,
      forwardAuthorization: `Bearer ${cached.token}`,
      address,
      rateKey: `key:${cached.principal.subject}`,
    };
  }

  /** Forget cached API key tokens (a key was revoked: it stops working at once on this instance). */
  forgetApiKeys(): void {
    this.apiKeyTokens.clear();
  }
}
