import { createHash, randomBytes } from 'node:crypto';

/** How refresh tokens and API key secrets are stored: random enough that a plain hash keeps them. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** 72 random bits plus a letter and a digit, so it also meets the password rules. */
export const newOneTimePassword = () => `${randomBytes(9).toString('base64url')}9x`;
