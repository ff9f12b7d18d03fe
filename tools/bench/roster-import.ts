/**
 * Roster import (花名册导入) end to end against a raw PostgreSQL COPY of the same rows, same run.
 *
 *   import  a CSV of N generated members across B branches (Chinese names, 男/女, 专任教师…, branch codes) goes
 *           through `RosterImports` as the upload endpoint hands it over (APPLY, skip invalid): scanned, every row
 *           checked by the member rules, members inserted, a JOINED history entry each, and each batch's new
 *           members announced in the outbox, one MembersImported per branch — in batches, one transaction each.
 *           An `OutboxRelay` runs meanwhile (started as the service starts it: LISTEN/NOTIFY) and publishes the
 *           events to Kafka. Timed from the submission to the job's end ("import"), and to the last event
 *           acknowledged by Kafka ("with events").
 *   copy    the goal's baseline: the same rows as the import stores them (ids, member numbers, branch ids, codes —
 *           prepared before the clock starts) loaded with a server-side `COPY member … FROM '<file>'` into a fresh
 *           membership database's member table, with its keys, indexes and constraints: the rawest way to get those
 *           rows where the import puts them.
 *   lean    for reference, as earlier runs measured it: `COPY … FROM '<the same CSV>' (FORMAT csv, HEADER)` into
 *           a lighter table of the CSV's columns with only the member table's keys and branch index.
 * Each measurement gets a fresh database; checked afterwards: N members, N history entries, every member named
 * once by the published announcements, as many messages on the import topic as announcements written (import);
 * N rows (copy, lean). Measurements alternate import/copy/lean, R times.
 *
 * Env: BENCH_MEMBERS (100000), BENCH_BRANCHES (50), BENCH_REPEATS (3).
 * Goals: import ≥ 25 % of the member-table COPY's rows/s (ratio of the medians); the whole import with its events
 * published < 60 s (every run).
 */
import { chmod, copyFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import type { Admin } from 'kafkajs';
import type { DataSource } from 'typeorm';
import { Reach } from '@unionfed/auth';
import { fromBinary } from '@bufbuild/protobuf';
import { MEMBERSHIP_TOPICS, MembersImportedSchema } from '@unionfed/contracts';
import {
  createKafka,
  ensureTopics,
  MESSAGING_MIGRATIONS,
  Outbox,
  OutboxRelay,
  RELIABLE_PRODUCER,
} from '@unionfed/messaging';
import { bulkStatementTimeoutOf, copyText, createDataSource, migrate, uuidv7 } from '@unionfed/persistence';
import type { Member } from '../../apps/membership/src/domain/member';
import { categoryCode, genderCode } from '../../apps/membership/src/domain/roster-import';
import { MembershipCommands } from '../../apps/membership/src/application/membership.commands';
import { RosterImports } from '../../apps/membership/src/application/roster-import';
import { MEMBERSHIP_ENTITIES } from '../../apps/membership/src/infrastructure/entities';
import { MembershipUnitOfWork } from '../../apps/membership/src/infrastructure/membership.unit-of-work';
import { MembershipRepository } from '../../apps/membership/src/infrastructure/membership.repository';
import { MEMBERSHIP_MIGRATIONS } from '../../apps/membership/src/infrastructure/migrations';
import { RosterImportRepository } from '../../apps/membership/src/infrastructure/roster-import.repository';
import { MEMBER_COPY_COLUMNS, memberCopyRow } from '../../apps/membership/src/infrastructure/member.mapper';
import {
  type BenchContext,
  connectedAdmin,
  count,
  benchKafkaCpuMs,
  envInt,
  fmtNumber,
  fmtSeconds,
  freshDatabase,
  median,
  postgresCpuMs,
  postmasterOf,
  printMachineInfo,
  printTable,
  runBench,
  sleep,
  summary,
  topicMessageCount,
  verdict,
} from './lib';
import { generateRoster, ROSTER_CSV_HEADER, type GeneratedRoster } from './roster-data';

const GOAL_RATIO = 0.25;
const GOAL_WHOLE_MS = 60_000;

interface Measurement {
  kind: 'import' | 'copy' | 'lean';
  run: string;
  rows: number;
  ms: number;
  /** import: until the last event was acknowledged by Kafka */
  withEventsMs?: number;
  /** import: CPU seconds until then — this process (import + relay), PostgreSQL, Kafka */
  cpu?: CpuSeconds;
}

interface CpuSeconds {
  node: number;
  postgres?: number;
  kafka?: number;
}

function cpuNow(postmaster: string | undefined): CpuSeconds {
  const { user, system } = process.cpuUsage();
  return {
    node: (user + system) / 1e6,
    postgres: ms(postmaster ? postgresCpuMs(postmaster) : undefined),
    kafka: ms(benchKafkaCpuMs()),
  };
}

const ms = (value: number | undefined) => (value === undefined ? undefined : value / 1000);

function cpuSince(before: CpuSeconds, postmaster: string | undefined): CpuSeconds {
  const after = cpuNow(postmaster);
  const minus = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : a - b);
  return {
    node: after.node - before.node,
    postgres: minus(after.postgres, before.postgres),
    kafka: minus(after.kafka, before.kafka),
  };
}

const members = Math.max(1, envInt('BENCH_MEMBERS', 100_000));
const branchCount = Math.max(1, envInt('BENCH_BRANCHES', 50));
const repeats = Math.max(1, envInt('BENCH_REPEATS', 3));

runBench('Roster import (CSV → members, history, outbox → Kafka) vs PostgreSQL COPY', async (ctx) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-roster-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  await chmod(dir, 0o755); // the PostgreSQL server (possibly another OS user) reads the CSV for COPY
  const roster = generateRoster(members, branchCount);
  const csvPath = join(dir, 'roster.csv');
  await writeFile(csvPath, roster.csv, { mode: 0o644 });
  const { size } = await stat(csvPath);

  const kafka = createKafka(`bench-roster-${process.pid}`, ctx.infra.kafkaBrokers);
  await ensureTopics(kafka, [
    MEMBERSHIP_TOPICS.rosterImport,
    MEMBERSHIP_TOPICS.member,
    MEMBERSHIP_TOPICS.branch,
  ]);
  const admin = await connectedAdmin(ctx, kafka);
  const producer = kafka.producer(RELIABLE_PRODUCER);
  await producer.connect();
  ctx.defer(() => producer.disconnect());

  await printMachineInfo(ctx, [
    [
      'roster',
      `${fmtNumber(members)} members, ${branchCount} branches, CSV ${(size / 2 ** 20).toFixed(1)} MiB (UTF-8)`,
    ],
    ['import', 'RosterImports: APPLY, skip invalid; scan + apply passes; relay running (LISTEN/NOTIFY)'],
    ['copy', 'server-side COPY of the same rows, as stored, into the member table (the goal’s baseline)'],
    [
      'lean',
      'server-side COPY FROM the CSV into a lighter table (keys, defaults, branch index), for reference',
    ],
    ['repeats', `${repeats} × (import, copy, lean)`],
  ]);

  const results: Measurement[] = [];
  for (let r = 1; r <= repeats; r++) {
    const run = `${r}/${repeats}`;
    const imported = { ...(await importOnce(ctx, admin, producer, roster, csvPath, dir)), run };
    results.push(imported);
    console.log(
      `  ${run} import ${fmtNumber(members)} rows: events published after ${fmtSeconds(imported.withEventsMs!)} = ` +
        `${fmtNumber(endToEnd(imported))} rows/s (the job ended after ${fmtSeconds(imported.ms)}); ` +
        `CPU s: ${fmtCpu(imported.cpu!)}`,
    );
    for (const copied of [
      { ...(await copyOnce(ctx, roster, dir)), run },
      { ...(await leanCopyOnce(ctx, csvPath)), run },
    ]) {
      results.push(copied);
      console.log(
        `  ${run} ${copied.kind.padEnd(6)} ${fmtNumber(members)} rows in ${fmtSeconds(copied.ms)} = ` +
          `${fmtNumber(perSecond(copied))} rows/s`,
      );
    }
  }

  console.log();
  printTable(
    [
      'run',
      'path',
      'rows',
      'job s',
      'events published s',
      'rows/s end to end',
      'CPU s (node/postgres/kafka)',
    ],
    results.map((m) => [
      m.run,
      m.kind,
      m.rows,
      (m.ms / 1000).toFixed(2),
      m.withEventsMs === undefined ? '' : (m.withEventsMs / 1000).toFixed(2),
      Math.round(endToEnd(m)),
      m.cpu ? fmtCpu(m.cpu) : '',
    ]),
  );
  console.log();
  const imports = results.filter((m) => m.kind === 'import');
  const importRates = summary(imports.map(endToEnd));
  const jobRates = summary(imports.map(perSecond));
  const copyRates = summary(results.filter((m) => m.kind === 'copy').map(perSecond));
  const leanRates = summary(results.filter((m) => m.kind === 'lean').map(perSecond));
  const whole = summary(imports.map((m) => m.withEventsMs! / 1000));
  const cpuPerThousand = (pick: (c: CpuSeconds) => number | undefined) => {
    const values = imports.map((m) => pick(m.cpu!)).filter((v): v is number => v !== undefined);
    return values.length === imports.length ? ((median(values) * 1000) / members).toFixed(3) : '–';
  };
  const rounded = (what: string, rates: { min: number; median: number; max: number }) => [
    what,
    Math.round(rates.min),
    Math.round(rates.median),
    Math.round(rates.max),
  ];
  printTable(
    ['', 'min', 'median', 'max'],
    [
      rounded('import rows/s, end to end (events published)', importRates),
      rounded('import rows/s, until the job ended', jobRates),
      rounded('COPY rows/s (member table)', copyRates),
      rounded('COPY rows/s (lean table)', leanRates),
      ['import + events published, s', whole.min.toFixed(2), whole.median.toFixed(2), whole.max.toFixed(2)],
    ],
  );
  console.log(
    `\nCPU s per 1,000 rows imported (medians): node ${cpuPerThousand((c) => c.node)}, ` +
      `PostgreSQL ${cpuPerThousand((c) => c.postgres)}, Kafka ${cpuPerThousand((c) => c.kafka)}`,
  );
  const ratio = importRates.median / copyRates.median;
  console.log(
    `import / COPY into the member table (medians): ${(ratio * 100).toFixed(1)} % end to end; ` +
      `${((jobRates.median / copyRates.median) * 100).toFixed(1)} % until the job ended (events not yet all published)`,
  );
  console.log(
    `import / COPY into the lean table (medians, for reference): ${((importRates.median / leanRates.median) * 100).toFixed(1)} % end to end`,
  );
  console.log(
    verdict(
      ratio >= GOAL_RATIO,
      `import end to end ≥ ${GOAL_RATIO * 100} % of the member-table COPY's rows/s (${(ratio * 100).toFixed(1)} %)`,
    ),
  );
  console.log(
    verdict(
      whole.max * 1000 < GOAL_WHOLE_MS,
      `whole import with events published < ${GOAL_WHOLE_MS / 1000} s in every run (slowest ${whole.max.toFixed(1)} s)`,
    ),
  );
});

const perSecond = (m: Measurement) => m.rows / (m.ms / 1000);
/** rows/s until every event was published (COPY: until it returned) */
const endToEnd = (m: Measurement) => m.rows / ((m.withEventsMs ?? m.ms) / 1000);
const fmtCpu = (c: CpuSeconds) =>
  [c.node, c.postgres, c.kafka].map((v) => (v === undefined ? '–' : v.toFixed(1))).join(' / ');

/** A fresh membership database with the campus and branches of the generated roster, their events published. */
async function membershipDatabase(
  ctx: BenchContext,
  roster: GeneratedRoster,
): Promise<{ dataSource: DataSource; url: string; drop(): Promise<void> }> {
  const db = await freshDatabase(ctx, 'roster');
  const dataSource = createDataSource({
    url: db.url,
    entities: MEMBERSHIP_ENTITIES,
    migrations: [...MESSAGING_MIGRATIONS, ...MEMBERSHIP_MIGRATIONS],
    applicationName: 'bench-roster',
  });
  await migrate(dataSource);
  const commands = new MembershipCommands(
    new MembershipUnitOfWork(dataSource, new Outbox('/unionfed/membership')),
    new MembershipRepository(dataSource),
  );
  const campus = await commands.openCampus({ code: 'MAIN', name: '本部校区' });
  for (const branch of roster.branches) {
    await commands.openBranch({ campusId: campus.id, ...branch, kind: 'COLLEGE', staffHeadcount: 2000 });
  }
  return {
    dataSource,
    url: db.url,
    drop: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await db.drop();
    },
  };
}

async function importOnce(
  ctx: BenchContext,
  admin: Admin,
  producer: ReturnType<ReturnType<typeof createKafka>['producer']>,
  roster: GeneratedRoster,
  csvPath: string,
  dir: string,
): Promise<Omit<Measurement, 'run'>> {
  const { dataSource, url, drop } = await membershipDatabase(ctx, roster);
  const relay = new OutboxRelay(dataSource, producer, {
    databaseUrl: url,
    log: (level, message, fields) =>
      level !== 'info' &&
      process.stderr.write(`[relay ${level}] ${message} ${fields ? JSON.stringify(fields) : ''}\n`),
  });
  const unpublished = () => count(dataSource, `SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`);
  await relay.wake(); // the branches' events, before the clock starts
  if ((await unpublished()) !== 0) throw new Error('the branches’ events were not published');
  const topic = MEMBERSHIP_TOPICS.rosterImport.name;
  const messagesBefore = await topicMessageCount(admin, topic);
  await relay.start();
  const publishedBefore = relay.publishedCount;
  const repository = new MembershipRepository(dataSource);
  const jobs = new RosterImportRepository(dataSource);
  const imports = new RosterImports(
    dataSource,
    jobs,
    repository,
    new MembershipUnitOfWork(dataSource, new Outbox('/unionfed/membership')),
  );
  const upload = join(dir, `upload-${Date.now()}.csv`);
  await copyFile(csvPath, upload); // the job deletes its upload when done

  const postmaster = await postmasterOf(url);
  const cpuBefore = cpuNow(postmaster);
  const started = performance.now();
  const submitted = await imports.submit({
    filePath: upload,
    fileName: 'roster.csv',
    fileBytes: (await stat(upload)).size,
    mode: 'APPLY',
    onInvalid: 'SKIP',
    mapping: {},
    startedBy: { subject: 'bench', name: 'bench' },
    reach: Reach.EVERYTHING,
  });
  await imports.whenSettled(submitted.id);
  const ms = performance.now() - started;
  const written = await count(dataSource, `SELECT count(*) AS n FROM outbox WHERE topic = '${topic}'`);
  // the relay's own count, not a query: counting the outbox every few ms would load the server it measures
  while (relay.publishedCount < publishedBefore + written) await sleep(5);
  const withEventsMs = performance.now() - started;
  const cpu = cpuSince(cpuBefore, postmaster);
  await relay.stop();

  const job = (await jobs.findJob(submitted.id))!;
  if (job.status !== 'SUCCEEDED' || job.created !== members || job.invalid !== 0) {
    throw new Error(`the import ended ${job.status}: ${JSON.stringify(job)}`);
  }
  const stored = await count(dataSource, `SELECT count(*) AS n FROM member`);
  const history = await count(dataSource, `SELECT count(*) AS n FROM member_history WHERE change = 'JOINED'`);
  const published: { payload: Buffer }[] = await dataSource.query(
    `SELECT payload FROM outbox WHERE topic = $1 AND published_at IS NOT NULL`,
    [topic],
  );
  const announced = new Set(
    published.flatMap(({ payload }) =>
      fromBinary(MembersImportedSchema, payload).members.map((m) => m.memberId),
    ),
  );
  const onTopic = (await topicMessageCount(admin, topic)) - messagesBefore;
  if (stored !== members || history !== members || announced.size !== members) {
    throw new Error(
      `expected ${members} of each: members ${stored}, history ${history}, announced ${announced.size}`,
    );
  }
  if (published.length !== written || onTopic !== written) {
    throw new Error(
      `${written} announcements written, ${published.length} published, ${onTopic} on the topic`,
    );
  }
  await drop();
  return { kind: 'import', rows: members, ms, withEventsMs, cpu };
}

/**
 * The goal's baseline: the generated rows as the import stores them, written to a COPY file before the clock
 * starts, then one server-side COPY into the member table of a fresh membership database (its branches open).
 */
async function copyOnce(
  ctx: BenchContext,
  roster: GeneratedRoster,
  dir: string,
): Promise<Omit<Measurement, 'run'>> {
  const { dataSource, drop } = await membershipDatabase(ctx, roster);
  try {
    const branches: { id: string; code: string; name: string }[] = await dataSource.query(
      `SELECT id, code, name FROM branch`,
    );
    const branchIds = new Map(branches.flatMap((b) => [[b.code, b.id] as const, [b.name, b.id] as const]));
    const path = join(dir, 'members.copy');
    const rows = storedMembers(roster, branchIds).map(memberCopyRow);
    await writeFile(path, Buffer.concat([...copyText(rows, MEMBER_COPY_COLUMNS.length)]), { mode: 0o644 });
    const started = performance.now();
    // one statement of bulk work, as the import's batches are: the bulk timeout, not a request's
    await dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL statement_timeout = ${bulkStatementTimeoutOf(dataSource)}`);
      await manager.query(`COPY member (${MEMBER_COPY_COLUMNS.join(', ')}) FROM '${path}'`);
    });
    const ms = performance.now() - started;
    const stored = await count(dataSource, `SELECT count(*) AS n FROM member`);
    if (stored !== members) throw new Error(`COPY stored ${stored} rows, expected ${members}`);
    return { kind: 'copy', rows: members, ms };
  } finally {
    await drop();
  }
}

/** The generated CSV's members as the import stores them (the CSV's values need no quoting). */
function storedMembers(roster: GeneratedRoster, branchIds: ReadonlyMap<string, string>): Member[] {
  const lines = roster.csv.trimEnd().split('\n').slice(1);
  return lines.map((line, i) => {
    const [staffNumber, name, gender, birthDate, branch, category, joinedOn, phone, email, title] =
      line.split(',');
    return {
      id: uuidv7(),
      memberNumber: `M${String(i + 1).padStart(6, '0')}`,
      staffNumber,
      name,
      gender: genderCode(gender) as Member['gender'],
      birthDate,
      phone,
      email,
      category: categoryCode(category) as Member['category'],
      title: title || undefined,
      branchId: branchIds.get(branch)!,
      joinedOn,
      status: 'ACTIVE',
    };
  });
}

async function leanCopyOnce(ctx: BenchContext, csvPath: string): Promise<Omit<Measurement, 'run'>> {
  const db = await freshDatabase(ctx, 'roster_lean');
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(`CREATE SEQUENCE member_number_seq`);
    await client.query(`
      CREATE TABLE member (
        id             UUID PRIMARY KEY DEFAULT gen_random_uuid(),
        member_number  TEXT NOT NULL UNIQUE DEFAULT ('M' || lpad(nextval('member_number_seq')::text, 6, '0')),
        ${ROSTER_CSV_HEADER.map((c) => `${c.column} ${c.type}`).join(',\n        ')},
        status         TEXT NOT NULL DEFAULT 'ACTIVE',
        created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
      )`);
    await client.query(`CREATE UNIQUE INDEX member_staff_number ON member (staff_number)`);
    await client.query(`CREATE INDEX member_branch_status ON member (branch, status, id)`);
    const columns = ROSTER_CSV_HEADER.map((c) => c.column).join(', ');
    const started = performance.now();
    await client.query(`COPY member (${columns}) FROM '${csvPath}' WITH (FORMAT csv, HEADER true)`);
    const ms = performance.now() - started;
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM member`);
    if (rows[0].n !== members) throw new Error(`COPY stored ${rows[0].n} rows, expected ${members}`);
    return { kind: 'lean', rows: members, ms };
  } finally {
    await client.end();
    await db.drop();
  }
}
