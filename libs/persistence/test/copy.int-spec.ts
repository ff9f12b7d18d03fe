import type { DataSource } from 'typeorm';
import { createTestDatabase } from '@unionfed/testing';
import { copyRows, createDataSource, SYSTEM_ACTING, UnitOfWork, uuidv7 } from '../src';

describe('copyRows (COPY FROM STDIN, real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  const columns = ['id', 'name', 'n', 'flag', 'day', 'at', 'bytes', 'doc', 'note'];

  beforeAll(async () => {
    database = await createTestDatabase('copy');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: [],
      applicationName: 'copy-test',
    });
    await dataSource.initialize();
    await dataSource.query(`
      CREATE TABLE sample (
        id    UUID PRIMARY KEY,
        name  TEXT NOT NULL UNIQUE,
        n     INTEGER,
        flag  BOOLEAN,
        day   DATE,
        at    TIMESTAMPTZ,
        bytes BYTEA,
        doc   JSONB,
        note  TEXT
      )`);
  });

  beforeEach(() => dataSource.query('TRUNCATE sample'));

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('stores every value exactly as given, however awkward its characters', async () => {
    const awkward = 'tab\tnewline\ncarriage\rbackslash\\ 中文 \\N';
    const bytes = Buffer.from([0, 9, 10, 13, 92, 0xff]);
    const at = new Date('2026-11-22T08:30:00.123Z');
    const id = uuidv7();
    await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager }) =>
      copyRows(manager, 'sample', columns, [
        [id, awkward, 7, true, '2026-02-28', at, bytes, { says: awkward, list: [1, null] }, null],
      ]),
    );
    const [row] = await dataSource.query(`SELECT *, day::text AS day FROM sample`);
    expect(row).toEqual({
      id,
      name: awkward,
      n: 7,
      flag: true,
      day: '2026-02-28',
      at,
      bytes,
      doc: { says: awkward, list: [1, null] },
      note: null,
    });
  });

  it('stores many rows in one statement', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => [
      uuidv7(),
      `name-${i}`,
      i,
      null,
      null,
      null,
      null,
      null,
      'x'.repeat(300),
    ]);
    await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager }) =>
      copyRows(manager, 'sample', columns, rows),
    );
    const [{ count, total }] = await dataSource.query(
      `SELECT count(*)::int AS count, sum(n)::int AS total FROM sample`,
    );
    expect({ count, total }).toEqual({ count: 5000, total: (4999 * 5000) / 2 });
  });

  it('fails as a whole on a violated constraint, with the PostgreSQL error code, and keeps nothing', async () => {
    const row = (name: string) => [uuidv7(), name, null, null, null, null, null, null, null];
    await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager }) =>
      copyRows(manager, 'sample', columns, [row('taken')]),
    );
    await expect(
      new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager }) =>
        copyRows(manager, 'sample', columns, [row('new'), row('taken')]),
      ),
    ).rejects.toMatchObject({ code: '23505' });
    expect(await dataSource.query(`SELECT name FROM sample`)).toEqual([{ name: 'taken' }]);
  });

  it('refuses to run outside a transaction', async () => {
    await expect(copyRows(dataSource.manager, 'sample', columns, [])).rejects.toThrow(/inside a transaction/);
  });
});
