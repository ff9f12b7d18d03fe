/**
 * Roster query latency (花名册查询): the filtered, paginated roster over N members, p95 with C concurrent clients,
 * against the membership subgraph directly and through the gateway, same run, same data, same token.
 *
 * The compiled membership service and gateway run as processes (the launcher of `npm start`, over the bench
 * infrastructure, fresh databases); authentication is on: the gateway signs the HQ admin in, membership verifies
 * the token against the gateway's keys on every request. The roster is seeded through the product itself: the
 * campus and B branches through the gateway's GraphQL, the N members by uploading a generated CSV to membership's
 * POST /roster/imports (the import job is timed and printed, for information); its events are published before
 * the clock starts, and the member table is VACUUM ANALYZEd (as autovacuum would have done by then).
 *
 * Each client walks the roster as an officer would: a filter (one of a fixed mix — a branch's active members, a
 * branch's women teachers, federation-wide by category and gender, by age band, by joining years, by birthday
 * month) and its first three pages (`after` = the previous page's endCursor), then the next filter. Requests
 * ask for 20 members with their branch. Every answer must be a page without errors, and the two paths must
 * answer identically.
 *
 * The baseline, in the same run on the same data: the very SQL statements membership sends for those pages
 * (captured from its own repository code, with the HQ admin's reach), sent straight to PostgreSQL by the same
 * number of closed-loop clients on their own connections, in the same walk. Baseline, subgraph and gateway
 * phases rotate over R rounds (round 1 SQL → subgraph → gateway, round 2 the reverse…), each after an unreported
 * warm-up.
 *
 * Env: BENCH_MEMBERS (100000), BENCH_BRANCHES (50), BENCH_CLIENTS (20), BENCH_ROUNDS (2), BENCH_DURATION_S (15),
 * BENCH_WARMUP_S (3), BENCH_NODE_FLAGS (the services' Node flags instead of the launcher's, e.g. production's
 * `--enable-source-maps`).
 * Goals (latencies pooled over the rounds): the subgraph's p95 ≤ 3 × the baseline's p95 (what GraphQL, auth and
 * Nest add to the SQL), and the gateway's p95 ≤ 1.5 × the subgraph's p95. The absolute p95 is printed for
 * information: it depends on the machine, which the ratios do not.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { databaseUrlFor } from '@unionfed/infra';
import {
  databaseNameOf,
  graphqlData,
  graphqlRequest,
  nodeFlagsFor,
  Platform,
  preparePlatform,
  signIn,
  type PlatformOptions,
} from '@unionfed/platform';
import {
  benchProfile,
  envInt,
  freePortOffset,
  fmtNumber,
  fmtSeconds,
  median,
  percentile,
  postgresCpuMs,
  postmasterOf,
  printMachineInfo,
  processCpuMs,
  printTable,
  runBench,
  sleep,
  sorted,
  verdict,
  keepAliveGraphql,
} from './lib';
import { generateRoster } from './roster-data';
import { dropDatabases, settle, waitForImport } from './roster-seed';
import { Reach } from '@unionfed/auth';
import { todayInShanghai } from '@unionfed/domain-kit';
import { decodeCursor } from '@unionfed/graphql-kit';
import type { DataSource } from 'typeorm';
import { MembershipRepository } from '../../apps/membership/src/infrastructure/membership.repository';
import { rosterCriteria, type RosterInput } from '../../apps/membership/src/domain/roster';

/** gateway p95 / subgraph p95 */
const GOAL_RATIO = 1.5;
/** subgraph p95 / the same pages' SQL straight to PostgreSQL */
const GOAL_SUBGRAPH_OVER_SQL = 3;
const ADMIN = { username: 'admin', password: 'Bench-Password-2026' };
const RATE_LIMIT = '1000000/1000000';
const PAGES_PER_FILTER = 3;

const members = Math.max(1, envInt('BENCH_MEMBERS', 100_000));
const branchCount = Math.max(1, envInt('BENCH_BRANCHES', 50));
const clients = Math.max(1, envInt('BENCH_CLIENTS', 20));
const rounds = Math.max(1, envInt('BENCH_ROUNDS', 2));
const durationS = Math.max(1, envInt('BENCH_DURATION_S', 15));
const warmupS = envInt('BENCH_WARMUP_S', 3);
/** Node flags for the services instead of the launcher's (e.g. production's: `--enable-source-maps`) */
const nodeFlags = process.env.BENCH_NODE_FLAGS?.trim()
  ? process.env.BENCH_NODE_FLAGS.trim().split(/\s+/)
  : undefined;

const QUERY = `query Roster($filter: RosterFilter, $after: String) {
  members(filter: $filter, first: 20, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id staffNumber name gender category birthDate joinedOn status branch { code name } } }
  }
}`;

type Target = 'sql' | 'subgraph' | 'gateway';
const TARGETS: Target[] = ['sql', 'subgraph', 'gateway'];

interface Phase {
  round: number;
  target: Target;
  latencies: number[];
  /** CPU ms per request of each process over the measured window (from /proc; empty elsewhere) */
  cpuPerRequest: Partial<Record<CpuName, number>>;
}

type CpuName = 'membership' | 'gateway' | 'postgres';

runBench('Roster query p95: membership subgraph vs through the gateway', async (ctx) => {
  await printMachineInfo(ctx, [
    [
      'roster',
      `${fmtNumber(members)} members across ${branchCount} branches, seeded by a CSV upload (import job)`,
    ],
    [
      'query',
      'members(filter, first: 20, after) { totalCount pageInfo edges { node { … branch { code name } } } }',
    ],
    [
      'filters',
      '6 kinds (branch + status, branch + category + gender, category + gender, age band, joined, month)',
    ],
    [
      'load',
      `${clients} closed-loop clients, 3 pages per filter; ${rounds} rounds × (SQL baseline, subgraph, gateway), rotating`,
    ],
    ['phases', `${durationS} s measured after ${warmupS} s warm-up (not counted)`],
    ['auth', 'on: the HQ admin’s token, verified by the gateway and again by membership'],
    [
      'node flags',
      nodeFlags
        ? `${nodeFlags.join(' ')} (BENCH_NODE_FLAGS)`
        : `membership ${nodeFlagsFor('membership').join(' ')}, gateway ${nodeFlagsFor('gateway').join(' ')} ` +
          `(the launcher's, as npm start runs the services)`,
    ],
  ]);

  const suffix = `_${ctx.unique('roster')}`;
  ctx.defer(() => dropDatabases(ctx.infra.databaseUrl, suffix));
  const options: PlatformOptions = {
    adminDatabaseUrl: ctx.infra.databaseUrl,
    kafkaBrokers: ctx.infra.kafkaBrokers,
    databaseSuffix: suffix,
    logDir: join(benchProfile().stateDir, 'logs', `roster-query${suffix}`),
    portOffset: await freePortOffset(),
    nodeFlags,
    env: {
      UNIONFED_ADMIN_USERNAME: ADMIN.username,
      UNIONFED_ADMIN_PASSWORD: ADMIN.password,
      UNIONFED_RATE_LIMIT: RATE_LIMIT,
      UNIONFED_ANONYMOUS_RATE_LIMIT: RATE_LIMIT,
      UNIONFED_ACCESS_TOKEN_SECONDS: String(rounds * 2 * (durationS + warmupS) + 3600),
    },
  };
  await preparePlatform(options);
  // only what the roster needs: membership and the gateway in front of it (no consumer of its events runs)
  const platform = new Platform(options);
  ctx.defer(() => platform.stopAll());
  await platform.start('membership');
  await platform.start('gateway');
  const gatewayUrl = platform.gatewayUrl;
  const membershipBase = platform.service('membership').baseUrl;
  const subgraphUrl = `${membershipBase}/graphql`;
  const admin = await signIn(gatewayUrl, ADMIN.username, ADMIN.password);
  console.log(
    `membership ${membershipBase}, gateway ${gatewayUrl}; signed in as ${ADMIN.username} (HQ admin)`,
  );

  // the federation's structure, then the roster through the import endpoint
  const roster = generateRoster(members, branchCount);
  const { openCampus } = await graphqlData<{ openCampus: { id: string } }>(
    gatewayUrl,
    'mutation($input: OpenCampusInput!) { openCampus(input: $input) { id } }',
    { input: { code: 'MAIN', name: '本部校区' } },
    admin.headers,
  );
  const branchIds: string[] = [];
  for (const branch of roster.branches) {
    const { openBranch } = await graphqlData<{ openBranch: { id: string } }>(
      gatewayUrl,
      'mutation($input: OpenBranchInput!) { openBranch(input: $input) { id } }',
      { input: { campusId: openCampus.id, ...branch, kind: 'COLLEGE', staffHeadcount: 2000 } },
      admin.headers,
    );
    branchIds.push(openBranch.id);
  }
  const importStart = performance.now();
  const upload = await fetch(`${membershipBase}/roster/imports?mode=apply&onInvalid=abort`, {
    method: 'POST',
    headers: { ...admin.headers, 'content-type': 'text/csv' },
    body: roster.csv,
  });
  const { jobId } = (await upload.json()) as { jobId?: string };
  if (upload.status !== 202 || !jobId) throw new Error(`the upload was refused: ${upload.status}`);
  const job = await waitForImport(subgraphUrl, admin.headers, jobId);
  const importMs = performance.now() - importStart;
  const membershipDb = databaseUrlFor(ctx.infra.databaseUrl, databaseNameOf('membership', suffix)!);
  const published = await settle(membershipDb);
  console.log(
    `seeded: ${fmtNumber(job.created)} members imported in ${fmtSeconds(importMs)} (${fmtNumber(job.created / (importMs / 1000))} rows/s, ` +
      `upload + job); events published after ${fmtSeconds(performance.now() - importStart)}; ` +
      `${fmtNumber(published)} events in the outbox; member table vacuumed and analysed`,
  );
  if (job.status !== 'SUCCEEDED' || job.created !== members) {
    throw new Error(`the seed import ended ${job.status} with ${job.created} members`);
  }

  const filters = filterMix(branchIds);
  const urls: Record<Exclude<Target, 'sql'>, string> = { subgraph: subgraphUrl, gateway: gatewayUrl };
  // both paths answer the same
  for (const filter of filters) {
    const [a, b] = await Promise.all(
      (['subgraph', 'gateway'] as const).map((t) =>
        graphqlRequest(urls[t], QUERY, { filter }, admin.headers),
      ),
    );
    if (a.errors || b.errors || !isDeepStrictEqual(a.data, b.data)) {
      throw new Error(
        `subgraph and gateway answer differently for ${JSON.stringify(filter)}: ${JSON.stringify([a, b]).slice(0, 400)}`,
      );
    }
  }
  // the baseline: the SQL membership sends for every page of the walk, and what it must answer
  const walks = await sqlWalks(subgraphUrl, admin.headers, filters);
  const counts = await Promise.all(
    filters.map(async (filter) => {
      const { data } = await graphqlRequest<{ members: { totalCount: number } }>(
        subgraphUrl,
        QUERY,
        { filter },
        admin.headers,
      );
      return [JSON.stringify(filter).replace(/"/g, '').slice(0, 70), data!.members.totalCount] as [
        string,
        number,
      ];
    }),
  );
  console.log();
  printTable(['filter', 'members'], counts);
  console.log();

  const postmaster = await postmasterOf(membershipDb);
  console.log(
    `PostgreSQL CPU: ${postmaster ? `postmaster ${postmaster} and its children` : 'not measured (no local postmaster found)'}`,
  );
  const phases: Phase[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: Target[] = round % 2 === 1 ? TARGETS : [...TARGETS].reverse();
    for (const target of order) {
      const { latencies, cpu } =
        target === 'sql'
          ? await driveSql(membershipDb, walks, platform, postmaster)
          : await drive(urls[target], admin.headers.authorization, filters, platform, postmaster);
      const cpuPerRequest: Phase['cpuPerRequest'] = {};
      for (const [name, ms] of Object.entries(cpu)) cpuPerRequest[name as CpuName] = ms / latencies.length;
      phases.push({ round, target, latencies, cpuPerRequest });
      const s = sorted(latencies);
      console.log(
        `  round ${round} ${target.padEnd(8)}: ${fmtNumber(latencies.length / durationS)} req/s, ` +
          `p50 ${percentile(s, 50).toFixed(1)} ms, p95 ${percentile(s, 95).toFixed(1)} ms`,
      );
    }
  }

  console.log();
  printTable(
    ['round', 'path', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms'],
    phases.map((p) => {
      const s = sorted(p.latencies);
      return [
        String(p.round),
        p.target,
        p.latencies.length,
        fmtNumber(p.latencies.length / durationS),
        percentile(s, 50).toFixed(1),
        percentile(s, 95).toFixed(1),
        percentile(s, 99).toFixed(1),
      ];
    }),
  );
  const pooled = (target: Target) =>
    sorted(phases.filter((p) => p.target === target).flatMap((p) => p.latencies));
  const p95 = (target: Target) => percentile(pooled(target), 95);
  const roundP95 = (round: number, t: Target) =>
    percentile(sorted(phases.find((p) => p.round === round && p.target === t)!.latencies), 95);
  const perRound = Array.from(
    { length: rounds },
    (_, i) => roundP95(i + 1, 'gateway') / roundP95(i + 1, 'subgraph'),
  );
  const perRoundOverSql = Array.from(
    { length: rounds },
    (_, i) => roundP95(i + 1, 'subgraph') / roundP95(i + 1, 'sql'),
  );
  const ratio = p95('gateway') / p95('subgraph');
  const overSql = p95('subgraph') / p95('sql');
  console.log();
  printTable(
    ['pooled over the rounds', 'p50 ms', 'p95 ms', 'p99 ms'],
    TARGETS.map((t) => [
      t === 'sql' ? 'SQL baseline' : t,
      percentile(pooled(t), 50).toFixed(1),
      percentile(pooled(t), 95).toFixed(1),
      percentile(pooled(t), 99).toFixed(1),
    ]),
  );
  const names: CpuName[] = ['membership', 'gateway', 'postgres'];
  if (phases.every((p) => p.cpuPerRequest.membership !== undefined)) {
    console.log();
    printTable(
      ['CPU ms per request (median of rounds)', ...names],
      TARGETS.map((t) => [
        t === 'sql' ? 'SQL baseline' : t,
        ...names.map((name) =>
          median(phases.filter((p) => p.target === t).map((p) => p.cpuPerRequest[name] ?? NaN)).toFixed(2),
        ),
      ]),
    );
  }
  const perRoundText = (values: number[]) => values.map((r) => r.toFixed(2)).join(', ');
  console.log(
    `\nsubgraph p95 / SQL baseline p95: ${overSql.toFixed(2)} (per round: ${perRoundText(perRoundOverSql)})`,
  );
  console.log(`gateway p95 / subgraph p95: ${ratio.toFixed(2)} (per round: ${perRoundText(perRound)})`);
  console.log(
    `absolute, for information: SQL ${p95('sql').toFixed(1)} ms, subgraph ${p95('subgraph').toFixed(1)} ms, ` +
      `gateway ${p95('gateway').toFixed(1)} ms p95 at ${clients} clients`,
  );
  console.log(
    verdict(
      overSql <= GOAL_SUBGRAPH_OVER_SQL,
      `subgraph p95 ≤ ${GOAL_SUBGRAPH_OVER_SQL} × the same pages' SQL p95 (${overSql.toFixed(2)} ×)`,
    ),
  );
  console.log(
    verdict(ratio <= GOAL_RATIO, `gateway p95 ≤ ${GOAL_RATIO} × subgraph p95 (${ratio.toFixed(2)} ×)`),
  );
});

interface Statement {
  text: string;
  values: unknown[];
  /** what the subgraph answered for this page: the baseline's rows must agree */
  totalCount: number;
  ids: string[];
}

/**
 * Each filter's walk as SQL: the pages the subgraph answers (first three, following endCursor), each turned into
 * the statement membership's repository sends for it — captured by running the repository's own code against a
 * recorder, with the reach of the HQ admin the clients sign in as. Sent once to PostgreSQL here, every statement
 * must give the subgraph's count and ids, so the baseline is the same work.
 */
async function sqlWalks(
  subgraphUrl: string,
  headers: Record<string, string>,
  filters: Record<string, unknown>[],
): Promise<Statement[][]> {
  const captured: { text: string; values: unknown[] }[] = [];
  const recorder = {
    query: async (text: string, values: unknown[]) => {
      captured.push({ text, values });
      return [];
    },
  } as unknown as DataSource;
  const repository = new MembershipRepository(recorder);
  const today = todayInShanghai();
  const walks: Statement[][] = [];
  for (const filter of filters) {
    const walk: Statement[] = [];
    let after: string | null = null;
    for (let page = 0; page < PAGES_PER_FILTER; page++) {
      type Page = {
        members: {
          totalCount: number;
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          edges: { node: { id: string } }[];
        };
      };
      const answer: { data?: Page | null } = await graphqlRequest<Page>(
        subgraphUrl,
        QUERY,
        { filter, after },
        headers,
      );
      const data = answer.data;
      captured.length = 0;
      const afterId = after ? decodeCursor(after) : undefined;
      await repository.roster(rosterCriteria(filter as RosterInput, today), 20, afterId, Reach.EVERYTHING, {
        count: true,
        branches: true,
      });
      if (captured.length !== 1)
        throw new Error(`expected one statement per page, captured ${captured.length}`);
      walk.push({
        ...captured[0],
        totalCount: data!.members.totalCount,
        ids: data!.members.edges.map((e) => e.node.id),
      });
      if (!data!.members.pageInfo.hasNextPage) break;
      after = data!.members.pageInfo.endCursor;
    }
    walks.push(walk);
  }
  return walks;
}

/** The baseline phase: `clients` connections walk the same statements, as `drive` walks the pages. */
async function driveSql(
  databaseUrl: string,
  walks: Statement[][],
  platform: Platform,
  postmaster: string | undefined,
): Promise<{ latencies: number[]; cpu: Partial<Record<CpuName, number>> }> {
  const connections = await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      return client;
    }),
  );
  // the statements answer as the subgraph did (same count, same page) before anything is timed
  for (const walk of walks) {
    for (const statement of walk) {
      const { rows } = await connections[0].query(statement.text, statement.values);
      const ids = rows
        .filter((r) => r.id !== null)
        .slice(0, 20)
        .map((r) => r.id as string);
      if (rows[0]?.total !== statement.totalCount || !isDeepStrictEqual(ids, statement.ids)) {
        throw new Error(
          `the baseline's SQL answers differently from the subgraph: ${statement.text.slice(0, 200)}`,
        );
      }
    }
  }
  const begin = performance.now();
  const measureFrom = begin + warmupS * 1000;
  const end = measureFrom + durationS * 1000;
  const latencies: number[] = [];
  let cpuBefore: Map<CpuName, number> | undefined;
  let cpuAfter: Map<CpuName, number> | undefined;
  const startTimer = setTimeout(() => (cpuBefore = processCpu(platform, postmaster)), warmupS * 1000);
  const endTimer = setTimeout(
    () => (cpuAfter = processCpu(platform, postmaster)),
    Math.max(0, end - performance.now()),
  );
  try {
    await Promise.all(
      connections.map(async (client, index) => {
        for (let n = index; performance.now() < end; n++) {
          for (const statement of walks[n % walks.length]) {
            if (performance.now() >= end) break;
            const sent = performance.now();
            await client.query(statement.text, statement.values);
            const done = performance.now();
            if (done >= measureFrom && done <= end) latencies.push(done - sent);
          }
        }
      }),
    );
  } finally {
    clearTimeout(startTimer);
    clearTimeout(endTimer);
    await Promise.all(connections.map((client) => client.end()));
  }
  await sleep(300);
  const cpu: Partial<Record<CpuName, number>> = {};
  for (const [name, after] of cpuAfter ?? []) {
    const before = cpuBefore?.get(name);
    if (before !== undefined) cpu[name] = after - before;
  }
  return { latencies, cpu };
}

/** The filters the clients cycle through: branch-scoped and federation-wide, as the dashboard sends them. */
function filterMix(branchIds: string[]): Record<string, unknown>[] {
  const mix: Record<string, unknown>[] = [];
  for (let i = 0; i < 4; i++) {
    const branchId = branchIds[(i * 7) % branchIds.length];
    mix.push({ branchId, status: 'ACTIVE' });
    mix.push({ branchId, category: 'TEACHER', gender: 'FEMALE' });
  }
  mix.push({ category: 'MANAGEMENT', gender: 'MALE' });
  mix.push({ ageBand: 'FROM_35_TO_44' });
  mix.push({ joinedFrom: '2010-01-01', joinedTo: '2014-12-31' });
  mix.push({ birthMonth: 11, status: 'ACTIVE' });
  return mix;
}

/**
 * One phase: `clients` closed-loop clients on keep-alive connections, for warm-up + duration; requests that
 * finish inside the measured window count. Any error (HTTP or GraphQL) fails the run.
 */
async function drive(
  url: string,
  authorization: string,
  filters: Record<string, unknown>[],
  platform: Platform,
  postmaster: string | undefined,
): Promise<{ latencies: number[]; cpu: Partial<Record<CpuName, number>> }> {
  const graphql = keepAliveGraphql<{
    members: { pageInfo: { endCursor: string | null; hasNextPage: boolean } };
  }>(url, clients);
  const post = (body: string) => graphql.post(body, authorization);
  const begin = performance.now();
  const measureFrom = begin + warmupS * 1000;
  const end = measureFrom + durationS * 1000;
  const latencies: number[] = [];
  let cpuBefore: Map<CpuName, number> | undefined;
  let cpuAfter: Map<CpuName, number> | undefined;
  const startTimer = setTimeout(
    () => (cpuBefore = processCpu(platform, postmaster)),
    Math.max(0, measureFrom - performance.now()),
  );
  const endTimer = setTimeout(
    () => (cpuAfter = processCpu(platform, postmaster)),
    Math.max(0, end - performance.now()),
  );
  try {
    await Promise.all(
      Array.from({ length: clients }, async (_, client) => {
        for (let n = client; performance.now() < end; n++) {
          const filter = filters[n % filters.length];
          let after: string | null = null;
          for (let page = 0; page < PAGES_PER_FILTER && performance.now() < end; page++) {
            const sent = performance.now();
            const data = await post(JSON.stringify({ query: QUERY, variables: { filter, after } }));
            const done = performance.now();
            if (done >= measureFrom && done <= end) latencies.push(done - sent);
            if (!data.members.pageInfo.hasNextPage) break;
            after = data.members.pageInfo.endCursor;
          }
        }
      }),
    );
  } finally {
    clearTimeout(startTimer);
    clearTimeout(endTimer);
    graphql.close();
  }
  await sleep(300);
  const cpu: Partial<Record<CpuName, number>> = {};
  for (const [name, after] of cpuAfter ?? []) {
    const before = cpuBefore?.get(name);
    if (before !== undefined) cpu[name] = after - before;
  }
  return { latencies, cpu };
}

/** CPU ms (user + system) of membership, the gateway and the PostgreSQL server the run uses, from /proc. */
function processCpu(platform: Platform, postmaster: string | undefined): Map<CpuName, number> {
  const cpu = new Map<CpuName, number>();
  try {
    for (const name of ['membership', 'gateway'] as const) {
      const pid = platform.service(name).child?.pid;
      if (pid) cpu.set(name, processCpuMs(pid));
    }
  } catch {
    // no /proc: no per-process figures
  }
  const postgres = postmaster ? postgresCpuMs(postmaster) : undefined;
  if (postgres !== undefined) cpu.set('postgres', postgres);
  return cpu;
}
