import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Campus sign-ins under way (OpenID Connect): what the callback needs to finish one, kept in the database so
 * that any gateway instance can finish a sign-in another started, and each only once.
 */
export class OidcLogin1763900000300 implements MigrationInterface {
  name = 'OidcLogin1763900000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE oidc_login_attempt (
        -- SHA-256 of the state; the state itself is only in the browser's cookie and the provider's redirect
        state_hash     BYTEA PRIMARY KEY,
        nonce          TEXT NOT NULL,
        code_verifier  TEXT NOT NULL,
        redirect_uri   TEXT NOT NULL,
        -- a same-origin path to send the browser to afterwards; NULL: answer with JSON
        return_to      TEXT,
        expires_at     TIMESTAMPTZ NOT NULL,
        created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX oidc_login_attempt_expiry ON oidc_login_attempt (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE oidc_login_attempt`);
  }
}
