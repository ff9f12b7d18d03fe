import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MembershipSchema1763800000100 implements MigrationInterface {
  name = 'MembershipSchema1763800000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE campus (
        id          UUID PRIMARY KEY,
        code        TEXT NOT NULL UNIQUE,
        name        TEXT NOT NULL,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE branch (
        id               UUID PRIMARY KEY,
        campus_id        UUID NOT NULL REFERENCES campus(id),
        code             TEXT NOT NULL UNIQUE,
        name             TEXT NOT NULL,
        kind             TEXT NOT NULL CHECK (kind IN ('COLLEGE','ADMINISTRATION','AFFILIATED','RETIREES')),
        staff_headcount  INTEGER NOT NULL CHECK (staff_headcount >= 0),
        status           TEXT NOT NULL CHECK (status IN ('ACTIVE','MERGED','DISSOLVED')),
        created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX branch_campus ON branch (campus_id)`);
    await q.query(`CREATE SEQUENCE member_number_seq`);
    await q.query(`
      CREATE TABLE member (
        id             UUID PRIMARY KEY,
        member_number  TEXT NOT NULL UNIQUE,
        staff_number   TEXT NOT NULL UNIQUE,
        name           TEXT NOT NULL,
        gender         TEXT NOT NULL CHECK (gender IN ('MALE','FEMALE')),
        birth_date     DATE,
        phone          TEXT,
        email          TEXT,
        category       TEXT NOT NULL CHECK (category IN ('TEACHER','MANAGEMENT','SUPPORT','CONTRACT')),
        title          TEXT,
        branch_id      UUID NOT NULL REFERENCES branch(id),
        group_id       UUID,
        joined_on      DATE NOT NULL,
        status         TEXT NOT NULL CHECK (status IN ('ACTIVE','RETIRED','TRANSFERRED_OUT','WITHDRAWN','DECEASED')),
        created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    // the roster is always read within one branch, ordered by id (UUIDv7: admission order)
    await q.query(`CREATE INDEX member_branch_status ON member (branch_id, status, id)`);
    await q.query(`
      CREATE TABLE member_history (
        id            UUID PRIMARY KEY,
        member_id     UUID NOT NULL REFERENCES member(id),
        change        TEXT NOT NULL,
        branch_id     UUID NOT NULL,
        effective_on  DATE NOT NULL,
        details       JSONB NOT NULL DEFAULT '{}',
        recorded_at   TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX member_history_member ON member_history (member_id, effective_on)`);
    await q.query(`CREATE INDEX member_history_branch ON member_history (branch_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE member_history`);
    await q.query(`DROP TABLE member`);
    await q.query(`DROP SEQUENCE member_number_seq`);
    await q.query(`DROP TABLE branch`);
    await q.query(`DROP TABLE campus`);
  }
}
