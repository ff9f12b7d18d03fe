import type { Principal } from './principal';

/**
 * Access tokens a TokenVerifier has verified, with their principal, until the token expires: a session sends the
 * same token with every request for its lifetime (10 minutes), and the gateway and every subgraph on a query's
 * plan would otherwise verify it again each time. Least recently used entries go first beyond `maxEntries`.
 *
 * Keyed by the whole token, never by a part of it: a valid signature pasted onto another payload is a different
 * key, and goes through full verification (and fails). Only successes are cached. A cached token stays accepted
 * until its `exp` even if its signing key were withdrawn from the key set meanwhile — the same bound as a token
 * already handed out.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    readonly maxEntries: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The principal of a token verified earlier and not yet expired. */
  get(token: string): Principal | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(token, entry); // most recently used: last in insertion order
    return entry.principal;
  }

  /** Remembers a verified token until `expiresAt` (ms since the epoch). The principal is frozen. */
  set(token: string, principal: Principal, expiresAt: number): Principal {
    const frozen = freezePrincipal(principal);
    if (this.maxEntries <= 0 || expiresAt <= this.now()) return frozen;
    this.entries.delete(token);
    this.entries.set(token, { principal: frozen, expiresAt });
    while (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    return frozen;
  }

  clear(): void {
    this.entries.clear();
  }
}

/** The same principal is handed to every request that sends the token: nobody may change it. */
function freezePrincipal(principal: Principal): Principal {
  return Object.freeze({
    ...principal,
    grants: Object.freeze(principal.grants.map((grant) => Object.freeze({ ...grant }))),
    scopes: Object.freeze([...principal.scopes]),
  });
}
