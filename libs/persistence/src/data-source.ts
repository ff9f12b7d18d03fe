import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { DataSource, MigrationExecutor, type MixedList, type EntitySchema } from 'typeorm';

export interface DataSourceOptions {
  url: string;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  /** shows in pg_stat_activity */
  applicationName: string;
  poolSize?: number;
  /** overrides of the environment's timeouts (see databaseTimeouts) */
  timeouts?: Partial<DatabaseTimeouts>;
}

/** How long PostgreSQL lets a session's work run (milliseconds; 0: no limit, PostgreSQL's own default). */
export interface DatabaseTimeouts {
  /** one statement (PostgreSQL cancels it past this) — UNIONFED_PG_STATEMENT_TIMEOUT_MS, default 5 s */
  statement: number;
  /**
   * a transaction left open without a statement (PostgreSQL ends the session past this) —
   * UNIONFED_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS, default 30 s
   */
  idleInTransaction: number;
  /** one statement of a migration (rewriting a large table takes longer) — UNIONFED_PG_MIGRATION_STATEMENT_TIMEOUT_MS, default 10 min */
  migrationStatement: number;
  /**
   * one statement of background bulk work run with `RunOptions.statementTimeout: 'bulk'` (a roster import's batches,
   * which may meet an index's deferred maintenance) — UNIONFED_PG_BULK_STATEMENT_TIMEOUT_MS, default 2 min
   */
  bulkStatement: number;
}

export const DATABASE_TIMEOUT_DEFAULTS: DatabaseTimeouts = {
  statement: 5_000,
  idleInTransaction: 30_000,
  migrationStatement: 600_000,
  bulkStatement: 120_000,
};

/** The timeouts from the environment, each a whole number of milliseconds. */
export function databaseTimeouts(env: NodeJS.ProcessEnv = process.env): DatabaseTimeouts {
  const read = (name: string, fallback: number): number => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0)
      throw new Error(`${name} must be a whole number of milliseconds (0: no limit), got '${value}'`);
    return parsed;
  };
  return {
    statement: read('UNIONFED_PG_STATEMENT_TIMEOUT_MS', DATABASE_TIMEOUT_DEFAULTS.statement),
    idleInTransaction: read(
      'UNIONFED_PG_IDLE_IN_TRANSACTION_TIMEOUT_MS',
      DATABASE_TIMEOUT_DEFAULTS.idleInTransaction,
    ),
    migrationStatement: read(
      'UNIONFED_PG_MIGRATION_STATEMENT_TIMEOUT_MS',
      DATABASE_TIMEOUT_DEFAULTS.migrationStatement,
    ),
    bulkStatement: read('UNIONFED_PG_BULK_STATEMENT_TIMEOUT_MS', DATABASE_TIMEOUT_DEFAULTS.bulkStatement),
  };
}

/** The signal of the work (e.g. a GraphQL request past its budget) whose statements are to be cancelled. */
const statementSignal = new AsyncLocalStorage<AbortSignal>();

/**
 * Runs `work` so that every statement it sends — through any data source made by createDataSource — is
 * cancelled in PostgreSQL when `signal` aborts, and none is sent after it has.
 */
export function cancellingStatementsOn<T>(signal: AbortSignal, work: () => T): T {
  return statementSignal.run(signal, work);
}

/**
 * A pool client whose statements follow the signal of the work that sends them (cancellingStatementsOn): once
 * it aborts, the running statement is cancelled (PostgreSQL's cancel request, as pg_cancel_backend does) and no
 * further one is sent. TypeORM sends every statement through `query(text, values)`, which returns a promise.
 */
class CancellableClient extends pg.Client {
  // pg's overloads cannot be restated one by one; the call is passed on as it came
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const signal = statementSignal.getStore();
    const promised = typeof args[args.length - 1] !== 'function';
    if (!signal || !promised) return (super.query as (...a: unknown[]) => unknown)(...args);
    if (signal.aborted) return Promise.reject(abortReason(signal));
    const cancel = () => this.cancelRunningStatement();
    signal.addEventListener('abort', cancel, { once: true });
    const result = (super.query as (...a: unknown[]) => Promise<unknown>)(...args);
    const done = () => signal.removeEventListener('abort', cancel);
    result.then(done, done);
    return result;
  }

  private cancelRunningStatement(): void {
    const connection = new pg.Connection();
    connection.on('error', () => undefined); // the server closes it once the cancel request is read
    connection.on('connect', () => connection.cancel(this.processID, this.secretKey));
    if (this.host?.startsWith('/')) connection.connect(`${this.host}/.s.PGSQL.${this.port}`);
    else connection.connect(this.port, this.host);
  }
}

// what pg has and its types leave out: the backend's key, and the protocol connection's cancel request
declare module 'pg' {
  interface Client {
    processID: number;
    secretKey: number;
  }
  interface Connection {
    connect(portOrSocket: number | string, host?: string): void;
    cancel(processID: number, secretKey: number): void;
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('the work was cancelled');
}

/**
 * The one way a service talks to its PostgreSQL database: explicit migrations (never `synchronize`), a bounded
 * pool, UTC everywhere, every statement bounded by `statement_timeout` and every open transaction by
 * `idle_in_transaction_session_timeout` (set on each connection as it opens), statements cancellable
 * (cancellingStatementsOn).
 */
export function createDataSource(options: DataSourceOptions): DataSource {
  const timeouts = { ...databaseTimeouts(), ...options.timeouts };
  const dataSource = new DataSource({
    type: 'postgres',
    url: options.url,
    entities: options.entities,
    migrations: options.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: ['error'],
    applicationName: options.applicationName,
    extra: {
      max: options.poolSize ?? 10,
      options: '-c timezone=UTC',
      statement_timeout: timeouts.statement,
      idle_in_transaction_session_timeout: timeouts.idleInTransaction,
      Client: CancellableClient,
    },
  });
  migrationStatementTimeouts.set(dataSource, timeouts.migrationStatement);
  bulkStatementTimeouts.set(dataSource, timeouts.bulkStatement);
  return dataSource;
}

/** Each data source's statement timeout for bulk work (UnitOfWork `statementTimeout: 'bulk'`). */
const bulkStatementTimeouts = new WeakMap<DataSource, number>();

/** The statement timeout of bulk work on `dataSource` (its own setting, else the environment's). */
export function bulkStatementTimeoutOf(dataSource: DataSource): number {
  return bulkStatementTimeouts.get(dataSource) ?? databaseTimeouts().bulkStatement;
}

/** Each data source's statement timeout for migrations, read by migrate(). */
const migrationStatementTimeouts = new WeakMap<DataSource, number>();

/**
 * Connects (if needed) and brings the schema up to date. Migrations run on a session of their own whose
 * statement timeout is the (longer) migration one; the session goes back to the pool's setting afterwards.
 */
export async function migrate(dataSource: DataSource): Promise<void> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const migrationTimeout =
    migrationStatementTimeouts.get(dataSource) ?? databaseTimeouts().migrationStatement;
  const queryRunner = dataSource.createQueryRunner('master');
  try {
    await queryRunner.query(`SET statement_timeout = ${migrationTimeout}`);
    const executor = new MigrationExecutor(dataSource, queryRunner);
    executor.transaction = 'each';
    await executor.executePendingMigrations();
  } finally {
    await queryRunner.query('RESET statement_timeout').catch(() => undefined);
    await queryRunner.release();
  }
}
