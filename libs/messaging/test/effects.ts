import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';

/** A stand-in for a consumer's effect in these tests: one row per applied event, so effects can be counted. */
export class EffectsTable1763800000999 implements MigrationInterface {
  async up(q: QueryRunner) {
    await q.query(`CREATE TABLE effect (id BIGSERIAL PRIMARY KEY, member_id TEXT NOT NULL)`);
  }
  async down(q: QueryRunner) {
    await q.query(`DROP TABLE effect`);
  }
}

export async function countEffects(dataSource: DataSource, memberId: string): Promise<number> {
  return Number(
    (await dataSource.query(`SELECT count(*) AS n FROM effect WHERE member_id = $1`, [memberId]))[0].n,
  );
}
