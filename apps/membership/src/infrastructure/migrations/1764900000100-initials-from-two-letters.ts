import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The name search's stored initials keep prefixes of two letters or more (member-search.ts
 * SHORTEST_INDEXED_PREFIX): the one-letter prefixes, shared by a twentieth of the roster or more, were most of the
 * GIN index's upkeep on every write. A name whose initials are one letter long keeps it. In SQL, so that this step
 * means the same whenever it runs.
 */
export class InitialsFromTwoLetters1764900000100 implements MigrationInterface {
  name = 'InitialsFromTwoLetters1764900000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE member
         SET name_initials = ARRAY(SELECT i FROM unnest(name_initials) i WHERE length(i) >= 2)
       WHERE EXISTS (SELECT 1 FROM unnest(name_initials) i WHERE length(i) = 1)
         AND EXISTS (SELECT 1 FROM unnest(name_initials) i WHERE length(i) >= 2)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE member
         SET name_initials = ARRAY(SELECT DISTINCT left(i, 1) FROM unnest(name_initials) i) || name_initials
       WHERE EXISTS (SELECT 1 FROM unnest(name_initials) i WHERE length(i) >= 2)`);
  }
}
