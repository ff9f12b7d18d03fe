import type { Principal } from './principal';
import { VerifiedTokenCache } from './token-cache';
import { generateSigningKey, signAccessToken, TokenVerifier } from './tokens';

const principal: Omit<Principal, 'tokenId'> = {
  kind: 'user',
  subject: 'account-1',
  name: 'zhang',
  grants: [{ role: 'VIEWER', branchId: 'branch-1' }],
  scopes: [],
};

describe('VerifiedTokenCache', () => {
  it('serves a token until it expires, then forgets it', () => {
    let now = 1_000;
    const cache = new VerifiedTokenCache(10, () => now);
    cache.set('t', { ...principal }, 2_000);
    expect(cache.get('t')).toMatchObject({ subject: 'account-1' });
    now = 2_000;
    expect(cache.get('t')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used token beyond its size', () => {
    const cache = new VerifiedTokenCache(2, () => 0);
    cache.set('a', { ...principal, subject: 'a' }, 10);
    cache.set('b', { ...principal, subject: 'b' }, 10);
    cache.get('a'); // a is now the most recently used
    cache.set('c', { ...principal, subject: 'c' }, 10);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.subject).toBe('a');
    expect(cache.get('c')?.subject).toBe('c');
  });

  it('keeps nothing with size 0 or a token already expired, and hands out frozen principals', () => {
    const none = new VerifiedTokenCache(0, () => 0);
    const frozen = none.set('t', { ...principal, grants: [...principal.grants] }, 10);
    expect(none.get('t')).toBeUndefined();
    expect(
      Object.isFrozen(frozen) && Object.isFrozen(frozen.grants) && Object.isFrozen(frozen.grants[0]),
    ).toBe(true);
    const cache = new VerifiedTokenCache(10, () => 100);
    cache.set('t', { ...principal }, 100);
    expect(cache.size).toBe(0);
  });
});

describe('TokenVerifier with its cache', () => {
  it('checks a token signature once, then answers from the cache with the same principal', async () => {
    const key = await generateSigningKey('k1');
    const { token, tokenId } = await signAccessToken(key, principal, 60);
    const verifier = new TokenVerifier({ jwks: { keys: [key.publicJwk] } });
    const check = jest.spyOn(verifier as unknown as { check: () => unknown }, 'check');
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    expect(check).toHaveBeenCalledTimes(1);
    expect(second).toBe(first);
    expect(second).toEqual({ ...principal, memberId: undefined, tokenId });
  });

  it('never lets a cached signature vouch for another payload', async () => {
    const key = await generateSigningKey('k1');
    const { token } = await signAccessToken(key, principal, 60);
    const verifier = new TokenVerifier({ jwks: { keys: [key.publicJwk] } });
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, grants: ['ADMIN'] })).toString('base64url');
    expect(forged).not.toBe(payload);
    await expect(verifier.verify(`${header}.${forged}.${signature}`)).rejects.toMatchObject({
      reason: 'TOKEN_INVALID',
    });
  });

  it('verifies again once a cached token has expired, and caches nothing with cacheSize 0', async () => {
    const key = await generateSigningKey('k1');
    const { token } = await signAccessToken(key, principal, 60);
    const verifier = new TokenVerifier({ jwks: { keys: [key.publicJwk] } });
    const check = jest.spyOn(verifier as unknown as { check: () => unknown }, 'check');
    await verifier.verify(token);
    const realNow = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(realNow + 61_000);
    try {
      await verifier.verify(token).catch(() => undefined); // jose decides (its own clock): the cache does not
    } finally {
      clock.mockRestore();
    }
    expect(check).toHaveBeenCalledTimes(2);

    const uncached = new TokenVerifier({ jwks: { keys: [key.publicJwk] }, cacheSize: 0 });
    const uncachedCheck = jest.spyOn(uncached as unknown as { check: () => unknown }, 'check');
    await uncached.verify(token);
    await uncached.verify(token);
    expect(uncachedCheck).toHaveBeenCalledTimes(2);
  });
});
