import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { DEFAULT_JWKS_URL, TOKEN_ALGORITHM, type SigningKey } from '@unionfed/auth';
import { refuse } from './limits/http-limits';
import type { RequestWithRawBody } from './limits/subgraph-limits';

/**
 * The gateway-to-subgraph hop is authenticated: the gateway signs every request it forwards with its token
 * signing key (Ed25519, the key set subgraphs already trust for access tokens), as a short JWT of its own type
 * in this header. It covers the method, the path, the time and a SHA-256 digest of the exact body bytes; a
 * subgraph takes it within SIGNATURE_WINDOW_SECONDS of its time (replays are bounded by that window).
 */
export const GATEWAY_SIGNATURE_HEADER = 'x-unionfed-gateway-signature';
export const SIGNATURE_WINDOW_SECONDS = 30;
const SIGNATURE_TYPE = 'gateway-request+jwt';
const SIGNATURE_ISSUER = 'unionfed-gateway';
const SIGNATURE_AUDIENCE = 'unionfed-subgraph';

/**
 * The body of a request that streams through the gateway (a roster upload, a route of the table whose
 * `streamed` is set): it cannot be digested before it is sent, so its signature covers method, path and time
 * only — the caller's own token still has to be valid.
 */
export const STREAMED_BODY = Symbol('streamed body');

export interface SignedRequest {
  method: string;
  /** path and query of the URL, e.g. /graphql */
  path: string;
  body: string | Buffer | typeof STREAMED_BODY;
}

function digest(body: SignedRequest['body']): string {
  return body === STREAMED_BODY ? 'STREAMED' : createHash('sha256').update(body).digest('base64url');
}

/** The header value that signs `request` (the gateway, for every subgraph request it sends). */
export async function signGatewayRequest(key: SigningKey, request: SignedRequest): Promise<string> {
  return new SignJWT({ htm: request.method.toUpperCase(), htu: request.path, bdh: digest(request.body) })
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: key.kid, typ: SIGNATURE_TYPE })
    .setIssuer(SIGNATURE_ISSUER)
    .setAudience(SIGNATURE_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${SIGNATURE_WINDOW_SECONDS}s`)
    .sign(key.privateKey);
}

/** Checks gateway signatures against the gateway's public keys. */
export class GatewaySignatureVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(options: { jwks?: JSONWebKeySet; jwksUrl?: string }) {
    if (options.jwks) this.keys = createLocalJWKSet(options.jwks);
    else
      this.keys = createRemoteJWKSet(new URL(options.jwksUrl ?? DEFAULT_JWKS_URL), {
        cooldownDuration: 1_000,
      });
  }

  /** The same key set as access tokens: `UNIONFED_JWKS` or `UNIONFED_JWKS_URL` (see verifierFromEnvironment). */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): GatewaySignatureVerifier {
    return env.UNIONFED_JWKS
      ? new GatewaySignatureVerifier({ jwks: JSON.parse(env.UNIONFED_JWKS) as JSONWebKeySet })
      : new GatewaySignatureVerifier({ jwksUrl: env.UNIONFED_JWKS_URL });
  }

  /** Whether `signature` is the gateway's, of this very request, and recent. */
  async verifies(signature: string, request: SignedRequest): Promise<boolean> {
    try {
      const { payload } = await jwtVerify(signature, this.keys, {
        issuer: SIGNATURE_ISSUER,
        audience: SIGNATURE_AUDIENCE,
        algorithms: [TOKEN_ALGORITHM],
        typ: SIGNATURE_TYPE,
        requiredClaims: ['iat', 'exp'],
        maxTokenAge: `${SIGNATURE_WINDOW_SECONDS}s`,
        clockTolerance: 5,
      });
      return (
        payload.htm === request.method.toUpperCase() &&
        payload.htu === request.path &&
        payload.bdh === digest(request.body)
      );
    } catch {
      return false;
    }
  }
}

/**
 * Express middleware for a subgraph's GraphQL path (after the body parser, which keeps the raw body); its HTTP
 * routes get the same check from their guard (http/http-access.ts). A signature
 * that is sent must be valid; without one, a request is refused where `required` (production) and served as
 * any other elsewhere (tests and developers call subgraphs directly) — limits and access checks apply either way.
 * Refusals are 401 UNAUTHENTICATED with a plain message.
 */
export function gatewaySignatureCheck(options: { verifier: GatewaySignatureVerifier; required: boolean }) {
  return function gatewaySignatureHandler(
    req: IncomingMessage & RequestWithRawBody & { originalUrl?: string },
    res: ServerResponse,
    next: (error?: unknown) => void,
  ): void {
    const header = req.headers[GATEWAY_SIGNATURE_HEADER];
    const signature = Array.isArray(header) ? header[0] : header;
    const refused = (message: string) =>
      refuse(res, 401, 'UNAUTHENTICATED', message, { reason: 'GATEWAY_SIGNATURE_INVALID' });
    if (!signature) {
      if (options.required) return refused('This service only answers requests forwarded by the gateway');
      return next();
    }
    const request: SignedRequest = {
      method: req.method ?? 'GET',
      path: req.originalUrl ?? req.url ?? '',
      body: req.rawBody ?? '',
    };
    options.verifier
      .verifies(signature, request)
      .then(
        (valid) => (valid ? next() : refused('The gateway signature of this request is not valid')),
        next,
      );
  };
}
