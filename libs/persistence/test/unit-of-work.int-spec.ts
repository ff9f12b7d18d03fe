import type { DataSource, EntityManager } from 'typeorm';
import { ConflictError } from '@unionfed/domain-kit';
import { activeTraceparent, inSpan } from '@unionfed/telemetry';
import { createTestDatabase, recordSpans, type SpanRecorder } from '@unionfed/testing';
import {
  createDataSource,
  PG_ERROR,
  pgError,
  SYSTEM_ACTING,
  UnitOfWork,
  uuidv7,
  type AuditSink,
} from '../src';

describe('UnitOfWork (real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let recorder: SpanRecorder;

  beforeAll(async () => {
    recorder = recordSpans();
    database = await createTestDatabase('unit_of_work');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: [],
      applicationName: 'uow-test',
    });
    await dataSource.initialize();
    await dataSource.query(`CREATE TABLE account (id INT PRIMARY KEY, balance INT NOT NULL)`);
    await dataSource.query(`CREATE TABLE campus (id UUID PRIMARY KEY, code TEXT NOT NULL UNIQUE)`);
    await dataSource.query(`CREATE TABLE note (id UUID PRIMARY KEY, text TEXT NOT NULL)`);
  });

  beforeEach(async () => {
    await dataSource.query(`TRUNCATE account, campus, note`);
    await dataSource.query(`INSERT INTO account VALUES (1, 0), (2, 0)`);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
    await recorder?.stop();
  });

  /** resolves when `n` parties have called it: makes two transactions meet at one point */
  const barrier = (n: number) => {
    let arrived = 0;
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    return () => {
      if (++arrived === n) open();
      return opened;
    };
  };

  it('gives bulk work the bulk statement timeout inside its transaction only: a statement a request may not run long runs', async () => {
    const short = createDataSource({
      url: database.url,
      entities: [],
      migrations: [],
      applicationName: 'uow-bulk-test',
      poolSize: 1, // one connection: what the bulk transaction set would still be on it afterwards
      timeouts: { statement: 200, bulkStatement: 5_000 },
    });
    await short.initialize();
    try {
      const unit = new UnitOfWork(short);
      const sleep = ({ manager }: { manager: EntityManager }) => manager.query('SELECT pg_sleep(0.5)');
      await expect(unit.run(SYSTEM_ACTING, sleep)).rejects.toThrow(/statement timeout/);
      await expect(unit.run(SYSTEM_ACTING, sleep, { statementTimeout: 'bulk' })).resolves.toBeDefined();
      const [{ timeout }] = await short.query(`SELECT current_setting('statement_timeout') AS timeout`);
      expect(timeout).toBe('200ms');
    } finally {
      await short.destroy();
    }
  });

  it('tries a transaction PostgreSQL aborted as a deadlock again, and both commit', async () => {
    const unit = new UnitOfWork(dataSource, { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    const bothLocked = barrier(2);
    const attempts: number[] = [];
    // two transactions locking the same rows in opposite orders: PostgreSQL aborts one with 40P01
    const transfer = (first: number, second: number) =>
      unit.run(SYSTEM_ACTING, async ({ manager, attempt }) => {
        attempts.push(attempt);
        await manager.query(`UPDATE account SET balance = balance + 1 WHERE id = $1`, [first]);
        if (attempt === 1) await bothLocked();
        await manager.query(`UPDATE account SET balance = balance + 1 WHERE id = $1`, [second]);
      });
    await Promise.all([transfer(1, 2), transfer(2, 1)]);
    expect(attempts.sort()).toEqual([1, 1, 2]);
    expect(await dataSource.query(`SELECT id, balance FROM account ORDER BY id`)).toEqual([
      { id: 1, balance: 2 },
      { id: 2, balance: 2 },
    ]);
  });

  it('tries a serialization failure (REPEATABLE READ, concurrent update) again with a fresh snapshot', async () => {
    const unit = new UnitOfWork(dataSource, { retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    let attempts = 0;
    await unit.run(
      SYSTEM_ACTING,
      async ({ manager }) => {
        attempts++;
        await manager.query(`SELECT balance FROM account WHERE id = 1`); // takes the snapshot
        if (attempts === 1) await dataSource.query(`UPDATE account SET balance = 100 WHERE id = 1`);
        await manager.query(`UPDATE account SET balance = balance + 1 WHERE id = 1`);
      },
      { isolation: 'REPEATABLE READ' },
    );
    expect(attempts).toBe(2);
    expect(await dataSource.query(`SELECT balance FROM account WHERE id = 1`)).toEqual([{ balance: 101 }]);
  });

  it('gives up after the bound and passes the last failure on', async () => {
    const unit = new UnitOfWork(dataSource, { retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 2 } });
    let attempts = 0;
    const failure = await unit
      .run(SYSTEM_ACTING, async ({ manager }) => {
        attempts++;
        await manager.query(`INSERT INTO note VALUES ($1, 'written by a doomed try')`, [uuidv7()]);
        await manager.query(`DO $$ BEGIN RAISE EXCEPTION 'raced' USING ERRCODE = '40001'; END $$`);
      })
      .catch((error: unknown) => error);
    expect(attempts).toBe(4);
    expect(pgError(failure)?.code).toBe(PG_ERROR.SERIALIZATION_FAILURE);
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM note`)).toEqual([{ n: 0 }]);
  });

  it('does not retry other failures', async () => {
    const unit = new UnitOfWork(dataSource);
    let attempts = 0;
    await expect(
      unit.run(SYSTEM_ACTING, async ({ manager }) => {
        attempts++;
        await manager.query(`SELECT 1/0`);
      }),
    ).rejects.toMatchObject({ driverError: { code: '22012' } });
    expect(attempts).toBe(1);
  });

  it('maps a unique violation of a declared constraint to CONFLICT with its reason, and leaves others alone', async () => {
    const unit = new UnitOfWork(dataSource, {
      conflicts: {
        campus_code_key: { reason: 'CAMPUS_CODE_TAKEN', message: 'the campus code is taken', field: 'code' },
      },
    });
    const open = () =>
      unit.run(SYSTEM_ACTING, ({ manager }) =>
        manager.query(`INSERT INTO campus VALUES ($1, 'main')`, [uuidv7()]),
      );
    await open();
    const conflict = await open().catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict).toMatchObject({ reason: 'CAMPUS_CODE_TAKEN', details: { field: 'code' } });
    const undeclared = new UnitOfWork(dataSource);
    await expect(
      undeclared.run(SYSTEM_ACTING, ({ manager }) =>
        manager.query(`INSERT INTO campus VALUES ($1, 'main')`, [uuidv7()]),
      ),
    ).rejects.toMatchObject({ driverError: { code: PG_ERROR.UNIQUE_VIOLATION } });
  });

  it('writes the audit entries of a try in its transaction, with the acting principal, and none of a rolled-back one', async () => {
    const written: { actorName: string; entries: readonly string[] }[] = [];
    const audit: AuditSink<string> = {
      async write(manager, acting, entries) {
        expect(manager.queryRunner?.isTransactionActive).toBe(true);
        written.push({ actorName: acting.actorName, entries });
      },
    };
    const unit = new UnitOfWork<never, string>(dataSource, { audit });
    const acting = { ...SYSTEM_ACTING, actorName: 'admin' };
    await unit.run(acting, async (work) => work.audit('CHANGED'));
    await expect(
      unit.run(acting, async (work) => {
        work.audit('NEVER');
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(written).toEqual([{ actorName: 'admin', entries: ['CHANGED'] }]);
  });

  it('runs in a span of its own under the caller’s (the resolver’s): its events and audit rows are of that span', async () => {
    recorder.clear();
    const seen: { published?: string; audited?: string } = {};
    const unit = new UnitOfWork<string, string>(dataSource, {
      outbox: {
        async add() {
          seen.published = activeTraceparent();
          return [];
        },
      },
      audit: {
        async write() {
          seen.audited = activeTraceparent();
        },
      },
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    let tries = 0;
    await inSpan('resolve Mutation.openCampus', {}, () =>
      unit.run(
        { ...SYSTEM_ACTING, actorName: 'admin' },
        async (work) => {
          if (++tries === 1)
            await work.manager.query(`DO $$ BEGIN RAISE EXCEPTION 'raced' USING ERRCODE = '40001'; END $$`);
          await work.publish('CampusOpened');
          work.audit('CAMPUS_OPENED');
        },
        { name: 'openCampus' },
      ),
    );
    const [resolver] = recorder.named('resolve Mutation.openCampus');
    const [uow] = recorder.named('unit-of-work openCampus');
    expect(uow.spanContext().traceId).toBe(resolver.spanContext().traceId);
    expect(uow.parentSpanContext?.spanId).toBe(resolver.spanContext().spanId);
    expect(uow.attributes['unionfed.actor']).toBe('admin');
    expect(uow.events.map((e) => [e.name, e.attributes?.attempt])).toEqual([['retry', 1]]);
    const own = `00-${uow.spanContext().traceId}-${uow.spanContext().spanId}-01`;
    expect(seen).toEqual({ published: own, audited: own });
  });
});
