import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail every service keeps in its own database: one row per change (and per refused or notable
 * act), written in the transaction of the change. Rows are never updated; `id` is a UUIDv7, so it orders them
 * by time and pages them. Indexes serve the audit query's filters (branch, actor, entity, time).
 */
export class AuditLogTable1764700000000 implements MigrationInterface {
  name = 'AuditLogTable1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id              UUID PRIMARY KEY,
        occurred_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
        actor_id        TEXT NOT NULL,
        actor_name      TEXT NOT NULL,
        role            TEXT,
        role_branch_id  UUID,
        branch_id       UUID,
        action          TEXT NOT NULL,
        outcome         TEXT NOT NULL DEFAULT 'SUCCESS',
        entity_type     TEXT,
        entity_id       TEXT,
        before          JSONB,
        after           JSONB,
        details         JSONB NOT NULL DEFAULT '{}'::jsonb,
        address         TEXT,
        trace_id        TEXT
      )`);
    await q.query(`CREATE INDEX audit_log_branch ON audit_log (branch_id, id DESC)`);
    await q.query(`CREATE INDEX audit_log_actor ON audit_log (actor_id, id DESC)`);
    await q.query(`CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id, id DESC)`);
    await q.query(`CREATE INDEX audit_log_time ON audit_log (occurred_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
  }
}

/** The audit trail's migrations: every service lists them after the messaging ones. */
export const AUDIT_MIGRATIONS = [AuditLogTable1764700000000];
