import { createHash, randomInt } from 'node:crypto';
import * as argon2 from 'argon2';
import { checkPassword } from '../domain/accounts';

/** How refresh tokens and API key secrets are stored: random enough that a plain hash keeps them. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** Letters and digits nobody misreads on a printed sheet: no 0/o, 1/l/i. */
export const ONE_TIME_PASSWORD_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** 31 symbols, 14 of them: about 69 random bits. */
export const ONE_TIME_PASSWORD_LENGTH = 14;

/**
 * A one-time password for `username`: random (crypto), readable off a sheet, and within the password rules — with
 * a letter and a digit, not containing the username (drawn again otherwise, which is rare).
 */
export function newOneTimePassword(username: string): string {
  for (;;) {
    let password = '';
    for (let i = 0; i < ONE_TIME_PASSWORD_LENGTH; i++)
      password += ONE_TIME_PASSWORD_ALPHABET[randomInt(ONE_TIME_PASSWORD_ALPHABET.length)];
    try {
      checkPassword(password, username);
      return password;
    } catch {
      // no digit, no letter, or the username in it: draw again
    }
  }
}

/**
 * argon2id with light parameters, for one-time passwords only: a slow hash protects passwords people choose (few
 * guesses cover many of them); a random 69-bit secret is out of reach of guessing however fast each guess is, as
 * the refresh tokens and API keys stored as SHA-256 are. So a branch's sheet of several hundred accounts is hashed
 * in well under a second instead of a minute. A password the account holder chooses gets the full parameters.
 */
const ONE_TIME_PASSWORD_HASH = {
  type: argon2.argon2id,
  memoryCost: 1024,
  timeCost: 1,
  parallelism: 1,
} as const;

export function hashOneTimePassword(password: string): Promise<string> {
  return argon2.hash(password, ONE_TIME_PASSWORD_HASH);
}

/** Whether a stored hash is a one-time password's (light parameters: it verifies in about a millisecond). */
export function isOneTimePasswordHash(hash: string): boolean {
  const params = /^\$argon2id\$v=19\$([^$]+)\$/.exec(hash)?.[1];
  if (!params) return false;
  const values = Object.fromEntries(params.split(',').map((pair) => pair.split('=')));
  return (
    values.m === String(ONE_TIME_PASSWORD_HASH.memoryCost) &&
    values.t === String(ONE_TIME_PASSWORD_HASH.timeCost) &&
    values.p === String(ONE_TIME_PASSWORD_HASH.parallelism)
  );
}
