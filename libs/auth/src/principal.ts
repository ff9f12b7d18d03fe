import type { Grant } from './roles';

/**
 * Who is calling: a signed-in user (staff and/or member), an integration (API key), or nobody. Built by every
 * subgraph from the verified access token — never from anything else the caller sends.
 */
export interface Principal {
  kind: 'anonymous' | 'user' | 'integration';
  /** account id (user) or API key id (integration); '' when anonymous */
  subject: string;
  /** the login name or the key's label, for audit records */
  name: string;
  grants: readonly Grant[];
  /** the member record a user account is linked to (self-service), if any */
  memberId?: string;
  /** an integration's scopes, e.g. 'statistics:read' */
  scopes: readonly string[];
  /** the access token's id (jti), for audit records */
  tokenId?: string;
}

export const ANONYMOUS: Principal = Object.freeze({
  kind: 'anonymous',
  subject: '',
  name: 'anonymous',
  grants: [],
  scopes: [],
});

export function isAuthenticated(principal: Principal): boolean {
  return principal.kind !== 'anonymous';
}
