import type { DataSource } from 'typeorm';
import { createTestDatabase } from '@unionfed/testing';
import {
  createDataSource,
  isUniqueViolation,
  queryPrepared,
  SYSTEM_ACTING,
  UnitOfWork,
  uuidv7,
} from '../src';

describe('queryPrepared (named prepared statements, real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  const insert = `INSERT INTO sample (id, name) SELECT * FROM unnest($1::uuid[], $2::text[]) RETURNING name`;

  beforeAll(async () => {
    database = await createTestDatabase('prepared');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: [],
      applicationName: 'prepared-test',
      poolSize: 1, // one connection: the second call meets the statement the first one prepared
    });
    await dataSource.initialize();
    await dataSource.query(`CREATE TABLE sample (id UUID PRIMARY KEY, name TEXT NOT NULL UNIQUE)`);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const prepared = () =>
    dataSource.query<{ name: string }[]>(`SELECT name FROM pg_prepared_statements ORDER BY name`);

  it('prepares a statement once per connection and runs it again with new values', async () => {
    const before = (await prepared()).length;
    const uow = new UnitOfWork(dataSource);
    const first = await uow.run(SYSTEM_ACTING, ({ manager }) =>
      queryPrepared<{ name: string }>(manager, insert, [
        [uuidv7(), uuidv7()],
        ['甲', '乙'],
      ]),
    );
    const second = await uow.run(SYSTEM_ACTING, ({ manager }) =>
      queryPrepared<{ name: string }>(manager, insert, [[uuidv7()], ['丙']]),
    );
    expect(first.map((r) => r.name)).toEqual(['甲', '乙']);
    expect(second.map((r) => r.name)).toEqual(['丙']);
    const statements = await prepared();
    expect(statements).toHaveLength(before + 1);
    expect(statements.map((s) => s.name)).toContainEqual(expect.stringMatching(/^uf_[0-9a-f]{20}$/));
    const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM sample`);
    expect(n).toBe(3);
  });

  it("keeps the driver's SQLSTATE on a failed statement, and the transaction rolls back", async () => {
    const failed = new UnitOfWork(dataSource).run(SYSTEM_ACTING, async ({ manager }) => {
      await queryPrepared(manager, insert, [[uuidv7()], ['丁']]);
      await queryPrepared(manager, insert, [[uuidv7()], ['甲']]); // taken
    });
    const error = await failed.catch((e: unknown) => e);
    expect(isUniqueViolation(error, 'sample_name_key')).toBe(true);
    const names = await dataSource.query<{ name: string }[]>(`SELECT name FROM sample ORDER BY name`);
    expect(names.map((r) => r.name)).not.toContain('丁');
  });
});
