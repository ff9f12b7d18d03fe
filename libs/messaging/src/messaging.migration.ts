import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox and inbox tables every service carries. Included in each service's migration list.
 * - outbox: rows written in the same transaction as the state change; `seq` gives the publication order;
 *   a trigger NOTIFYs the relay on commit (a rolled-back insert notifies nobody).
 * - inbox: one row per (consumer, event id) written in the same transaction as the handler's effects.
 */
export class MessagingTables1763800000000 implements MigrationInterface {
  name = 'MessagingTables1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        seq           BIGSERIAL PRIMARY KEY,
        id            UUID NOT NULL UNIQUE,
        topic         TEXT NOT NULL,
        message_key   TEXT NOT NULL,
        event_type    TEXT NOT NULL,
        payload       BYTEA NOT NULL,
        headers       JSONB NOT NULL,
        created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        published_at  TIMESTAMPTZ,
        attempts      INTEGER NOT NULL DEFAULT 0,
        last_error    TEXT
      )`);
    await q.query(`CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL`);
    await q.query(
      `CREATE INDEX outbox_unpublished_key ON outbox (message_key, seq) WHERE published_at IS NULL`,
    );
    await q.query(`
      CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('unionfed_outbox', '');
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
      FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()`);
    await q.query(`
      CREATE TABLE inbox (
        consumer        TEXT NOT NULL,
        event_id        UUID NOT NULL,
        event_type      TEXT NOT NULL,
        topic           TEXT NOT NULL,
        kafka_partition INTEGER NOT NULL,
        kafka_offset    BIGINT NOT NULL,
        processed_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (consumer, event_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE inbox`);
    await q.query(`DROP TRIGGER outbox_notify ON outbox`);
    await q.query(`DROP FUNCTION outbox_notify()`);
    await q.query(`DROP TABLE outbox`);
  }
}

/**
 * The outbox is a queue: rows are inserted, updated once (published) and pruned. Vacuum it far more eagerly than
 * the default (20 % dead rows) so that the relay's index scans do not wade through dead entries.
 */
export class OutboxAutovacuum1763800000020 implements MigrationInterface {
  name = 'OutboxAutovacuum1763800000020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000,
                               autovacuum_analyze_scale_factor = 0.02, autovacuum_analyze_threshold = 1000)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE outbox RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,
                                 autovacuum_analyze_scale_factor, autovacuum_analyze_threshold)`,
    );
  }
}

/**
 * The relay claims rows in `seq` order (outbox_unpublished) and serialises keys with advisory locks; nothing
 * reads unpublished rows by key any more, so that index only cost every event an index entry.
 */
export class OutboxDropKeyIndex1763800000030 implements MigrationInterface {
  name = 'OutboxDropKeyIndex1763800000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS outbox_unpublished_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX outbox_unpublished_key ON outbox (message_key, seq) WHERE published_at IS NULL`,
    );
  }
}
