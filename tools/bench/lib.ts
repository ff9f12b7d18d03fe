/**
 * Shared pieces of the benchmarks in tools/bench: their own local infrastructure (a profile of its own, so a
 * benchmark never touches dev or test state), throwaway databases and topics, the events they send, statistics
 * and table printing. Benchmarks print figures; they are measurements, not tests: a missed goal is not an error.
 */
import { randomBytes } from 'node:crypto';
import type { MessageShape } from '@bufbuild/protobuf';
import { cpus, loadavg, totalmem } from 'node:os';
import { Agent, request } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Client } from 'pg';
import type { Admin, ConsumerConfig, Kafka } from 'kafkajs';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import {
  encodeEvent,
  EventRegistry,
  MemberCategory,
  MembershipEvents,
  Gender,
  type EncodedEvent,
} from '@unionfed/contracts';
import {
  databaseUrlFor,
  infraProfile,
  kafkaVersion,
  portOffset,
  runningKafka,
  startInfra,
  unionfedHome,
  type InfraProfile,
  type RunningInfra,
} from '@unionfed/infra';
import {
  EventDispatcher,
  MESSAGING_MIGRATIONS,
  toKafkaHeaders,
  type DispatcherOptions,
} from '@unionfed/messaging';
import { createDataSource, migrate, uuidv7 } from '@unionfed/persistence';
import { SERVICES } from '@unionfed/service-kit';

// ---------------------------------------------------------------------------------------------------------
// configuration

/** A positive integer from the environment, or the default. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return value;
}

/**
 * The benchmarks' own infrastructure: state in `.unionfed/bench` (or `$UNIONFED_HOME/bench`), PostgreSQL 55435,
 * Kafka 59392/59393 — beside dev (55432, 59092) and test (55433, 59192), so a benchmark runs next to both.
 * `DATABASE_URL` / `KAFKA_BROKERS` point it at existing infrastructure instead (as everywhere in libs/infra).
 */
export function benchProfile(): InfraProfile {
  return {
    ...infraProfile('test'),
    name: 'test', // the type only knows dev|test; the state folder and ports below are what isolate it
    stateDir: join(unionfedHome(), 'bench'),
    // shifted by UNIONFED_PORT_OFFSET as every profile is, so that two worktrees can benchmark side by side
    postgresPort: 55435 + portOffset(),
    kafkaPort: 59392 + portOffset(),
    kafkaControllerPort: 59393 + portOffset(),
  };
}

// ---------------------------------------------------------------------------------------------------------
// running a benchmark: infrastructure, cleanup, exit code

export interface BenchContext {
  infra: RunningInfra;
  /** registers a cleanup step; steps run in reverse order when the benchmark ends, fails or is interrupted */
  defer(step: () => Promise<unknown> | unknown): void;
  /** a name unique to this run, for databases, topics and consumer groups */
  unique(label: string): string;
}

/**
 * Runs a benchmark: brings up (or reuses) the bench infrastructure, runs `body`, then cleans up — drops what it
 * created and stops only the infrastructure it started. Exit code 0 when the measurement ran (whatever the
 * figures), 1 on an error, 130 on Ctrl-C.
 */
export function runBench(title: string, body: (ctx: BenchContext) => Promise<void>): void {
  const steps: (() => Promise<unknown> | unknown)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const step of steps.reverse()) {
        try {
          await step();
        } catch (error) {
          process.stderr.write(`[bench] cleanup step failed: ${(error as Error).message}\n`);
        }
      }
    })());
  let interrupted = false;
  let starting = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      process.stderr.write(`[bench] ${signal}: cleaning up…\n`);
      // during the infrastructure's start-up, run() stops it as soon as it is up
      if (!starting) void cleanup().finally(() => process.exit(130));
    });
  }
  const run = async () => {
    console.log(`\n${title}\n${'='.repeat(title.length)}\n`);
    const started = Date.now();
    const infra = await startInfra(benchProfile());
    steps.push(() => infra.stop());
    starting = false;
    if (interrupted) {
      await cleanup();
      process.exit(130);
    }
    const runId = randomBytes(3).toString('hex');
    await body({
      infra,
      defer: (step) => void steps.push(step),
      unique: (label) => `bench_${label}_${runId}_${randomBytes(2).toString('hex')}`,
    });
    const loadAtEnd = loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ');
    await cleanup();
    console.log(
      `\n(whole run, including infrastructure start-up and cleanup: ${fmtSeconds(Date.now() - started)}; load average at the end, this run included: ${loadAtEnd})`,
    );
  };
  run().then(
    () => process.exit(0),
    async (error: unknown) => {
      if (interrupted) {
        // errors from a teardown under way are noise: clean up (once) and leave
        await cleanup();
        process.exit(130);
      }
      process.stderr.write(
        `[bench] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      await cleanup();
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------------------------------------------------
// databases and topics

/** A fresh, empty database, dropped (WITH FORCE) by `drop()` or, at the latest, when the benchmark ends. */
export async function freshDatabase(
  ctx: BenchContext,
  label: string,
): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = ctx.unique(label);
  await adminQuery(ctx.infra.databaseUrl, `CREATE DATABASE ${name}`);
  const synchronousCommit = benchSynchronousCommit();
  if (synchronousCommit) {
    await adminQuery(
      ctx.infra.databaseUrl,
      `ALTER DATABASE ${name} SET synchronous_commit = ${synchronousCommit}`,
    );
  }
  const drop = once(() => adminQuery(ctx.infra.databaseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  ctx.defer(drop);
  return { name, url: databaseUrlFor(ctx.infra.databaseUrl, name), drop };
}

/**
 * BENCH_SYNCHRONOUS_COMMIT=off|local|on sets `synchronous_commit` on the benchmark's databases — a diagnostic
 * (how much of a figure is the commit's WAL flush), not the platform's setting (on, the default).
 */
export function benchSynchronousCommit(): string | undefined {
  const value = process.env.BENCH_SYNCHRONOUS_COMMIT?.trim().toLowerCase();
  if (!value) return undefined;
  if (!['on', 'off', 'local', 'remote_write', 'remote_apply'].includes(value)) {
    throw new Error(`BENCH_SYNCHRONOUS_COMMIT must be on|off|local, got '${value}'`);
  }
  return value;
}

/** `fn` run at most once; later calls get the first call's promise. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= fn());
}

async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * The projection a consuming service keeps (a cut-down `member_directory`): the benchmarks' handler effect is
 * one upsert into it, committed with the inbox row.
 */
export class BenchProjection1763800000900 implements MigrationInterface {
  name = 'BenchProjection1763800000900';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE bench_member_directory (
        member_id   TEXT PRIMARY KEY,
        branch_id   TEXT NOT NULL,
        name        TEXT NOT NULL,
        category    INTEGER NOT NULL,
        joined_on   DATE,
        updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE bench_member_directory`);
  }
}

/**
 * The consuming service's dispatcher: MemberJoined → one projection upsert, committed with the inbox row.
 * Warnings and errors go to stderr; the per-event `info` line is dropped, so a figure measures the inbox, not
 * log output.
 */
export function projectionDispatcher(
  dataSource: DataSource,
  options: Pick<DispatcherOptions, 'batchSize'> = {},
): EventDispatcher {
  return new EventDispatcher(dataSource, {
    consumer: 'bench.directory',
    registry: new EventRegistry([MembershipEvents.MemberJoined]),
    log: (level, message, fields) =>
      level !== 'info' &&
      process.stderr.write(`[dispatcher ${level}] ${message} ${JSON.stringify(fields)}\n`),
    ...options,
  }).on(MembershipEvents.MemberJoined, async (event, { manager }) => {
    await manager.query(PROJECTION_UPSERT, projectionRow(event));
  });
}

/** The parameters of `PROJECTION_UPSERT` for a MemberJoined. */
export function projectionRow(event: MessageShape<typeof MembershipEvents.MemberJoined.schema>): unknown[] {
  return [
    event.memberId,
    event.branchId,
    event.profile?.name ?? '',
    event.profile?.category ?? 0,
    event.joinedOn?.iso || null,
  ];
}

/** The projection upsert a consumer's handler runs (in the inbox transaction). */
export const PROJECTION_UPSERT = `
  INSERT INTO bench_member_directory (member_id, branch_id, name, category, joined_on)
  VALUES ($1, $2, $3, $4, $5)
  ON CONFLICT (member_id) DO UPDATE
     SET branch_id = EXCLUDED.branch_id, name = EXCLUDED.name, category = EXCLUDED.category,
         joined_on = EXCLUDED.joined_on, updated_at = now()`;

/**
 * A connected, migrated data source over a fresh database: the messaging tables (outbox, inbox, NOTIFY
 * trigger) and, with `projection`, the consumer's projection table. Destroyed when the benchmark ends.
 */
export async function messagingDatabase(
  ctx: BenchContext,
  label: string,
  { projection = false, poolSize }: { projection?: boolean; poolSize?: number } = {},
): Promise<{ dataSource: DataSource; url: string; name: string; dispose(): Promise<void> }> {
  const db = await freshDatabase(ctx, label);
  const dataSource = openMessagingDataSource(db.url, label, { projection, poolSize });
  const dispose = once(async () => {
    if (dataSource.isInitialized) await dataSource.destroy();
    await db.drop();
  });
  ctx.defer(dispose);
  await migrate(dataSource);
  return { dataSource, url: db.url, name: db.name, dispose };
}

export function openMessagingDataSource(
  url: string,
  label: string,
  { projection = false, poolSize }: { projection?: boolean; poolSize?: number } = {},
): DataSource {
  return createDataSource({
    url,
    entities: [],
    migrations: projection ? [...MESSAGING_MIGRATIONS, BenchProjection1763800000900] : MESSAGING_MIGRATIONS,
    applicationName: `bench-${label}`,
    poolSize,
  });
}

export async function count(dataSource: DataSource, sql: string): Promise<number> {
  const [row] = await dataSource.query(sql);
  return Number(row.n);
}

/** A fresh topic with 3 partitions (the platform's layout), deleted when the benchmark ends. */
export async function freshTopic(
  ctx: BenchContext,
  admin: Admin,
  label: string,
  partitions = 3,
): Promise<string> {
  const topic = ctx.unique(label).replace(/_/g, '.');
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  ctx.defer(() => admin.deleteTopics({ topics: [topic] }));
  return topic;
}

/** How many messages a topic holds: the sum over its partitions of high − low watermark. */
export async function topicMessageCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** A connected admin client, disconnected when the benchmark ends (after the topics it created are deleted). */
export async function connectedAdmin(ctx: BenchContext, kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  ctx.defer(() => admin.disconnect());
  return admin;
}

/** The consumer settings of the services (libs/messaging/src/nest.ts, eventConsumerTransport), for a group. */
export function serviceConsumerConfig(groupId: string): ConsumerConfig {
  return {
    groupId,
    sessionTimeout: 10000,
    heartbeatInterval: 1000,
    allowAutoTopicCreation: false,
    retry: { initialRetryTime: 300, retries: 10 },
  };
}
/** `run` options of the services' consumers */
export const SERVICE_PARTITIONS_CONSUMED_CONCURRENTLY = 3;

// ---------------------------------------------------------------------------------------------------------
// the events

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳'];
const TITLES = ['教授', '副教授', '讲师', '研究员', '工程师', '实验师'];

export const BENCH_SOURCE = '/unionfed/membership';

/**
 * A realistic `MemberJoined` (≈210 bytes of protobuf): member `memberIndex`, in one of 10 branches, on `topic`
 * instead of the registry's topic (every measurement gets a fresh topic). The key is the member id.
 */
export function memberJoined(topic: string, memberIndex: number): EncodedEvent {
  const n = memberIndex;
  const event = encodeEvent(MembershipEvents.MemberJoined, {
    memberId: `0192f0c1-7a3b-7c4d-8e5f-${n.toString(16).padStart(12, '0')}`,
    branchId: `0192f0c0-1111-7000-8000-${(n % 10).toString(16).padStart(12, '0')}`,
    groupId: `0192f0c0-2222-7000-8000-${(n % 40).toString(16).padStart(12, '0')}`,
    profile: {
      staffNumber: `T${(20_000 + n).toString().padStart(6, '0')}`,
      memberNumber: `GH${n.toString().padStart(8, '0')}`,
      name: `${SURNAMES[n % SURNAMES.length]}${GIVEN[n % GIVEN.length]}${GIVEN[(n >> 3) % GIVEN.length]}`,
      gender: n % 2 === 0 ? Gender.FEMALE : Gender.MALE,
      birthDate: { iso: `19${70 + (n % 30)}-0${1 + (n % 9)}-1${n % 10}` },
      category: MemberCategory.TEACHER,
      title: TITLES[n % TITLES.length],
      phone: `1380013${(n % 10_000).toString().padStart(4, '0')}`,
      email: `m${n}@u.edu.cn`,
    },
    joinedOn: { iso: '2025-09-01' },
  });
  return { ...event, topic };
}

/**
 * The Kafka message the relay sends for an outbox row of `event` (value = payload; CloudEvents binary-mode
 * headers as Outbox.add writes them), for the raw baselines and pre-produced topics.
 */
export function asKafkaMessage(event: EncodedEvent, id: string = uuidv7()) {
  return {
    key: event.key,
    value: Buffer.from(event.payload),
    headers: toKafkaHeaders({
      id,
      type: event.type,
      source: BENCH_SOURCE,
      time: new Date().toISOString(),
      // the trace context a row carries where nothing is exported: a trace of its own, not sampled
      traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`,
      branchId: event.branchId,
    }),
  };
}

/** Bytes of a message's headers as they travel (names + values). */
export function headerBytes(headers: Record<string, string>): number {
  return Object.entries(headers).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
}

// ---------------------------------------------------------------------------------------------------------
// statistics

export function sorted(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Nearest-rank percentile (p in 0..100) of ascending values. */
export function percentile(ascending: number[], p: number): number {
  if (ascending.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * ascending.length);
  return ascending[Math.min(ascending.length - 1, Math.max(0, rank - 1))];
}

export function median(values: number[]): number {
  const s = sorted(values);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summary(values: number[]): { min: number; median: number; max: number } {
  const s = sorted(values);
  return { min: s[0], median: median(s), max: s[s.length - 1] };
}

// ---------------------------------------------------------------------------------------------------------
// printing

/** Prints an aligned table; numbers are right-aligned. */
export function printTable(headers: string[], rows: (string | number)[][]): void {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmtNumber(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) =>
    rows.every((r) => typeof r[i] === 'number' || /^[\d.,\s%×-]+$/.test(String(r[i]))),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells) console.log(line(r));
}

export function fmtNumber(n: number, digits = n >= 100 || Number.isInteger(n) ? 0 : 1): string {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function fmtSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Goal line: PASS or MISS with the figure and the goal. */
export function verdict(ok: boolean, what: string): string {
  return `${ok ? 'PASS' : 'MISS'}  ${what}`;
}

/** CPU, memory, Node, PostgreSQL and Kafka versions, load — what a reader needs to compare figures. */
export async function printMachineInfo(ctx: BenchContext, extra: [string, string][] = []): Promise<void> {
  const cpu = cpus();
  let postgres = '?';
  const client = new Client({ connectionString: ctx.infra.databaseUrl });
  try {
    await client.connect();
    const setting = async (name: string) =>
      (await client.query<Record<string, string>>(`SHOW ${name}`)).rows[0][name];
    postgres = `${await setting('server_version')} (fsync ${await setting('fsync')}, synchronous_commit ${await setting('synchronous_commit')})`;
  } catch {
    // informational only
  } finally {
    await client.end().catch(() => undefined);
  }
  let kafka = '?';
  try {
    kafka = kafkaVersion();
  } catch {
    // informational only
  }
  const synchronousCommit = benchSynchronousCommit();
  printTable(
    ['machine', ''],
    [
      ['cpus', `${cpu.length} × ${cpu[0]?.model.trim() ?? '?'}`],
      ['memory', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
      [
        'load average (1/5/15 min)',
        loadavg()
          .map((l) => l.toFixed(2))
          .join(' / '),
      ],
      ['node', process.version],
      ['postgresql', postgres],
      ['kafka', `${kafka} (single node, KRaft) at ${ctx.infra.kafkaBrokers.join(',')}`],
      [
        'infrastructure',
        ctx.infra.owned ? 'started by this run (bench profile)' : 'reused (already running)',
      ],
      ...(synchronousCommit
        ? [['bench databases', `synchronous_commit = ${synchronousCommit} (BENCH_SYNCHRONOUS_COMMIT)`]]
        : []),
      ...extra,
    ],
  );
  console.log();
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A load client's GraphQL POST on keep-alive connections (up to `connections` at once): `post` resolves with the
 * `data` of a 200 answer without errors and rejects with the status and the start of the body otherwise; `close`
 * ends the connections.
 */
export function keepAliveGraphql<T>(url: string, connections: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const target = new URL(url);
  const post = (body: string, authorization: string) =>
    new Promise<T>((resolve, reject) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            const parsed = text.startsWith('{')
              ? (JSON.parse(text) as { data?: T; errors?: unknown[] })
              : undefined;
            if (res.statusCode !== 200 || !parsed?.data || parsed.errors) {
              reject(new Error(`${url} answered ${res.statusCode}: ${text.slice(0, 300)}`));
            } else resolve(parsed.data);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}

// ---------------------------------------------------------------------------------------------------------
// CPU time of the processes a benchmark drives (Linux /proc; undefined elsewhere)

/** CPU ms (user + system) a process has used so far. */
export function processCpuMs(pid: number | string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in USER_HZ (100) ticks
}

/** A process's parent pid, from /proc. */
function parentPid(pid: string | number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
}

/**
 * The postmaster of the PostgreSQL server at `databaseUrl` when it runs on this machine (the bench profile's,
 * or the one DATABASE_URL points at): the parent process of a backend. Undefined without /proc or for a
 * remote server.
 */
export async function postmasterOf(databaseUrl: string): Promise<string | undefined> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const parent = parentPid(rows[0].pid);
    return readFileSync(`/proc/${parent}/comm`, 'utf8').trim() === 'postgres' ? parent : undefined;
  } catch {
    return undefined;
  } finally {
    await client.end();
  }
}

/**
 * CPU ms used so far by a PostgreSQL server: its postmaster and the children alive now (a backend that has ended
 * takes its share with it, so read this around work done on open connections). Undefined without /proc.
 */
export function postgresCpuMs(postmaster: string): number | undefined {
  try {
    let total = 0;
    for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
      try {
        if (pid === postmaster || parentPid(pid) === postmaster) total += processCpuMs(pid);
      } catch {
        // ended meanwhile
      }
    }
    return total;
  } catch {
    return undefined; // no /proc
  }
}

/** CPU ms used so far by the bench profile's Kafka broker (when this machine runs it). */
export function benchKafkaCpuMs(): number | undefined {
  try {
    const pid = runningKafka(benchProfile())?.pid;
    return pid ? processCpuMs(pid) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// a whole platform beside the others on this machine

/** Ports undici's fetch refuses (the Fetch standard's "bad ports" in range): the benchmarks call services with it. */
const FETCH_BLOCKED_PORTS = new Set([
  5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/**
 * A port offset (from +2,000 up, clear of dev and the test platforms' usual range) at which every service port
 * is free and usable by fetch.
 */
export async function freePortOffset(): Promise<number> {
  for (let offset = 2000 + 100 * Math.floor(Math.random() * 20); offset < 20_000; offset += 100) {
    const ports = Object.values(SERVICES).map((s) => s.port + offset);
    if (ports.some((port) => FETCH_BLOCKED_PORTS.has(port))) continue;
    if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) return offset;
  }
  throw new Error('no free ports for a bench platform');
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
