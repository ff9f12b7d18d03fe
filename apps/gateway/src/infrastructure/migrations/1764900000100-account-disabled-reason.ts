import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why an account is disabled: by an admin (`ADMIN`), or because its member left the union (`MEMBER_WITHDREW`,
 * `MEMBER_DECEASED`) — a member who is reinstated gets back an account the membership took, never one an admin
 * disabled. Accounts disabled before this column existed take the reason of their last ACCOUNT_DISABLED audit row.
 */
export class AccountDisabledReason1764900000100 implements MigrationInterface {
  name = 'AccountDisabledReason1764900000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE account ADD COLUMN disabled_reason TEXT
        CHECK (disabled_reason IN ('ADMIN','MEMBER_WITHDREW','MEMBER_DECEASED'))`);
    await q.query(`
      UPDATE account a SET disabled_reason = COALESCE((
          SELECT l.details->>'reason' FROM audit_log l
           WHERE l.action = 'ACCOUNT_DISABLED' AND l.entity_type = 'Account' AND l.entity_id = a.id::text
             AND l.details->>'reason' IN ('MEMBER_WITHDREW','MEMBER_DECEASED')
           ORDER BY l.id DESC LIMIT 1), 'ADMIN')
       WHERE a.status = 'DISABLED'`);
    await q.query(`
      ALTER TABLE account ADD CONSTRAINT account_disabled_reason
        CHECK ((status = 'DISABLED') = (disabled_reason IS NOT NULL))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE account DROP COLUMN disabled_reason`);
  }
}
