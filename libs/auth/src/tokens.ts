import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { randomUUID } from 'node:crypto';
import { UnauthenticatedError } from '@unionfed/domain-kit';
import type { Principal } from './principal';
import { isRole, type Grant } from './roles';
import { VerifiedTokenCache } from './token-cache';

export const TOKEN_ISSUER = 'unionfed';
export const TOKEN_AUDIENCE = 'unionfed';
/** Ed25519 signatures: small, fast, no parameter choices to get wrong. */
export const TOKEN_ALGORITHM = 'EdDSA';

interface AccessClaims extends JWTPayload {
  typ: 'user' | 'integration';
  name: string;
  /** grants as "ROLE" (federation-wide) or "ROLE@<branch id>" */
  grants: string[];
  mid?: string;
  scp?: string[];
}

export function encodeGrant(grant: Grant): string {
  return grant.branchId ? `${grant.role}@${grant.branchId}` : grant.role;
}

export function decodeGrant(value: unknown): Grant {
  if (typeof value !== 'string') throw new UnauthenticatedError('Malformed access token', 'TOKEN_INVALID');
  const [role, branchId, ...rest] = value.split('@');
  if (!isRole(role) || rest.length > 0) {
    throw new UnauthenticatedError('Malformed access token', 'TOKEN_INVALID');
  }
  return { role, branchId: branchId || null };
}

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  /** the public half as a JWK (with kid, alg, use), for the JWKS document */
  publicJwk: JWK;
}

/** A new Ed25519 signing key with a fresh key id. */
export async function generateSigningKey(kid: string = randomUUID()): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALGORITHM, use: 'sig' };
  return { kid, privateKey, publicJwk };
}

export async function exportSigningKey(key: SigningKey): Promise<JWK> {
  return { ...(await exportJWK(key.privateKey)), kid: key.kid, alg: TOKEN_ALGORITHM };
}

export async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  if (!jwk.kid || !jwk.d) throw new Error('a signing key needs a kid and its private part');
  const privateKey = (await importJWK(jwk, TOKEN_ALGORITHM)) as CryptoKey;
  const { d: _d, ...publicJwk } = jwk;
  return { kid: jwk.kid, privateKey, publicJwk: { ...publicJwk, alg: TOKEN_ALGORITHM, use: 'sig' } };
}

/** Signs short-lived access tokens for principals (the gateway's identity service, and tests). */
export async function signAccessToken(
  key: SigningKey,
  principal: Omit<Principal, 'tokenId'>,
  ttlSeconds: number,
): Promise<{ token: string; tokenId: string; expiresAt: Date }> {
  const tokenId = randomUUID();
  const claims: AccessClaims = {
    typ: principal.kind === 'integration' ? 'integration' : 'user',
    name: principal.name,
    grants: principal.grants.map(encodeGrant),
    ...(principal.memberId ? { mid: principal.memberId } : {}),
    ...(principal.scopes.length ? { scp: [...principal.scopes] } : {}),
  };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(principal.subject)
    .setJti(tokenId)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(key.privateKey);
  return { token, tokenId, expiresAt: new Date((now + ttlSeconds) * 1000) };
}

export interface TokenVerifierOptions {
  /** where the gateway publishes its public keys (rotation: unknown key ids are fetched again) */
  jwksUrl?: string;
  /** or the keys themselves (tests, air-gapped deployments) */
  jwks?: JSONWebKeySet;
  /** verified tokens remembered until they expire, least recently used out first (default 10,000; 0: none) */
  cacheSize?: number;
}

/** A remote key set is fetched again for an unknown key id at most this often. */
const JWKS_COOLDOWN_MS = 1_000;

/** Verifies access tokens and turns them into principals; every subgraph holds one. */
export class TokenVerifier {
  private readonly keys: JWTVerifyGetKey;
  private readonly remote: boolean;
  /** a session sends the same token for its lifetime: its signature is checked once per process */
  readonly cache: VerifiedTokenCache;

  constructor(options: TokenVerifierOptions) {
    this.remote = !options.jwks;
    this.cache = new VerifiedTokenCache(options.cacheSize ?? 10_000);
    if (options.jwks) this.keys = createLocalJWKSet(options.jwks);
    else if (options.jwksUrl)
      this.keys = createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: JWKS_COOLDOWN_MS });
    else throw new Error('TokenVerifier needs jwksUrl or jwks');
  }

  private async check(token: string): Promise<{ payload: AccessClaims }> {
    return (await jwtVerify(token, this.keys, {
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      algorithms: [TOKEN_ALGORITHM],
      typ: 'at+jwt',
      requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      clockTolerance: 5,
    })) as unknown as { payload: AccessClaims };
  }

  /** The principal a bearer token stands for; UnauthenticatedError for anything not exactly right. */
  async verify(token: string): Promise<Principal> {
    const cached = this.cache.get(token);
    if (cached) return cached;
    let payload: AccessClaims;
    try {
      try {
        ({ payload } = await this.check(token));
      } catch (error) {
        // a key id not seen yet (the gateway rotated its key moments after the set was last fetched): once the
        // cool-down has passed, the set is fetched again
        if (!(this.remote && error instanceof joseErrors.JWKSNoMatchingKey)) throw error;
        await new Promise((resolve) => setTimeout(resolve, JWKS_COOLDOWN_MS));
        ({ payload } = await this.check(token));
      }
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new UnauthenticatedError('Your session has expired; sign in again', 'TOKEN_EXPIRED');
      }
      if (error instanceof joseErrors.JOSEError) {
        throw new UnauthenticatedError('The access token is not valid', 'TOKEN_INVALID');
      }
      throw error; // e.g. the key set could not be fetched: not the caller's fault
    }
    if ((payload.typ !== 'user' && payload.typ !== 'integration') || !Array.isArray(payload.grants)) {
      throw new UnauthenticatedError('Malformed access token', 'TOKEN_INVALID');
    }
    const principal: Principal = {
      kind: payload.typ,
      subject: payload.sub as string,
      name: typeof payload.name === 'string' ? payload.name : '',
      grants: payload.grants.map(decodeGrant),
      memberId: typeof payload.mid === 'string' ? payload.mid : undefined,
      scopes: Array.isArray(payload.scp) ? payload.scp.filter((s) => typeof s === 'string') : [],
      tokenId: payload.jti,
    };
    return this.cache.set(token, principal, (payload.exp as number) * 1000);
  }
}

/** The bearer token of an Authorization header, if it carries one. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
