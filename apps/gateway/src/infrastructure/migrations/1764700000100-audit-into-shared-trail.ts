import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The gateway's audit events move into the shared audit trail (libs/audit's audit_log, created just before):
 * one table, one query, for every service. Events keep their ids (time-ordered), so paging stays as it was.
 */
export class AuditIntoSharedTrail1764700000100 implements MigrationInterface {
  name = 'AuditIntoSharedTrail1764700000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO audit_log (id, occurred_at, actor_id, actor_name, branch_id, action, outcome, entity_type,
                             entity_id, details, address)
      SELECT id, at, coalesce(actor_id, ''), coalesce(actor_name, ''), branch_id, action, outcome, entity,
             entity_id, details, address
        FROM audit_event`);
    await q.query(`DROP TABLE audit_event`);
    await q.query(`CREATE INDEX audit_log_action ON audit_log (action, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
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
    await q.query(`
      INSERT INTO audit_event (id, at, action, outcome, actor_id, actor_name, address, entity, entity_id,
                               branch_id, details)
      SELECT id, occurred_at, action, outcome, nullif(actor_id, ''), nullif(actor_name, ''), address, entity_type,
             entity_id, branch_id, details
        FROM audit_log`);
    await q.query(`DROP INDEX audit_log_action`);
  }
}
