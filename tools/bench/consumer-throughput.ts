/**
 * Consumer throughput (events/s) with the idempotent inbox against a raw kafkajs consumer, same topic, same run.
 *
 * N MemberJoined CloudEvents (distinct members, key = member id) are produced once to a fresh 3-partition topic.
 * Each measurement is a consumer with a fresh group reading it from the beginning, with the services' consumer
 * settings (libs/messaging/src/nest.ts: partitionsConsumedConcurrently 3, session 10 s, heartbeat 1 s):
 *
 *   raw    eachMessage only counts.
 *   inbox  eachMessage calls `EventDispatcher.dispatch`, whose MemberJoined handler upserts one row of a
 *          projection (a cut-down member_directory) — effect and inbox row commit in one transaction — in a
 *          fresh database per measurement; checked afterwards: N inbox rows, N projection rows.
 *
 * Timed from the first message handed to eachMessage to the N-th one finished (raw: counted; inbox: applied,
 * i.e. committed), so the group join — shown separately — is not part of the rate.
 * Measurements alternate raw/inbox, R times, after one unreported warm-up of each.
 *
 * Env: BENCH_EVENTS (20000), BENCH_REPEATS (3), BENCH_WARMUP_EVENTS (2000; 0 = none).
 * Goal: inbox ≥ 50% of raw (ratio of the medians).
 */
import { performance } from 'node:perf_hooks';
import type { Admin, EachMessagePayload, Kafka } from 'kafkajs';
import { createKafka, RELIABLE_PRODUCER } from '@unionfed/messaging';
import {
  asKafkaMessage,
  type BenchContext,
  connectedAdmin,
  count,
  envInt,
  fmtNumber,
  fmtSeconds,
  freshTopic,
  headerBytes,
  memberJoined,
  messagingDatabase,
  printMachineInfo,
  printTable,
  projectionDispatcher,
  runBench,
  serviceConsumerConfig,
  SERVICE_PARTITIONS_CONSUMED_CONCURRENTLY,
  summary,
  topicMessageCount,
  verdict,
} from './lib';

const GOAL_RATIO = 0.5;
const PRODUCE_BATCH = 500;
/** a measurement that has not finished by then has failed */
const CONSUME_TIMEOUT_MS = 15 * 60_000;

interface Measurement {
  kind: 'raw' | 'inbox';
  run: string;
  events: number;
  /** consumer.run() to the first message: group join, assignment, first fetch (not in the rate) */
  joinMs: number;
  ms: number;
}

const perSecond = (m: Pick<Measurement, 'events' | 'ms'>) => m.events / (m.ms / 1000);

// settings (read before anything starts, so a bad value fails fast)
const events = Math.max(1, envInt('BENCH_EVENTS', 20_000));
const repeats = Math.max(1, envInt('BENCH_REPEATS', 3));
const warmupEvents = envInt('BENCH_WARMUP_EVENTS', 2_000);

runBench('Consumer throughput: inbox + handler vs the raw kafkajs consumer', async (ctx) => {
  const kafka = createKafka(`bench-consumer-${process.pid}`, ctx.infra.kafkaBrokers);
  const admin = await connectedAdmin(ctx, kafka);

  const sample = asKafkaMessage(memberJoined('t', 7));
  await printMachineInfo(ctx, [
    [
      'events per measurement',
      `${fmtNumber(events)} (distinct members, 3 partitions, one topic, fresh group each)`,
    ],
    [
      'message',
      `MemberJoined, ${sample.value.length} B protobuf + ${Object.keys(sample.headers).length} headers (${headerBytes(sample.headers)} B)`,
    ],
    [
      'consumer',
      `services' settings, partitionsConsumedConcurrently ${SERVICE_PARTITIONS_CONSUMED_CONCURRENTLY}`,
    ],
    ['inbox handler', 'one projection upsert + the inbox row, one transaction per event'],
    ['repeats', `${repeats} × (raw, inbox), after a warm-up of ${fmtNumber(warmupEvents)} events each`],
  ]);

  const topic = await produceTopic(ctx, kafka, admin, 'consume', events);
  const measure = {
    raw: () => consumeRaw(ctx, kafka, topic, events),
    inbox: () => consumeWithInbox(ctx, kafka, topic, events),
  };
  if (warmupEvents > 0) {
    process.stdout.write('warming up… ');
    const warmupTopic = await produceTopic(ctx, kafka, admin, 'warmup', warmupEvents);
    await consumeRaw(ctx, kafka, warmupTopic, warmupEvents);
    await consumeWithInbox(ctx, kafka, warmupTopic, warmupEvents);
    console.log('done\n');
  }

  const results: Measurement[] = [];
  for (let r = 1; r <= repeats; r++) {
    for (const kind of ['raw', 'inbox'] as const) {
      const m = { ...(await measure[kind]()), run: `${r}/${repeats}` };
      results.push(m);
      console.log(
        `  ${m.run} ${kind.padEnd(5)} ${fmtNumber(m.events)} events in ${fmtSeconds(m.ms)} = ${fmtNumber(perSecond(m))} events/s  (group join + first fetch ${fmtSeconds(m.joinMs)}, not timed)`,
      );
    }
  }

  console.log();
  printTable(
    ['run', 'path', 'events', 'join s', 'seconds', 'events/s'],
    results.map((m) => [
      m.run,
      m.kind,
      m.events,
      (m.joinMs / 1000).toFixed(2),
      (m.ms / 1000).toFixed(2),
      Math.round(perSecond(m)),
    ]),
  );
  console.log();
  const rates = (kind: Measurement['kind'], rate: (m: Measurement) => number) =>
    summary(results.filter((m) => m.kind === kind).map(rate));
  const withJoin = (m: Measurement) => perSecond({ events: m.events, ms: m.joinMs + m.ms });
  const raws = rates('raw', perSecond);
  const inboxes = rates('inbox', perSecond);
  const rawsWithJoin = rates('raw', withJoin);
  const inboxesWithJoin = rates('inbox', withJoin);
  const line = (label: string, s: ReturnType<typeof summary>) => [
    label,
    Math.round(s.min),
    Math.round(s.median),
    Math.round(s.max),
  ];
  printTable(
    ['events/s', 'min', 'median', 'max'],
    [
      line('raw kafkajs consumer', raws),
      line('inbox + projection', inboxes),
      line('raw, counting the group join', rawsWithJoin),
      line('inbox, counting the group join', inboxesWithJoin),
    ],
  );
  const ratio = inboxes.median / raws.median;
  console.log(`\ninbox / raw (medians): ${(ratio * 100).toFixed(1)} %`);
  console.log(
    `inbox / raw (medians, counting the group join): ${((inboxesWithJoin.median / rawsWithJoin.median) * 100).toFixed(1)} %`,
  );
  console.log(
    verdict(
      ratio >= GOAL_RATIO,
      `consumer throughput with the inbox ≥ ${GOAL_RATIO * 100} % of raw (${(ratio * 100).toFixed(1)} %)`,
    ),
  );
});

/** A fresh topic holding `events` MemberJoined CloudEvents of distinct members. */
async function produceTopic(
  ctx: BenchContext,
  kafka: Kafka,
  admin: Admin,
  label: string,
  events: number,
): Promise<string> {
  const topic = await freshTopic(ctx, admin, label);
  const producer = kafka.producer(RELIABLE_PRODUCER);
  await producer.connect();
  try {
    for (let i = 0; i < events; i += PRODUCE_BATCH) {
      const messages = Array.from({ length: Math.min(PRODUCE_BATCH, events - i) }, (_, j) =>
        asKafkaMessage(memberJoined(topic, i + j)),
      );
      await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
    }
  } finally {
    await producer.disconnect();
  }
  const held = await topicMessageCount(admin, topic);
  if (held !== events) throw new Error(`topic ${topic} holds ${held} messages, expected ${events}`);
  return topic;
}

function consumeRaw(ctx: BenchContext, kafka: Kafka, topic: string, events: number) {
  let seen = 0;
  return consume(ctx, kafka, topic, events, 'raw', async () => ++seen);
}

async function consumeWithInbox(ctx: BenchContext, kafka: Kafka, topic: string, events: number) {
  const { dataSource, dispose } = await messagingDatabase(ctx, 'inbox', { projection: true });
  const dispatcher = projectionDispatcher(dataSource);
  const result = await consume(
    ctx,
    kafka,
    topic,
    events,
    'inbox',
    async ({ message, topic: t, partition }) => {
      await dispatcher.dispatch(message, t, partition);
      return dispatcher.counts.applied;
    },
  );
  const inbox = await count(dataSource, `SELECT count(*) AS n FROM inbox`);
  const rows = await count(dataSource, `SELECT count(*) AS n FROM bench_member_directory`);
  if (inbox !== events || rows !== events) {
    throw new Error(`after the inbox run: ${inbox} inbox rows, ${rows} projection rows, expected ${events}`);
  }
  const { applied, duplicate, ...others } = dispatcher.counts as Record<string, number>;
  if (Object.values(others).some((n) => n > 0)) {
    throw new Error(`unexpected dispatcher outcomes ${JSON.stringify(dispatcher.counts)}`);
  }
  if (duplicate > 0)
    process.stderr.write(`[bench] ${duplicate} redeliveries (duplicates) besides ${applied} applied\n`);
  await dispose();
  return result;
}

/**
 * Reads `topic` from the beginning with a fresh group until `handle` has reported `events` done (it returns
 * how many are done so far); timed from the first message to that point.
 */
async function consume(
  ctx: BenchContext,
  kafka: Kafka,
  topic: string,
  events: number,
  kind: Measurement['kind'],
  handle: (payload: EachMessagePayload) => Promise<number>,
): Promise<Omit<Measurement, 'run'>> {
  const consumer = kafka.consumer(serviceConsumerConfig(ctx.unique(kind)));
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let first: number | undefined;
    const runAt = performance.now();
    const end = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`${kind} consumer did not finish ${events} events in ${CONSUME_TIMEOUT_MS} ms`)),
        CONSUME_TIMEOUT_MS,
      );
      consumer.on(consumer.events.CRASH, ({ payload }) =>
        process.stderr.write(
          `[bench] ${kind} consumer crashed (restart: ${payload.restart}): ${payload.error.message}\n`,
        ),
      );
      consumer
        .run({
          partitionsConsumedConcurrently: SERVICE_PARTITIONS_CONSUMED_CONCURRENTLY,
          eachMessage: async (payload) => {
            first ??= performance.now();
            if ((await handle(payload)) >= events) {
              clearTimeout(timer);
              resolve(performance.now());
            }
          },
        })
        .catch(reject);
    });
    return { kind, events, joinMs: (first ?? end) - runAt, ms: end - (first ?? runAt) };
  } finally {
    await consumer.disconnect();
  }
}
