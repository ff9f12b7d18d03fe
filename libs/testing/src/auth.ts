import { randomUUID } from 'node:crypto';
import {
  generateSigningKey,
  signAccessToken,
  type Grant,
  type Principal,
  type Role,
  type SigningKey,
} from '@unionfed/auth';

/** A signing key of the test's own, and tokens for whoever the test needs to be. */
export interface TestIssuer {
  key: SigningKey;
  /** the public key set, as services take it from UNIONFED_JWKS */
  jwks: { keys: object[] };
  /** environment for a service that must trust this issuer */
  env: { UNIONFED_JWKS: string };
  /** a bearer token for a principal (the default is a user with the given grants) */
  token(grants: Grant[], overrides?: Partial<Principal>, ttlSeconds?: number): Promise<string>;
  /** `Authorization` header value */
  bearer(grants: Grant[], overrides?: Partial<Principal>): Promise<string>;
}

export async function createTestIssuer(): Promise<TestIssuer> {
  const key = await generateSigningKey();
  const jwks = { keys: [key.publicJwk as object] };
  const token = async (grants: Grant[], overrides: Partial<Principal> = {}, ttlSeconds = 600) =>
    (
      await signAccessToken(
        key,
        {
          kind: 'user',
          subject: randomUUID(),
          name: 'test-user',
          grants,
          scopes: [],
          ...overrides,
        },
        ttlSeconds,
      )
    ).token;
  return {
    key,
    jwks,
    env: { UNIONFED_JWKS: JSON.stringify(jwks) },
    token,
    bearer: async (grants, overrides) => `Bearer ${await token(grants, overrides)}`,
  };
}

/** A federation-wide (HQ) grant. */
export const hq = (role: Role): Grant => ({ role, branchId: null });
/** A grant for one branch union. */
export const inBranch = (role: Role, branchId: string): Grant => ({ role, branchId });
