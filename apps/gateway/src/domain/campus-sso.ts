import { InvalidInputError } from '@unionfed/domain-kit';

/** How long a started campus sign-in may take at the provider before its state is no longer accepted. */
export const OIDC_LOGIN_TTL_SECONDS = 600;

/** The claims of a campus identity that decide which local account it is (ID token, else UserInfo). */
export interface CampusIdentityClaims {
  sub: string;
  email?: unknown;
  email_verified?: unknown;
  preferred_username?: unknown;
}

export type AccountMatch = { username: string; matchedBy: 'email' | 'preferred_username' };

/**
 * The local usernames a campus identity that is not linked yet may be linked to, in order of trust: a verified
 * e-mail address, then the provider's login name. An unverified address proves nothing, so it is never used.
 */
export function accountCandidates(claims: CampusIdentityClaims): AccountMatch[] {
  const candidates: AccountMatch[] = [];
  const add = (value: unknown, matchedBy: AccountMatch['matchedBy']) => {
    if (typeof value !== 'string') return;
    const username = value.trim().toLowerCase();
    if (username && !candidates.some((c) => c.username === username))
      candidates.push({ username, matchedBy });
  };
  if (claims.email_verified === true) add(claims.email, 'email');
  add(claims.preferred_username, 'preferred_username');
  return candidates;
}

/** The best name to record for a campus identity in the audit log. */
export function campusIdentityName(claims: CampusIdentityClaims): string {
  for (const value of [claims.email, claims.preferred_username])
    if (typeof value === 'string' && value.trim()) return value.trim().toLowerCase();
  return claims.sub;
}

/**
 * Where to send the browser after a campus sign-in: only a path on the gateway's own origin (never another
 * site — an open redirect would hand the tokens to whoever crafted the link). Returns undefined when none is
 * asked for.
 */
export function safeReturnTo(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const refuse = () => {
    throw new InvalidInputError(
      'return_to must be a path on this site, such as /dashboard (不允许跳转到其他站点)',
      'OIDC_RETURN_TO_INVALID',
      { field: 'return_to' },
    );
  };
  // one leading slash (not "//host" or "/\host", which browsers read as another origin), no fragment, no
  // whitespace or control characters, nothing a browser might "fix" into something else
  if (value.length > 1000 || !/^\/(?![/\\])[\x21-\x7e]*$/.test(value) || /[\\#]/.test(value)) refuse();
  const base = 'https://gateway.invalid';
  const resolved = new URL(value, base);
  if (resolved.origin !== base) refuse();
  return `${resolved.pathname}${resolved.search}`;
}
