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

/**
 * Versions and the federation's structure: every directory row records, per column, the version of the fact
 * that wrote it (`versions`, see BatchWrites: the newest wins); members get their union group; union groups and
 * committee appointments get tables of their own. Rows written before have no versions: any event may update
 * them.
 */
export class DirectoryVersionsAndStructure1763800000060 implements MigrationInterface {
  name = 'DirectoryVersionsAndStructure1763800000060';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['branch_directory', 'member_directory', 'projection_status']) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN versions JSONB NOT NULL DEFAULT '{}'`);
    }
    await q.query(`ALTER TABLE member_directory ADD COLUMN group_id UUID`);
    await q.query(
      `CREATE INDEX member_directory_group ON member_directory (group_id) WHERE group_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE union_group_directory (
        group_id          UUID PRIMARY KEY,
        branch_id         UUID NOT NULL,
        name              TEXT NOT NULL,
        leader_member_id  UUID,
        status            TEXT NOT NULL,
        formed_on         DATE,
        dissolved_on      DATE,
        versions          JSONB NOT NULL DEFAULT '{}',
        updated_at        TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`CREATE INDEX union_group_directory_branch ON union_group_directory (branch_id, status)`);
    await q.query(`
      CREATE TABLE committee_directory (
        appointment_id       UUID PRIMARY KEY,
        -- NULL: the federation's own (校工会) committee
        committee_branch_id  UUID,
        member_id            UUID NOT NULL,
        role                 TEXT NOT NULL,
        group_id             UUID,
        starts_on            DATE,
        ends_on              DATE,
        status               TEXT NOT NULL,
        end_reason           TEXT,
        versions             JSONB NOT NULL DEFAULT '{}',
        updated_at           TIMESTAMPTZ NOT NULL
      )`);
    await q.query(`CREATE INDEX committee_directory_member ON committee_directory (member_id, status)`);
    await q.query(
      `CREATE INDEX committee_directory_committee ON committee_directory (committee_branch_id, status)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE committee_directory`);
    await q.query(`DROP TABLE union_group_directory`);
    await q.query(`ALTER TABLE member_directory DROP COLUMN group_id`);
    for (const table of ['branch_directory', 'member_directory', 'projection_status']) {
      await q.query(`ALTER TABLE ${table} DROP COLUMN versions`);
    }
  }
}

/** The directory's migrations, in order: every consuming service runs them after MESSAGING_MIGRATIONS. */
export const DIRECTORY_MIGRATIONS = [
  DirectoryTables1763800000050,
  DirectoryVersionsAndStructure1763800000060,
];
