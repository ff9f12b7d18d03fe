import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 花名册导入: one row per import job (its progress is read while it runs) and the problems of its rows (capped;
 * the job counts the rest).
 */
export class RosterImport1763800000400 implements MigrationInterface {
  name = 'RosterImport1763800000400';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE roster_import_job (
        id                  UUID PRIMARY KEY,
        mode                TEXT NOT NULL CHECK (mode IN ('DRY_RUN','APPLY')),
        on_invalid          TEXT NOT NULL CHECK (on_invalid IN ('SKIP','ABORT')),
        status              TEXT NOT NULL CHECK (status IN ('QUEUED','RUNNING','SUCCEEDED','ABORTED','FAILED')),
        phase               TEXT NOT NULL DEFAULT 'QUEUED',
        file_name           TEXT,
        file_bytes          BIGINT NOT NULL,
        format              TEXT,
        encoding            TEXT,
        mapping             JSONB NOT NULL DEFAULT '{}',
        ignored_columns     TEXT[] NOT NULL DEFAULT '{}',
        total_rows          INTEGER,
        processed           INTEGER NOT NULL DEFAULT 0,
        created             INTEGER NOT NULL DEFAULT 0,
        updated             INTEGER NOT NULL DEFAULT 0,
        unchanged           INTEGER NOT NULL DEFAULT 0,
        invalid             INTEGER NOT NULL DEFAULT 0,
        error_count         INTEGER NOT NULL DEFAULT 0,
        stored_errors       INTEGER NOT NULL DEFAULT 0,
        failure_code        TEXT,
        failure_message     TEXT,
        failure_message_en  TEXT,
        -- who started it, and how far their grants reached then: the job acts, and is seen, within that reach
        started_by          TEXT NOT NULL,
        started_by_name     TEXT NOT NULL,
        scope_all           BOOLEAN NOT NULL,
        scope_branch_ids    UUID[] NOT NULL DEFAULT '{}',
        traceparent         TEXT,
        created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
        started_at          TIMESTAMPTZ,
        finished_at         TIMESTAMPTZ,
        heartbeat_at        TIMESTAMPTZ
      )`);
    // "my imports" and "imports of my branch", newest first
    await q.query(`CREATE INDEX roster_import_job_started_by ON roster_import_job (started_by, id DESC)`);
    await q.query(`CREATE INDEX roster_import_job_scope ON roster_import_job USING gin (scope_branch_ids)`);
    await q.query(
      `CREATE INDEX roster_import_job_unfinished ON roster_import_job (heartbeat_at) WHERE status IN ('QUEUED','RUNNING')`,
    );
    await q.query(`
      CREATE TABLE roster_import_error (
        job_id        UUID NOT NULL REFERENCES roster_import_job(id) ON DELETE CASCADE,
        seq           INTEGER NOT NULL,
        row_number    INTEGER NOT NULL,
        column_name   TEXT,
        code          TEXT NOT NULL,
        message       TEXT NOT NULL,
        message_en    TEXT NOT NULL,
        staff_number  TEXT,
        PRIMARY KEY (job_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE roster_import_error`);
    await q.query(`DROP TABLE roster_import_job`);
  }
}
