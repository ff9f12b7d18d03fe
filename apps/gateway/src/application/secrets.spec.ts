import * as argon2 from 'argon2';
import { checkPassword } from '../domain/accounts';
import {
  hashOneTimePassword,
  isOneTimePasswordHash,
  newOneTimePassword,
  ONE_TIME_PASSWORD_ALPHABET,
  ONE_TIME_PASSWORD_LENGTH,
} from './secrets';

describe('one-time passwords', () => {
  it('draws 14 characters that read unambiguously off a sheet and keep the password rules', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const password = newOneTimePassword('t2019001');
      expect(password).toHaveLength(ONE_TIME_PASSWORD_LENGTH);
      expect(password).toMatch(/^[a-hjkmnp-z2-9]+$/);
      expect(() => checkPassword(password, 't2019001')).not.toThrow();
      seen.add(password);
    }
    expect(seen.size).toBe(2000);
    expect(ONE_TIME_PASSWORD_ALPHABET).not.toMatch(/[0o1li]/);
  });

  it('never contains the username, even a short one made of the alphabet', () => {
    // about one draw in 2,500 contains it: 20,000 draws meet it several times
    for (let i = 0; i < 20_000; i++) expect(newOneTimePassword('a2b')).not.toContain('a2b');
  });

  it('hashes them with argon2id that verifies and that tells them from a chosen password’s hash', async () => {
    const password = newOneTimePassword('someone');
    const hash = await hashOneTimePassword(password);
    expect(await argon2.verify(hash, password)).toBe(true);
    expect(await argon2.verify(hash, `${password}x`)).toBe(false);
    expect(isOneTimePasswordHash(hash)).toBe(true);
    expect(isOneTimePasswordHash(await argon2.hash('Chosen-Password-2026'))).toBe(false);
    expect(isOneTimePasswordHash('not a hash')).toBe(false);
  });
});
