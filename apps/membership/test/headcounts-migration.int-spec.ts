import type { DataSource } from 'typeorm';
import { todayInShanghai } from '@unionfed/domain-kit';
import { createDataSource, migrate, uuidv7 } from '@unionfed/persistence';
import { MESSAGING_MIGRATIONS } from '@unionfed/messaging';
import { createTestDatabase } from '@unionfed/testing';
import { MEMBERSHIP_MIGRATIONS } from '../src/infrastructure/migrations';
import { HeadcountsAndNameSearch1764800000000 } from '../src/infrastructure/migrations/1764800000000-headcounts-and-name-search';

const THIS_YEAR = Number(todayInShanghai().slice(0, 4));

/**
 * Migration 1764800000000 on a database that has branches and members from before it: the single staff headcount
 * becomes this year's count, and the members already there get their name search keys.
 */
describe('migrating to staff headcounts per year and the name search (real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  const [counted, unknown] = [uuidv7(), uuidv7()];
  const members = [uuidv7(), uuidv7(), uuidv7()];

  const open = (migrations: unknown[]) =>
    createDataSource({
      url: database.url,
      entities: [],
      migrations: migrations as never,
      applicationName: 'headcounts-migration-test',
    });

  beforeAll(async () => {
    database = await createTestDatabase('headcounts_migration');
    const before = open([
      ...MESSAGING_MIGRATIONS,
      ...MEMBERSHIP_MIGRATIONS.filter((m) => m !== HeadcountsAndNameSearch1764800000000),
    ]);
    await migrate(before);
    const campus = uuidv7();
    await before.query(`INSERT INTO campus (id, code, name) VALUES ($1, 'MAIN', '本部校区')`, [campus]);
    await before.query(
      `INSERT INTO branch (id, campus_id, code, name, kind, staff_headcount, status)
       VALUES ($1, $3, 'CS', '计算机学院分工会', 'COLLEGE', 136, 'ACTIVE'),
              ($2, $3, 'NEW', '新分工会', 'COLLEGE', 0, 'ACTIVE')`,
      [counted, unknown, campus],
    );
    for (const [i, name] of ['张三', '单田芳', 'Anna Li'].entries()) {
      await before.query(
        `INSERT INTO member (id, member_number, staff_number, name, gender, category, branch_id, joined_on, status)
         VALUES ($1, $2, $3, $4, 'MALE', 'TEACHER', $5, '2020-09-01', 'ACTIVE')`,
        [members[i], `M${i}`, `S${i}`, name, counted],
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

  it("moves a branch's single headcount into this year, and none for a branch whose headcount was not known", async () => {
    expect(
      await dataSource.query(
        `SELECT branch_id, year::int, staff_headcount FROM branch_staff_headcount ORDER BY branch_id`,
      ),
    ).toEqual([{ branch_id: counted, year: THIS_YEAR, staff_headcount: 136 }]);
    const columns = await dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'branch' AND column_name = 'staff_headcount'`,
    );
    expect(columns).toEqual([]);
  });

  it('fills the name search keys of the members already there, and requires them of every new row', async () => {
    const rows = await dataSource.query(
      `SELECT name, name_characters, name_initials FROM member ORDER BY id`,
    );
    expect(rows[0]).toEqual({ name: '张三', name_characters: ['张', '三'], name_initials: ['z', 'zs'] });
    expect(rows[1].name_initials).toEqual(expect.arrayContaining(['stf', 'dtf']));
    expect(rows[2]).toEqual({ name: 'Anna Li', name_characters: ['a', 'n', 'l', 'i'], name_initials: [] });
    await expect(
      dataSource.query(
        `INSERT INTO member (id, member_number, staff_number, name, gender, category, branch_id, joined_on, status)
         VALUES ($1, 'M9', 'S9', '李四', 'MALE', 'TEACHER', $2, '2020-09-01', 'ACTIVE')`,
        [uuidv7(), counted],
      ),
    ).rejects.toThrow(/name_characters/);
  });

  it('gives the latest count back as the single headcount when undone', async () => {
    await dataSource.query(
      `INSERT INTO branch_staff_headcount (branch_id, year, staff_headcount) VALUES ($1, $2, 120)`,
      [counted, THIS_YEAR - 1],
    );
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await dataSource.query(`SELECT id, staff_headcount FROM branch ORDER BY id`)).toEqual([
      { id: counted, staff_headcount: 136 },
      { id: unknown, staff_headcount: 0 },
    ]);
    await migrate(dataSource);
  });
});
