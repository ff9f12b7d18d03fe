import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The gateway's identity store: accounts, role grants, sessions, signing keys, API keys and the audit log. */
export class IdentitySchema1763900000100 implements MigrationInterface {
  name = 'IdentitySchema1763900000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE account (
        id                    UUID PRIMARY KEY,
        username              TEXT NOT NULL UNIQUE,
        display_name          TEXT NOT NULL,
        -- argon2id; NULL for accounts that only sign in through campus SSO
        password_hash         TEXT,
        must_change_password  BOOLEAN NOT NULL DEFAULT false,
        status                TEXT NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE','DISABLED')),
        member_id             UUID UNIQUE,
        oidc_issuer           TEXT,
        oidc_subject          TEXT,
        failed_logins         INTEGER NOT NULL DEFAULT 0,
        locked_until          TIMESTAMPTZ,
        last_login_at         TIMESTAMPTZ,
        created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
        UNIQUE (oidc_issuer, oidc_subject)
      )`);
    await q.query(`
      CREATE TABLE role_grant (
        account_id  UUID NOT NULL REFERENCES account(id),
        role        TEXT NOT NULL,
        -- NULL: the whole federation (HQ)
        branch_id   UUID,
        granted_by  UUID,
        granted_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX role_grant_unique ON role_grant (account_id, role, coalesce(branch_id, '00000000-0000-0000-0000-000000000000'))`,
    );
    await q.query(`
      CREATE TABLE refresh_token (
        id           UUID PRIMARY KEY,
        account_id   UUID NOT NULL REFERENCES account(id),
        -- every refresh token descends from one login; reuse of a rotated token revokes the whole family
        family_id    UUID NOT NULL,
        token_hash   BYTEA NOT NULL UNIQUE,
        expires_at   TIMESTAMPTZ NOT NULL,
        rotated_at   TIMESTAMPTZ,
        revoked_at   TIMESTAMPTZ,
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refresh_token_family ON refresh_token (family_id)`);
    await q.query(`CREATE INDEX refresh_token_account ON refresh_token (account_id)`);
    await q.query(`
      CREATE TABLE signing_key (
        kid          TEXT PRIMARY KEY,
        private_jwk  JSONB NOT NULL,
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        retired_at   TIMESTAMPTZ
      )`);
    await q.query(`
      CREATE TABLE api_key (
        id           UUID PRIMARY KEY,
        -- shown in lists so people can tell keys apart; the secret itself is stored only as a hash
        prefix       TEXT NOT NULL UNIQUE,
        secret_hash  BYTEA NOT NULL,
        label        TEXT NOT NULL,
        scopes       TEXT[] NOT NULL,
        expires_at   TIMESTAMPTZ NOT NULL,
        revoked_at   TIMESTAMPTZ,
        created_by   UUID NOT NULL,
        created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
        last_used_at TIMESTAMPTZ
      )`);
    await q.query(`
      CREATE TABLE login_failure (
        address  TEXT NOT NULL,
        at       TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX login_failure_address ON login_failure (address, at)`);
    await q.query(`
      CREATE TABLE audit_event (
        id          UUID PRIMARY KEY,
        at          TIMESTAMPTZ NOT NULL DEFAULT now(),
        action      TEXT NOT NULL,
        outcome     TEXT NOT NULL CHECK (outcome IN ('SUCCESS','FAILURE','REFUSED')),
        actor_id    TEXT,
        actor_name  TEXT,
        address     TEXT,
        entity      TEXT,
        entity_id   TEXT,
        branch_id   UUID,
        details     JSONB NOT NULL DEFAULT '{}'
      )`);
    await q.query(`CREATE INDEX audit_event_action ON audit_event (action, id)`);
    await q.query(`CREATE INDEX audit_event_actor ON audit_event (actor_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'audit_event',
      'login_failure',
      'api_key',
      'signing_key',
      'refresh_token',
      'role_grant',
      'account',
    ])
      await q.query(`DROP TABLE ${table}`);
  }
}
