/**
 * Gateway throughput on a federated query with authentication on against the same gateway and subgraphs with
 * authentication switched off (UNIONFED_AUTH=off), same run.
 *
 *   on   the platform as it runs: the gateway verifies each request's bearer token (EdDSA) and forwards it; every
 *        subgraph the query plan reaches verifies it again and enforces the fields' @access policies.
 *   off  the same compiled services started with UNIONFED_AUTH=off (refused under NODE_ENV=production): the gateway
 *        looks at no token, every subgraph gives each request a fixed HQ-admin principal — @access policies are
 *        still enforced (and pass), so the difference is token verification.
 *
 * Both platforms run side by side over the bench infrastructure and share the same databases (a second replica
 * set, as a scaled-out deployment has): the demo federation (3 campuses, 10 branch unions, ~300 members) is
 * seeded once through the "on" gateway and both answer from the same data. The clients send the same request
 * with the same Authorization header to both; the answers are checked to be identical.
 *
 * The query touches three subgraphs (membership: the roster page with each member's branch; finance and welfare:
 * their copy of the membership directory). N concurrent closed-loop clients (one keep-alive connection each) drive
 * it for a fixed duration after an unreported warm-up; on/off alternate, ABBA (on,off / off,on / …), over R
 * rounds to cancel machine drift. The gateways' rate limits are raised (UNIONFED_RATE_LIMIT /
 * UNIONFED_ANONYMOUS_RATE_LIMIT) so they never refuse a request.
 *
 * Env: BENCH_CLIENTS (16), BENCH_ROUNDS (3), BENCH_DURATION_S (20), BENCH_WARMUP_S (5).
 * Goal: authentication costs ≤ 10 % of the throughput (loss = 1 − on/off, median over the rounds).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { Client } from 'pg';
import { createKafka } from '@unionfed/messaging';
import {
  databaseNameOf,
  graphqlRequest,
  platformTopics,
  preparePlatform,
  seedDemoFederation,
  signIn,
  startPlatform,
  type Platform,
  type PlatformOptions,
} from '@unionfed/platform';
import { DOMAIN_SERVICES, START_ORDER, type ServiceName } from '@unionfed/service-kit';
import {
  benchProfile,
  envInt,
  freePortOffset,
  fmtNumber,
  fmtSeconds,
  median,
  percentile,
  printMachineInfo,
  printTable,
  runBench,
  sleep,
  sorted,
  summary,
  verdict,
  keepAliveGraphql,
} from './lib';

const GOAL_LOSS = 0.1;
const ADMIN = { username: 'admin', password: 'Bench-Password-2026' };
/** far above anything the bench sends: the limits must not refuse or slow a request */
const RATE_LIMIT = '1000000/1000000';
const QUERY_SERVICES: ServiceName[] = ['gateway', 'membership', 'finance', 'welfare'];

const QUERY = `query BenchRoster {
  members(first: 20) {
    totalCount
    edges { node { id name staffNumber category title branch { name code } } }
  }
  financeDirectory { members activeMembers eventsApplied }
  welfareDirectory { members activeMembers eventsApplied }
}`;

type Mode = 'on' | 'off';

interface PhaseResult {
  round: number;
  mode: Mode;
  requests: number;
  seconds: number;
  latencies: number[];
  /** CPU time (ms) of each service's process and of this process (the clients) over the measured window */
  cpuMs: Partial<Record<ServiceName | 'clients', number>>;
}

const clients = Math.max(1, envInt('BENCH_CLIENTS', 16));
const rounds = Math.max(1, envInt('BENCH_ROUNDS', 3));
const durationS = Math.max(1, envInt('BENCH_DURATION_S', 20));
const warmupS = envInt('BENCH_WARMUP_S', 5);
/** how long the idle CPU of every process is measured, before and after the rounds */
const IDLE_S = 5;

runBench('Gateway throughput: authentication on vs UNIONFED_AUTH=off, same run', async (ctx) => {
  if (process.env.NODE_ENV === 'production') {
    throw new Error(
      'NODE_ENV=production: the services refuse UNIONFED_AUTH=off; unset NODE_ENV for the bench',
    );
  }
  // access tokens outlive the run (verification costs the same whatever the lifetime)
  const tokenSeconds = rounds * 2 * (durationS + warmupS) + 900;
  await printMachineInfo(ctx, [
    [
      'query',
      'members(first: 20) { … branch { name code } } + financeDirectory + welfareDirectory (3 subgraphs)',
    ],
    [
      'load',
      `${clients} concurrent closed-loop clients, ${rounds} rounds × (on, off) × ${durationS} s measured, ` +
        `after ${warmupS} s warm-up each (not counted); ABBA order`,
    ],
    [
      'platforms',
      'two: UNIONFED_AUTH on / off, same compiled services, same databases (seeded once), own ports',
    ],
    [
      'gateway rate limits',
      `raised for the bench: UNIONFED_RATE_LIMIT=${RATE_LIMIT}, UNIONFED_ANONYMOUS_RATE_LIMIT=${RATE_LIMIT}`,
    ],
    ['access tokens', `one per client (signed in as the HQ admin), ${tokenSeconds} s lifetime`],
  ]);

  const suffix = `_${ctx.unique('auth')}`;
  const logRoot = join(benchProfile().stateDir, 'logs', `gateway-auth${suffix}`);
  ctx.defer(() => dropDatabases(ctx.infra.databaseUrl, suffix));
  const env = {
    UNIONFED_ADMIN_USERNAME: ADMIN.username,
    UNIONFED_ADMIN_PASSWORD: ADMIN.password,
    UNIONFED_RATE_LIMIT: RATE_LIMIT,
    UNIONFED_ANONYMOUS_RATE_LIMIT: RATE_LIMIT,
    UNIONFED_ACCESS_TOKEN_SECONDS: String(tokenSeconds),
  };
  const options = (mode: Mode): PlatformOptions => ({
    adminDatabaseUrl: ctx.infra.databaseUrl,
    kafkaBrokers: ctx.infra.kafkaBrokers,
    databaseSuffix: suffix,
    logDir: join(logRoot, mode),
    env: { ...env, UNIONFED_AUTH: mode },
  });
  // the services' consumer groups are named after them, the topics are the platform's: events an earlier run or
  // another benchmark left on the bench Kafka would be applied to this run's fresh databases, under the load
  await preparePlatform(options('on'));
  const skipped = await skipEarlierEvents(ctx.infra.kafkaBrokers);
  console.log(
    `consumer groups moved to the end of the platform topics (${fmtNumber(skipped)} earlier events skipped, summed over the groups)`,
  );
  const start = async (mode: Mode): Promise<Platform> => {
    const startedAt = performance.now();
    const platform = await startPlatform({ ...options(mode), portOffset: await freePortOffset() }).catch(
      (error: unknown) => {
        throw new Error(`the platform with UNIONFED_AUTH=${mode} did not start: ${(error as Error).message}`);
      },
    );
    ctx.defer(() => platform.stopAll());
    console.log(
      `platform UNIONFED_AUTH=${mode}: gateway ${platform.gatewayUrl} (ready in ${fmtSeconds(performance.now() - startedAt)})`,
    );
    return platform;
  };

  const on = await start('on');
  const admin = await signIn(on.gatewayUrl, ADMIN.username, ADMIN.password);
  const seedStart = performance.now();
  await seedDemoFederation(on.gatewayUrl, admin.headers, (line) => console.log(`  ${line}`));
  const memberCount = await waitForDirectories(on.gatewayUrl, admin.headers);
  console.log(
    `  seeded and propagated in ${fmtSeconds(performance.now() - seedStart)}: ${memberCount} members in every directory`,
  );
  // the second platform joins the same databases (and consumer groups) only now: the seed's events are applied
  const off = await start('off');
  const urls: Record<Mode, string> = { on: on.gatewayUrl, off: off.gatewayUrl };
  const platforms: Record<Mode, Platform> = { on, off };

  // the switch is real and loud: the "off" services say so in their logs, the "on" ones do not
  console.log();
  printTable(
    ['check', 'result'],
    await Promise.all(
      (['gateway', 'membership', 'finance', 'welfare'] as ServiceName[]).flatMap((name) =>
        (['on', 'off'] as Mode[]).map(async (mode) => [
          `${name} log (UNIONFED_AUTH=${mode})`,
          readFileSync(platforms[mode].service(name).logFile, 'utf8').includes(
            'AUTHENTICATION IS SWITCHED OFF',
          )
            ? '"AUTHENTICATION IS SWITCHED OFF" warning'
            : 'no warning',
        ]),
      ),
    ),
  );

  // one token per client, as separate users' sessions would be
  const tokens = await Promise.all(
    Array.from({ length: clients }, () => signIn(on.gatewayUrl, ADMIN.username, ADMIN.password)),
  );
  // what both answer: the same data; without a token "on" refuses and "off" answers
  const reference = await graphqlRequest(on.gatewayUrl, QUERY, {}, tokens[0].headers);
  const offAnswer = await graphqlRequest(off.gatewayUrl, QUERY, {}, tokens[0].headers);
  const anonymousOn = await graphqlRequest(on.gatewayUrl, QUERY);
  const anonymousOff = await graphqlRequest(off.gatewayUrl, QUERY);
  const edges = (reference.data as { members?: { edges?: unknown[] } } | undefined)?.members?.edges;
  if (reference.errors || edges?.length !== 20) {
    throw new Error(`the query failed on the "on" gateway: ${JSON.stringify(reference).slice(0, 500)}`);
  }
  // (the directories' counters move if events arrive meanwhile: the roster page must be the same)
  if (!isDeepStrictEqual(reference.data?.members, offAnswer.data?.members) || offAnswer.errors) {
    throw new Error(`the "off" gateway answers differently: ${JSON.stringify(offAnswer).slice(0, 500)}`);
  }
  if (!anonymousOn.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) {
    throw new Error(
      `the "on" gateway answered without a token: ${JSON.stringify(anonymousOn).slice(0, 300)}`,
    );
  }
  if (anonymousOff.errors || !isDeepStrictEqual(anonymousOff.data?.members, reference.data?.members)) {
    throw new Error(`the "off" gateway refused a request without a token: ${JSON.stringify(anonymousOff)}`);
  }
  printTable(
    ['check', 'result'],
    [
      ['answer with a token, on = off', `identical (${JSON.stringify(reference).length} bytes, 20 members)`],
      ['without a token, on', `refused: ${anonymousOn.errors?.[0]?.extensions?.code}`],
      ['without a token, off', 'answered (the same data)'],
    ],
  );
  console.log();

  const body = JSON.stringify({ query: QUERY, operationName: 'BenchRoster' });
  const eventsBefore = await eventsApplied(on.gatewayUrl, admin.headers);
  // what each process spends with no request at all (consumers' heartbeats and fetches, the relay's polls,
  // metrics…), before and after the rounds: the mean is taken off the CPU per request below
  await waitForStableGroups(ctx.infra.kafkaBrokers);
  const idleBefore = await idleCpu(platforms);
  const results: PhaseResult[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: Mode[] = round % 2 === 1 ? ['on', 'off'] : ['off', 'on'];
    for (const mode of order) {
      const result = await drive(
        platforms[mode],
        urls[mode],
        body,
        tokens.map((t) => t.headers.authorization),
      );
      results.push({ round, mode, ...result });
      console.log(
        `  round ${round} ${mode.padEnd(3)}: ${fmtNumber(result.requests / result.seconds)} req/s, ` +
          `p50 ${fmtMs(percentile(sorted(result.latencies), 50))} ms`,
      );
    }
  }

  const eventsDuring = (await eventsApplied(on.gatewayUrl, admin.headers)) - eventsBefore;
  const idleAfter = await idleCpu(platforms);
  const idle = Object.fromEntries(
    (['on', 'off'] as Mode[]).map((mode) => [
      mode,
      Object.fromEntries(
        QUERY_SERVICES.map((name) => [name, (idleBefore[mode][name] + idleAfter[mode][name]) / 2]),
      ),
    ]),
  ) as Record<Mode, Record<ServiceName, number>>;
  const rate = (r: PhaseResult) => r.requests / r.seconds;
  const phase = (round: number, mode: Mode) => results.find((r) => r.round === round && r.mode === mode)!;
  console.log();
  printTable(
    ['round', 'auth', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms'],
    results.map((r) => {
      const s = sorted(r.latencies);
      return [
        String(r.round),
        r.mode,
        r.requests,
        fmtNumber(rate(r)),
        fmtMs(percentile(s, 50)),
        fmtMs(percentile(s, 95)),
        fmtMs(percentile(s, 99)),
      ];
    }),
  );
  const losses = Array.from({ length: rounds }, (_, i) => {
    const onRate = rate(phase(i + 1, 'on'));
    const offRate = rate(phase(i + 1, 'off'));
    return 1 - onRate / offRate;
  });
  /** CPU ms per request of a process, its idle consumption taken off */
  const cpuPerRequest = (r: PhaseResult, name: ServiceName | 'clients') =>
    ((r.cpuMs[name] ?? NaN) - (name === 'clients' ? 0 : idle[r.mode][name] * r.seconds)) / r.requests;
  const servicesCpu = (r: PhaseResult) =>
    QUERY_SERVICES.reduce((sum, name) => sum + cpuPerRequest(r, name), 0);
  const haveCpu = results.every((r) => QUERY_SERVICES.every((name) => r.cpuMs[name] !== undefined));
  /** per round: how much more CPU the services spend per request with authentication */
  const cpuCosts = Array.from(
    { length: rounds },
    (_, i) => servicesCpu(phase(i + 1, 'on')) / servicesCpu(phase(i + 1, 'off')) - 1,
  );
  console.log();
  printTable(
    [
      'round',
      'on req/s',
      'off req/s',
      'throughput loss',
      ...(haveCpu ? ['services CPU ms/req on', 'off', 'CPU cost of auth'] : []),
    ],
    losses.map((loss, i) => {
      const [onPhase, offPhase] = [phase(i + 1, 'on'), phase(i + 1, 'off')];
      return [
        String(i + 1),
        fmtNumber(rate(onPhase)),
        fmtNumber(rate(offPhase)),
        fmtPercent(loss),
        ...(haveCpu
          ? [servicesCpu(onPhase).toFixed(2), servicesCpu(offPhase).toFixed(2), fmtPercent(cpuCosts[i], true)]
          : []),
      ];
    }),
  );
  console.log();
  const byMode = (mode: Mode) => results.filter((r) => r.mode === mode);
  const rates = (mode: Mode) => summary(byMode(mode).map(rate));
  const pooled = (mode: Mode, q: number) => percentile(sorted(byMode(mode).flatMap((r) => r.latencies)), q);
  const lossSummary = summary(losses);
  printTable(
    ['summary', 'min', 'median', 'max'],
    [
      ['on: req/s', ...Object.values(rates('on')).map((v) => fmtNumber(v))],
      ['off: req/s', ...Object.values(rates('off')).map((v) => fmtNumber(v))],
      ['throughput loss (per round)', ...Object.values(lossSummary).map((v) => fmtPercent(v))],
      ...(haveCpu
        ? [
            [
              'CPU cost of auth (per round)',
              ...Object.values(summary(cpuCosts)).map((v) => fmtPercent(v, true)),
            ],
          ]
        : []),
    ],
  );
  console.log(
    `latency over all rounds: on p50 ${fmtMs(pooled('on', 50))} / p95 ${fmtMs(pooled('on', 95))} ms; ` +
      `off p50 ${fmtMs(pooled('off', 50))} / p95 ${fmtMs(pooled('off', 95))} ms`,
  );
  console.log();

  // where the CPU goes: ms of CPU per request in each process (from /proc, idle consumption taken off)
  const cpuNames = [...QUERY_SERVICES, 'clients'] as const;
  if (haveCpu) {
    const cpu = (mode: Mode, name: (typeof cpuNames)[number]) =>
      median(byMode(mode).map((r) => cpuPerRequest(r, name)));
    printTable(
      ['CPU ms per request (median of rounds)', ...cpuNames, 'services total'],
      [
        ...(['on', 'off'] as Mode[]).map((mode) => [
          mode,
          ...cpuNames.map((name) => cpu(mode, name).toFixed(3)),
          median(byMode(mode).map(servicesCpu)).toFixed(3),
        ]),
        ...(['on', 'off'] as Mode[]).map((mode) => [
          `idle ms per s, ${mode} (before/after; mean taken off)`,
          ...QUERY_SERVICES.map(
            (name) => `${idleBefore[mode][name].toFixed(0)}/${idleAfter[mode][name].toFixed(0)}`,
          ),
          '',
          '',
        ]),
      ],
    );
    console.log();
  }
  if (eventsDuring > 0) {
    console.log(
      `DISTURBED: ${fmtNumber(eventsDuring)} events were applied by finance/welfare during the measurement — ` +
        `something else writes to the platform topics of the bench Kafka (another benchmark?); its consumers' work ` +
        `is in the figures: run again when nothing else runs`,
    );
  }
  console.log(
    verdict(
      lossSummary.median <= GOAL_LOSS,
      `throughput loss with authentication ≤ ${GOAL_LOSS * 100} % (median of ${rounds} rounds: ${fmtPercent(lossSummary.median)}; ` +
        `ratio of the median rates: ${fmtPercent(1 - rates('on').median / rates('off').median)})`,
    ),
  );
});

/**
 * One phase: `tokens.length` closed-loop clients, each on its own keep-alive connection with its own token, for
 * warm-up + duration; requests that finish inside the measured window count. Any failed request is an error.
 */
async function drive(
  platform: Platform,
  url: string,
  body: string,
  authorizations: string[],
): Promise<Omit<PhaseResult, 'round' | 'mode'>> {
  const graphql = keepAliveGraphql<unknown>(url, authorizations.length);
  const post = (authorization: string) => graphql.post(body, authorization);

  const begin = performance.now();
  const measureFrom = begin + warmupS * 1000;
  const end = measureFrom + durationS * 1000;
  const latencies: number[] = [];
  let cpuBefore: Map<ServiceName, number> | undefined;
  let clientCpuBefore = process.cpuUsage();
  const cpuTimer = setTimeout(
    () => {
      cpuBefore = processCpu(platform);
      clientCpuBefore = process.cpuUsage();
    },
    Math.max(0, measureFrom - performance.now()),
  );
  let cpuAfter: Map<ServiceName, number> | undefined;
  let clientCpu = { user: 0, system: 0 };
  const endTimer = setTimeout(
    () => {
      cpuAfter = processCpu(platform);
      clientCpu = process.cpuUsage(clientCpuBefore);
    },
    Math.max(0, end - performance.now()),
  );
  try {
    await Promise.all(
      authorizations.map(async (authorization) => {
        while (performance.now() < end) {
          const sent = performance.now();
          await post(authorization);
          const done = performance.now();
          // finished inside the measured window: counted (a request under way at its start included)
          if (done >= measureFrom && done <= end) latencies.push(done - sent);
        }
      }),
    );
  } finally {
    clearTimeout(cpuTimer);
    clearTimeout(endTimer);
    graphql.close();
  }
  const requests = latencies.length;
  const cpuMs: PhaseResult['cpuMs'] = { clients: (clientCpu.user + clientCpu.system) / 1000 };
  if (cpuBefore && cpuAfter) {
    for (const name of QUERY_SERVICES) {
      const before = cpuBefore.get(name);
      const after = cpuAfter.get(name);
      if (before !== undefined && after !== undefined) cpuMs[name] = after - before;
    }
  }
  await sleep(500); // let the last responses' work settle before the next phase
  return { requests, seconds: durationS, latencies, cpuMs };
}

/** CPU ms per second of every service process of both platforms while no request is sent. */
async function idleCpu(
  platforms: Record<Mode, Platform>,
): Promise<Record<Mode, Record<ServiceName, number>>> {
  await sleep(1000);
  const start = { on: processCpu(platforms.on), off: processCpu(platforms.off), at: performance.now() };
  await sleep(IDLE_S * 1000);
  const seconds = (performance.now() - start.at) / 1000;
  const end = { on: processCpu(platforms.on), off: processCpu(platforms.off) };
  const perSecond = (mode: Mode, name: ServiceName) =>
    ((end[mode].get(name) ?? NaN) - (start[mode].get(name) ?? NaN)) / seconds;
  return {
    on: Object.fromEntries(QUERY_SERVICES.map((name) => [name, perSecond('on', name)])) as Record<
      ServiceName,
      number
    >,
    off: Object.fromEntries(QUERY_SERVICES.map((name) => [name, perSecond('off', name)])) as Record<
      ServiceName,
      number
    >,
  };
}

/**
 * Waits until no consumer group of the services is rebalancing (the second platform's consumers have just joined
 * them; a rebalance is CPU that neither mode should be charged with).
 */
async function waitForStableGroups(brokers: string[]): Promise<void> {
  const admin = createKafka('bench-gateway-auth', brokers).admin();
  await admin.connect();
  try {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(1000)) {
      const { groups } = await admin.describeGroups([...DOMAIN_SERVICES]);
      if (groups.every((g) => g.state === 'Stable' || g.state === 'Empty' || g.state === 'Dead')) return;
    }
    console.log('note: the consumer groups were still rebalancing after 60 s');
  } finally {
    await admin.disconnect();
  }
}

/** CPU time (ms, user + system) of each service process, from /proc/<pid>/stat; empty where there is no /proc. */
function processCpu(platform: Platform): Map<ServiceName, number> {
  const cpu = new Map<ServiceName, number>();
  for (const name of QUERY_SERVICES) {
    const pid = platform.service(name).child?.pid;
    if (!pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[11], fields[12]: utime, stime in clock ticks (USER_HZ, 100 on Linux)
      cpu.set(name, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
    } catch {
      // not Linux: no per-process figures
    }
  }
  return cpu;
}

/** Waits until finance's and welfare's directories hold every member (the seed's events were applied). */
async function waitForDirectories(gatewayUrl: string, headers: Record<string, string>): Promise<number> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const { data, errors } = await graphqlRequest<{
      members: { totalCount: number };
      financeDirectory: { members: number };
      welfareDirectory: { members: number };
    }>(
      gatewayUrl,
      '{ members(first: 1) { totalCount } financeDirectory { members } welfareDirectory { members } }',
      {},
      headers,
    );
    if (errors || !data) throw new Error(`directory check failed: ${JSON.stringify(errors)}`);
    const total = data.members.totalCount;
    if (total > 0 && data.financeDirectory.members >= total && data.welfareDirectory.members >= total)
      return total;
    if (Date.now() > deadline) {
      throw new Error(
        `the directories did not catch up in 180 s: ${total} members, finance ${data.financeDirectory.members}, welfare ${data.welfareDirectory.members}`,
      );
    }
    await sleep(1000);
  }
}

/** finance's + welfare's events applied so far (events arriving during the measurement disturb it). */
async function eventsApplied(gatewayUrl: string, headers: Record<string, string>): Promise<number> {
  const { data } = await graphqlRequest<{
    financeDirectory: { eventsApplied: number };
    welfareDirectory: { eventsApplied: number };
  }>(gatewayUrl, '{ financeDirectory { eventsApplied } welfareDirectory { eventsApplied } }', {}, headers);
  return (data?.financeDirectory.eventsApplied ?? 0) + (data?.welfareDirectory.eventsApplied ?? 0);
}

/**
 * Commits every service's consumer group at the end of every platform topic, so that the platform starts with
 * no backlog. Returns how many events were skipped. (A group with running members cannot be moved: another
 * platform is using the bench Kafka, and the run stops.)
 */
async function skipEarlierEvents(brokers: string[]): Promise<number> {
  const admin = createKafka('bench-gateway-auth', brokers).admin();
  await admin.connect();
  let skipped = 0;
  try {
    // members of a stopped platform linger until their session times out (10 s; also after a broker restart)
    for (const deadline = Date.now() + 45_000; ; await sleep(1000)) {
      const { groups } = await admin.describeGroups([...DOMAIN_SERVICES]);
      const busy = groups.filter((g) => g.members.length > 0).map((g) => g.groupId);
      if (busy.length === 0) break;
      if (Date.now() > deadline) {
        throw new Error(
          `consumer groups ${busy.join(', ')} have running members: another platform uses the bench Kafka`,
        );
      }
    }
    for (const { name: topic } of platformTopics()) {
      const ends = await admin.fetchTopicOffsets(topic);
      for (const groupId of DOMAIN_SERVICES) {
        const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
        for (const end of ends) {
          const at = Number(committed.find((p) => p.partition === end.partition)?.offset ?? -1);
          skipped += Number(end.high) - (at >= 0 ? at : Number(end.low));
        }
        await admin.setOffsets({
          groupId,
          topic,
          partitions: ends.map(({ partition, high }) => ({ partition, offset: high })),
        });
      }
    }
  } finally {
    await admin.disconnect();
  }
  return skipped;
}

async function dropDatabases(adminUrl: string, suffix: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const name of START_ORDER) {
      const database = databaseNameOf(name, suffix);
      if (database)
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}

function fmtMs(ms: number): string {
  return ms.toFixed(1);
}

function fmtPercent(fraction: number, signed = false): string {
  return `${signed && fraction > 0 ? '+' : ''}${(fraction * 100).toFixed(1)} %`;
}
