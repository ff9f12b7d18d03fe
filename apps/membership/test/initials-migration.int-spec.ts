import type { DataSource } from 'typeorm';
import { createDataSource, migrate, uuidv7 } from '@unionfed/persistence';
import { MESSAGING_MIGRATIONS } from '@unionfed/messaging';
import { createTestDatabase } from '@unionfed/testing';
import { MEMBERSHIP_MIGRATIONS } from '../src/infrastructure/migrations';
import { InitialsFromTwoLetters1764900000100 } from '../src/infrastructure/migrations/1764900000100-initials-from-two-letters';

/**
 * Migration 1764900000100 on members whose search keys were written with one-letter prefixes: those go, a name
 * whose initials are one letter long keeps its one, and every other key stays.
 */
describe('migrating the stored initials to prefixes of two letters or more (real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  const ids = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];

  const open = (migrations: unknown[]) =>
    createDataSource({
      url: database.url,
      entities: [],
      migrations: migrations as never,
      applicationName: 'initials-migration-test',
    });

  beforeAll(async () => {
    database = await createTestDatabase('initials_migration');
    const before = open([
      ...MESSAGING_MIGRATIONS,
      ...MEMBERSHIP_MIGRATIONS.slice(0, MEMBERSHIP_MIGRATIONS.indexOf(InitialsFromTwoLetters1764900000100)),
    ]);
    await migrate(before);
    const [campus, branch] = [uuidv7(), uuidv7()];
    await before.query(`INSERT INTO campus (id, code, name) VALUES ($1, 'MAIN', '本部校区')`, [campus]);
    await before.query(
      `INSERT INTO branch (id, campus_id, code, name, kind, status) VALUES ($1, $2, 'CS', '计算机', 'COLLEGE', 'ACTIVE')`,
      [branch, campus],
    );
    const keys: [string, string[], string[]][] = [
      ['张三', ['张', '三'], ['z', 'zs']],
      ['单田芳', ['单', '田', '芳'], ['s', 'st', 'stf', 'd', 'dt', 'dtf']],
      ['100%_张', ['1', '0', '%', '_', '张'], ['z']],
      ['Anna Li', ['a', 'n', 'l', 'i'], []],
    ];
    for (const [i, [name, characters, initials]] of keys.entries()) {
      await before.query(
        `INSERT INTO member (id, member_number, staff_number, name, gender, category, branch_id, joined_on, status,
                             name_characters, name_initials)
         VALUES ($1, $2, $3, $4, 'MALE', 'TEACHER', $5, '2020-09-01', 'ACTIVE', $6, $7)`,
        [ids[i], `M${i}`, `S${i}`, name, branch, characters, initials],
      );
    }
    await before.destroy();
    dataSource = open([...MESSAGING_MIGRATIONS, ...MEMBERSHIP_MIGRATIONS]);
    await migrate(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('drops the one-letter prefixes, keeps a one-letter initial that is the whole, and leaves the rest', async () => {
    const rows = await dataSource.query(`SELECT name, name_initials FROM member ORDER BY id`);
    expect(rows).toEqual([
      { name: '张三', name_initials: ['zs'] },
      { name: '单田芳', name_initials: ['st', 'stf', 'dt', 'dtf'] },
      { name: '100%_张', name_initials: ['z'] },
      { name: 'Anna Li', name_initials: [] },
    ]);
  });
});
