import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables of the membership projection every consuming service carries. */
export class DirectoryTables1763800000050 implements MigrationInterface {
  name = 'DirectoryTables1763800000050';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE branch_directory (
        branch_id        UUID PRIMARY KEY,
        campus_id        UUID,
        code             TEXT NOT NULL,
        name             TEXT NOT NULL,
        kind             TEXT NOT NULL,
        staff_headcount  INTEGER NOT NULL,
        status           TEXT NOT NULL,
        updated_at       TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`
      CREATE TABLE member_directory (
        member_id      UUID PRIMARY KEY,
        branch_id      UUID NOT NULL,
        staff_number   TEXT,
        member_number  TEXT,
        name           TEXT,
        gender         TEXT,
        birth_date     DATE,
        category       TEXT,
        status         TEXT NOT NULL,
        joined_on      DATE,
        updated_at     TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`CREATE INDEX member_directory_branch ON member_directory (branch_id, status)`);
    await q.query(`
      CREATE TABLE projection_status (
        projection       TEXT PRIMARY KEY,
        events_applied   BIGINT NOT NULL DEFAULT 0,
        last_event_id    UUID,
        last_event_type  TEXT,
        last_event_time  TIMESTAMPTZ,
        updated_at       TIMESTAMPTZ NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE projection_status`);
    await q.query(`DROP TABLE member_directory`);
    await q.query(`DROP TABLE branch_directory`);
  }
}
