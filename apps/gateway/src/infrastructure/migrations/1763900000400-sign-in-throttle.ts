import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in throttling without a hard lock: failures counted per (username, address), per address and per
 * username (domain/accounts.ts SIGN_IN_THROTTLE), in the database because every gateway replica must see the same
 * counts. The account's own lock-out (failed_logins, locked_until), which let anyone lock anyone out, and the
 * per-address failure log it came with are gone.
 */
export class SignInThrottle1763900000400 implements MigrationInterface {
  name = 'SignInThrottle1763900000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sign_in_throttle (
        scope            TEXT NOT NULL CHECK (scope IN ('PAIR','ADDRESS','USERNAME')),
        -- PAIR and USERNAME: SHA-256 of what was typed as the username (people type passwords there too);
        -- ADDRESS: the client address
        key              TEXT NOT NULL,
        failures         INTEGER NOT NULL,
        -- the start of the window the failures are counted in
        since            TIMESTAMPTZ NOT NULL,
        last_failure_at  TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE INDEX sign_in_throttle_last_failure ON sign_in_throttle (last_failure_at)`);
    await q.query(`DROP TABLE login_failure`);
    await q.query(`ALTER TABLE account DROP COLUMN failed_logins, DROP COLUMN locked_until`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE account ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0, ADD COLUMN locked_until TIMESTAMPTZ`,
    );
    await q.query(`
      CREATE TABLE login_failure (
        address  TEXT NOT NULL,
        at       TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX login_failure_address ON login_failure (address, at)`);
    await q.query(`DROP TABLE sign_in_throttle`);
  }
}
