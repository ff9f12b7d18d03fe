import type { MigrationInterface, QueryRunner } from 'typeorm';
import { nameSearchKeys } from '../member-search';

/** Members whose search keys one statement fills. */
const BATCH = 5_000;

/**
 * - 教职工总数 per year: `branch_staff_headcount` (a branch's count holds from its year until a later year's).
 *   The single `branch.staff_headcount` moves into it as the count of the current year (Asia/Shanghai) — for the
 *   branches that had one (0 meant "not known") — and is dropped: the count in effect today is the latest year's.
 * - The roster's name search (see member-search.ts): `member.name_characters` and `member.name_initials`, filled
 *   here for the members there are (in batches, in JS: the initials come from pinyin-pro), then GIN-indexed and
 *   required — a path that writes a member without them fails instead of leaving the member unfindable.
 */
export class HeadcountsAndNameSearch1764800000000 implements MigrationInterface {
  name = 'HeadcountsAndNameSearch1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE branch_staff_headcount (
        branch_id        UUID NOT NULL REFERENCES branch(id),
        year             SMALLINT NOT NULL CHECK (year >= 1950),
        staff_headcount  INTEGER NOT NULL CHECK (staff_headcount BETWEEN 0 AND 100000),
        recorded_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
        PRIMARY KEY (branch_id, year)
      )`);
    await q.query(`
      INSERT INTO branch_staff_headcount (branch_id, year, staff_headcount)
      SELECT id, extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int, staff_headcount
        FROM branch WHERE staff_headcount > 0`);
    await q.query(`ALTER TABLE branch DROP COLUMN staff_headcount`);

    await q.query(`ALTER TABLE member ADD COLUMN name_characters TEXT[], ADD COLUMN name_initials TEXT[]`);
    for (let after = '00000000-0000-0000-0000-000000000000'; ;) {
      const rows: { id: string; name: string }[] = await q.query(
        `SELECT id, name FROM member WHERE id > $1 ORDER BY id LIMIT ${BATCH}`,
        [after],
      );
      if (rows.length === 0) break;
      const keys = rows.map((r) => ({ id: r.id, ...nameSearchKeys(r.name) }));
      await q.query(
        `UPDATE member m SET name_characters = k.characters, name_initials = k.initials
           FROM json_to_recordset($1::json) AS k(id uuid, characters text[], initials text[])
          WHERE m.id = k.id`,
        [JSON.stringify(keys)],
      );
      after = rows[rows.length - 1].id;
    }
    await q.query(
      `ALTER TABLE member ALTER COLUMN name_characters SET NOT NULL, ALTER COLUMN name_initials SET NOT NULL`,
    );
    await q.query(`CREATE INDEX member_name_characters ON member USING gin (name_characters)`);
    await q.query(`CREATE INDEX member_name_initials ON member USING gin (name_initials)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX member_name_initials`);
    await q.query(`DROP INDEX member_name_characters`);
    await q.query(`ALTER TABLE member DROP COLUMN name_initials, DROP COLUMN name_characters`);
    await q.query(
      `ALTER TABLE branch ADD COLUMN staff_headcount INTEGER NOT NULL DEFAULT 0 CHECK (staff_headcount >= 0)`,
    );
    await q.query(`
      UPDATE branch b SET staff_headcount = h.staff_headcount
        FROM (SELECT DISTINCT ON (branch_id) branch_id, staff_headcount FROM branch_staff_headcount
               ORDER BY branch_id, year DESC) h
       WHERE h.branch_id = b.id`);
    await q.query(`ALTER TABLE branch ALTER COLUMN staff_headcount DROP DEFAULT`);
    await q.query(`DROP TABLE branch_staff_headcount`);
  }
}
