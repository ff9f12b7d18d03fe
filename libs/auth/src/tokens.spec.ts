import { generateSigningKey, signAccessToken, TokenVerifier, decodeGrant, encodeGrant } from './tokens';
import { authenticate } from './context';
import type { Principal } from './principal';

const principal: Omit<Principal, 'tokenId'> = {
  kind: 'user',
  subject: 'account-1',
  name: 'zhang',
  grants: [
    { role: 'ADMIN', branchId: null },
    { role: 'VIEWER', branchId: '0190a000-0000-7000-8000-00000000000a' },
  ],
  memberId: 'member-1',
  scopes: [],
};

describe('access tokens', () => {
  it('round-trips a principal through a signed token carrying its key id', async () => {
    const key = await generateSigningKey('k1');
    const { token, tokenId } = await signAccessToken(key, principal, 60);
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())).toMatchObject({
      alg: 'EdDSA',
      kid: 'k1',
    });
    const verified = await new TokenVerifier({ jwks: { keys: [key.publicJwk] } }).verify(token);
    expect(verified).toEqual({ ...principal, tokenId });
  });

  it('refuses a token of a key it does not know, and an expired one, with distinct reasons', async () => {
    const key = await generateSigningKey('k1');
    const other = await generateSigningKey('k1');
    const verifier = new TokenVerifier({ jwks: { keys: [key.publicJwk] } });
    await expect(verifier.verify((await signAccessToken(other, principal, 60)).token)).rejects.toMatchObject({
      kind: 'UNAUTHENTICATED',
      reason: 'TOKEN_INVALID',
    });
    await expect(verifier.verify((await signAccessToken(key, principal, -60)).token)).rejects.toMatchObject({
      reason: 'TOKEN_EXPIRED',
    });
  });

  it('encodes grants compactly and refuses unknown roles', () => {
    expect(encodeGrant({ role: 'VIEWER', branchId: 'b' })).toBe('VIEWER@b');
    expect(decodeGrant('ADMIN')).toEqual({ role: 'ADMIN', branchId: null });
    expect(() => decodeGrant('ROOT')).toThrow(expect.objectContaining({ reason: 'TOKEN_INVALID' }));
  });

  it('treats a request without credentials as anonymous, and keeps the reason bad credentials were refused', async () => {
    const key = await generateSigningKey();
    const verifier = new TokenVerifier({ jwks: { keys: [key.publicJwk] } });
    expect((await authenticate(verifier, undefined)).principal.kind).toBe('anonymous');
    const basic = await authenticate(verifier, 'Basic dXNlcjpwYXNz');
    expect(basic.principal.kind).toBe('anonymous');
    expect(basic.authError).toMatchObject({ reason: 'TOKEN_INVALID' });
    const good = await authenticate(verifier, `Bearer ${(await signAccessToken(key, principal, 60)).token}`);
    expect(good.principal.subject).toBe('account-1');
  });
});
