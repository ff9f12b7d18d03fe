import { Injectable, Logger } from '@nestjs/common';
import type { JSONWebKeySet, JWK } from 'jose';
import {
  exportSigningKey,
  generateSigningKey,
  importSigningKey,
  TokenVerifier,
  type SigningKey,
} from '@unionfed/auth';
import { IdentityRepository } from '../infrastructure/identity.repository';

/** A retired key stays published this long, so tokens it signed stay verifiable until they expire. */
const RETIRED_KEY_PUBLISHED_MS = 24 * 3600 * 1000;

/**
 * The gateway's token signing keys (Ed25519, each with a key id). The newest signs; retired ones stay in the
 * published key set for a day. Several gateway instances share them through the database. A private key can
 * also come from UNIONFED_JWT_PRIVATE_KEY (a JWK with kid), e.g. from a secret store.
 */
@Injectable()
export class SigningKeys {
  private readonly logger = new Logger('SigningKeys');
  private current?: SigningKey;
  private published: JWK[] = [];
  private verifier?: TokenVerifier;

  constructor(private readonly repository: IdentityRepository) {}

  async load(): Promise<void> {
    const configured = process.env.UNIONFED_JWT_PRIVATE_KEY;
    if (configured) {
      this.current = await importSigningKey(JSON.parse(configured) as JWK);
      this.published = [this.current.publicJwk];
    } else {
      if (!(await this.repository.signingKeys()).some((key) => key.retiredAt === null)) {
        const key = await generateSigningKey();
        if (await this.repository.rotateSigningKey(key.kid, await exportSigningKey(key), true))
          this.logger.log(`created signing key ${key.kid}`);
      }
      await this.reload();
    }
    this.verifier = new TokenVerifier({ jwks: this.jwks() });
  }

  private async reload(): Promise<void> {
    const rows = await this.repository.signingKeys();
    const active = rows.filter((row) => row.retiredAt === null).at(-1);
    if (!active) throw new Error('no active signing key');
    this.current = await importSigningKey(active.privateJwk);
    const since = Date.now() - RETIRED_KEY_PUBLISHED_MS;
    const keys = rows.filter((row) => row.retiredAt === null || row.retiredAt.getTime() > since);
    this.published = await Promise.all(
      keys.map(async (row) => (await importSigningKey(row.privateJwk)).publicJwk),
    );
  }

  /** Starts signing with a new key; the old one stays published (rotation). */
  async rotate(): Promise<string> {
    const key = await generateSigningKey();
    await this.repository.rotateSigningKey(key.kid, await exportSigningKey(key), false);
    await this.reload();
    this.verifier = new TokenVerifier({ jwks: this.jwks() });
    this.logger.log(`rotated to signing key ${key.kid}`);
    return key.kid;
  }

  signingKey(): SigningKey {
    if (!this.current) throw new Error('signing keys not loaded');
    return this.current;
  }

  /** The public keys, for /.well-known/jwks.json. */
  jwks(): JSONWebKeySet {
    return { keys: this.published };
  }

  /** Verifies tokens against the gateway's own keys (no HTTP round trip). */
  tokenVerifier(): TokenVerifier {
    if (!this.verifier) throw new Error('signing keys not loaded');
    return this.verifier;
  }
}
