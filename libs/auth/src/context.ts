import type { JSONWebKeySet } from 'jose';
import { UnauthenticatedError } from '@unionfed/domain-kit';
import { ANONYMOUS, type Principal } from './principal';
import { bearerToken, TokenVerifier } from './tokens';

/** Where subgraphs fetch the gateway's public keys unless told otherwise. */
export const DEFAULT_JWKS_URL = 'http://127.0.0.1:4000/.well-known/jwks.json';

/**
 * The verifier a service uses: `UNIONFED_JWKS` (a JSON key set, e.g. in tests) or `UNIONFED_JWKS_URL` (the
 * gateway's /.well-known/jwks.json).
 */
export function verifierFromEnvironment(env: NodeJS.ProcessEnv = process.env): TokenVerifier {
  if (env.UNIONFED_JWKS) return new TokenVerifier({ jwks: JSON.parse(env.UNIONFED_JWKS) as JSONWebKeySet });
  return new TokenVerifier({ jwksUrl: env.UNIONFED_JWKS_URL ?? DEFAULT_JWKS_URL });
}

export interface Authentication {
  principal: Principal;
  /** why the credentials sent were refused; PUBLIC fields still work, every other field answers with it */
  authError?: UnauthenticatedError;
}

/** Builds the principal of a request from its Authorization header (no header: anonymous). */
export async function authenticate(
  verifier: TokenVerifier,
  authorization: string | string[] | undefined,
): Promise<Authentication> {
  if (authorization === undefined || authorization === '') return { principal: ANONYMOUS };
  const token = bearerToken(authorization);
  if (!token) {
    return {
      principal: ANONYMOUS,
      authError: new UnauthenticatedError(
        'Send the access token as "Authorization: Bearer <token>"',
        'TOKEN_INVALID',
      ),
    };
  }
  try {
    return { principal: await verifier.verify(token) };
  } catch (error) {
    if (error instanceof UnauthenticatedError) return { principal: ANONYMOUS, authError: error };
    throw error;
  }
}
