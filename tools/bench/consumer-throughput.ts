/**
 * Consumer throughput (events/s) with the idempotent inbox against two raw kafkajs consumers, same topic, same run.
 *
 * N MemberJoined CloudEvents (distinct members, key = member id) are produced once to a fresh 3-partition topic.
 * Each measurement is a consumer with a fresh group reading it from the beginning, with the services' consumer
 * settings (libs/messaging/src/nest.ts: partitionsConsumedConcurrently 3, session 10 s, heartbeat 1 s):
 *
 *   raw     eachMessage only counts — the baseline of the goal.
 *   raw+db  eachBatch, per transaction of up to B messages (B = the dispatcher's batch size) one projection
 *           upsert per event and a commit, no inbox — the same database write, so `inbox / raw+db` is the cost
 *           of the inbox itself (envelope, bulk inbox insert, dispatch).
 *   inbox   eachBatch → `ServiceConsumers.dispatchBatch` with the services' own `DirectoryConsumer` (what their
 *           EventConsumerServer does): per transaction of up to B messages one bulk inbox insert, the handlers
 *           (which only collect rows), one multi-row upsert per table (member_directory, projection_status:
 *           BatchWrites, newest version wins), a commit, then the offsets are resolved.
 * Database measurements get a fresh database each; checked afterwards: N projection rows (and N inbox rows).
 *
 * Timed from the first message (raw) or batch (raw+db, inbox) handed over to the N-th event finished (raw:
 * counted; raw+db, inbox: committed), so the group join — shown separately — is not part of the rate.
 * Measurements alternate raw / raw+db / inbox, R times, after one unreported warm-up of each.
 *
 * Env: BENCH_EVENTS (20000), BENCH_REPEATS (5), BENCH_WARMUP_EVENTS (2000; 0 = none),
 * UNIONFED_CONSUMER_BATCH_SIZE (B, as in the services: 500).
 * Goals (ratio of the medians): inbox ≥ 30 % of raw (the service kit's); round 1 aimed at ≥ 50 %.
 */
import { performance } from 'node:perf_hooks';
import type { Admin, EachBatchPayload, EachMessagePayload, Kafka } from 'kafkajs';
import { fromBinary } from '@bufbuild/protobuf';
import { EVENT_REGISTRY, MembershipEvents } from '@unionfed/contracts';
import {
  consumerBatchSizeFromEnv,
  createKafka,
  eventBatchOf,
  RELIABLE_PRODUCER,
  ServiceConsumers,
} from '@unionfed/messaging';
import { DIRECTORY_MIGRATIONS, DirectoryConsumer } from '@unionfed/directory';
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
  projectionRow,
  PROJECTION_UPSERT,
  runBench,
  serviceConsumerConfig,
  SERVICE_PARTITIONS_CONSUMED_CONCURRENTLY,
  summary,
  topicMessageCount,
  verdict,
} from './lib';

/** the service kit's goal; round 1 aimed at ROUND_ONE_RATIO */
const GOAL_RATIO = 0.3;
const ROUND_ONE_RATIO = 0.5;
const PRODUCE_BATCH = 500;
/** a measurement that has not finished by then has failed */
const CONSUME_TIMEOUT_MS = 15 * 60_000;

const KINDS = ['raw', 'raw+db', 'inbox'] as const;
type Kind = (typeof KINDS)[number];

interface Measurement {
  kind: Kind;
  run: string;
  events: number;
  /** consumer.run() to the first message: group join, assignment, first fetch (not in the rate) */
  joinMs: number;
  ms: number;
}

const perSecond = (m: Pick<Measurement, 'events' | 'ms'>) => m.events / (m.ms / 1000);

// settings (read before anything starts, so a bad value fails fast)
const events = Math.max(1, envInt('BENCH_EVENTS', 20_000));
const repeats = Math.max(1, envInt('BENCH_REPEATS', 5));
const warmupEvents = envInt('BENCH_WARMUP_EVENTS', 2_000);
const batchSize = consumerBatchSizeFromEnv();

runBench('Consumer throughput: inbox + handler vs raw kafkajs consumers', async (ctx) => {
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
    [
      'raw+db',
      `eachBatch: per ≤ ${batchSize} messages one transaction of projection upserts (one per event), no inbox`,
    ],
    [
      'inbox',
      `eachBatch → ServiceConsumers.dispatchBatch (DirectoryConsumer): per ≤ ${batchSize} messages one transaction (bulk inbox insert + one upsert per table)`,
    ],
    [
      'repeats',
      `${repeats} × (${KINDS.join(', ')}), after a warm-up of ${fmtNumber(warmupEvents)} events each`,
    ],
  ]);

  const topic = await produceTopic(ctx, kafka, admin, 'consume', events);
  const measure: Record<Kind, (t: string, n: number) => Promise<Omit<Measurement, 'run'>>> = {
    raw: (t, n) => consumeRaw(ctx, kafka, t, n),
    'raw+db': (t, n) => consumeWithDatabaseOnly(ctx, kafka, t, n),
    inbox: (t, n) => consumeWithInbox(ctx, kafka, t, n),
  };
  if (warmupEvents > 0) {
    process.stdout.write('warming up… ');
    const warmupTopic = await produceTopic(ctx, kafka, admin, 'warmup', warmupEvents);
    for (const kind of KINDS) await measure[kind](warmupTopic, warmupEvents);
    console.log('done\n');
  }

  const results: Measurement[] = [];
  for (let r = 1; r <= repeats; r++) {
    for (const kind of KINDS) {
      const m = { ...(await measure[kind](topic, events)), run: `${r}/${repeats}` };
      results.push(m);
      console.log(
        `  ${m.run} ${kind.padEnd(6)} ${fmtNumber(m.events)} events in ${fmtSeconds(m.ms)} = ${fmtNumber(perSecond(m))} events/s  (group join + first fetch ${fmtSeconds(m.joinMs)}, not timed)`,
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
  const rates = (kind: Kind, rate: (m: Measurement) => number) =>
    summary(results.filter((m) => m.kind === kind).map(rate));
  const withJoin = (m: Measurement) => perSecond({ events: m.events, ms: m.joinMs + m.ms });
  const raws = rates('raw', perSecond);
  const rawDbs = rates('raw+db', perSecond);
  const inboxes = rates('inbox', perSecond);
  const line = (label: string, s: ReturnType<typeof summary>) => [
    label,
    Math.round(s.min),
    Math.round(s.median),
    Math.round(s.max),
  ];
  printTable(
    ['events/s', 'min', 'median', 'max'],
    [
      line('raw kafkajs consumer (counting only)', raws),
      line('raw kafkajs + the same projection write', rawDbs),
      line('inbox + projection', inboxes),
      line('raw, counting the group join', rates('raw', withJoin)),
      line('raw+db, counting the group join', rates('raw+db', withJoin)),
      line('inbox, counting the group join', rates('inbox', withJoin)),
    ],
  );
  const percent = (a: number, b: number) => `${((a / b) * 100).toFixed(1)} %`;
  const ratio = inboxes.median / raws.median;
  console.log();
  printTable(
    ['ratio of the medians', ''],
    [
      ['inbox / raw (the goal)', percent(inboxes.median, raws.median)],
      ['inbox / raw+db (the inbox’s own cost)', percent(inboxes.median, rawDbs.median)],
      ['raw+db / raw (the projection write’s cost)', percent(rawDbs.median, raws.median)],
      [
        'inbox / raw, counting the group join',
        percent(rates('inbox', withJoin).median, rates('raw', withJoin).median),
      ],
    ],
  );
  console.log(
    '\n' +
      verdict(
        ratio >= GOAL_RATIO,
        `consumer throughput with the inbox ≥ ${GOAL_RATIO * 100} % of raw (${(ratio * 100).toFixed(1)} %)`,
      ) +
      '\n' +
      verdict(ratio >= ROUND_ONE_RATIO, `round 1's aim: ≥ ${ROUND_ONE_RATIO * 100} % of raw`),
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
  return consume(ctx, kafka, topic, events, 'raw', { eachMessage: async () => ++seen });
}

const MEMBER_JOINED = MembershipEvents.MemberJoined;

/** The fairer baseline: the inbox path's database write (per batch, one transaction) without the inbox. */
async function consumeWithDatabaseOnly(ctx: BenchContext, kafka: Kafka, topic: string, events: number) {
  const { dataSource, dispose } = await messagingDatabase(ctx, 'rawdb', { projection: true });
  let done = 0;
  const result = await consume(ctx, kafka, topic, events, 'raw+db', {
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      for (let from = 0; from < batch.messages.length; from += batchSize) {
        const messages = batch.messages.slice(from, from + batchSize);
        await dataSource.transaction(async (manager) => {
          for (const message of messages) {
            const event = fromBinary(MEMBER_JOINED.schema, message.value ?? Buffer.alloc(0));
            await manager.query(PROJECTION_UPSERT, projectionRow(event));
          }
        });
        resolveOffset(messages[messages.length - 1].offset);
        await heartbeat();
        done += messages.length;
      }
      return done;
    },
  });
  const rows = await count(dataSource, `SELECT count(*) AS n FROM bench_member_directory`);
  if (rows !== events) throw new Error(`after the raw+db run: ${rows} projection rows, expected ${events}`);
  await dispose();
  return result;
}

async function consumeWithInbox(ctx: BenchContext, kafka: Kafka, topic: string, events: number) {
  const { dataSource, dispose } = await messagingDatabase(ctx, 'inbox');
  const runner = dataSource.createQueryRunner();
  for (const Migration of DIRECTORY_MIGRATIONS) await new Migration().up(runner);
  await runner.release();
  const dispatcher = new ServiceConsumers(
    dataSource,
    'bench',
    EVENT_REGISTRY,
    [new DirectoryConsumer()],
    () => ({
      batchSize,
      log: (level, message, fields) =>
        level !== 'info' &&
        process.stderr.write(`[dispatcher ${level}] ${message} ${JSON.stringify(fields)}\n`),
    }),
  ).dispatcher('bench.directory');
  const result = await consume(ctx, kafka, topic, events, 'inbox', {
    eachBatch: async (payload) => {
      await dispatcher.dispatchBatch(eventBatchOf(payload));
      return dispatcher.counts.applied;
    },
  });
  const inbox = await count(dataSource, `SELECT count(*) AS n FROM inbox`);
  const rows = await count(dataSource, `SELECT count(*) AS n FROM member_directory`);
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

/** A consumer's handler: per message or per batch; it returns how many events are done so far. */
type Handler =
  | { eachMessage: (payload: EachMessagePayload) => Promise<number> }
  | { eachBatch: (payload: EachBatchPayload) => Promise<number> };

/**
 * Reads `topic` from the beginning with a fresh group until the handler has reported `events` done; timed from
 * the first message or batch handed over to that point.
 */
async function consume(
  ctx: BenchContext,
  kafka: Kafka,
  topic: string,
  events: number,
  kind: Kind,
  handler: Handler,
): Promise<Omit<Measurement, 'run'>> {
  const consumer = kafka.consumer(serviceConsumerConfig(ctx.unique(kind.replace('+', '_'))));
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
      const finished = (done: number) => {
        if (done < events) return;
        clearTimeout(timer);
        resolve(performance.now());
      };
      const run =
        'eachMessage' in handler
          ? {
              eachMessage: async (payload: EachMessagePayload) => {
                first ??= performance.now();
                finished(await handler.eachMessage(payload));
              },
            }
          : {
              eachBatchAutoResolve: false,
              eachBatch: async (payload: EachBatchPayload) => {
                first ??= performance.now();
                finished(await handler.eachBatch(payload));
              },
            };
      consumer
        .run({ partitionsConsumedConcurrently: SERVICE_PARTITIONS_CONSUMED_CONCURRENTLY, ...run })
        .catch(reject);
    });
    return { kind, events, joinMs: (first ?? end) - runAt, ms: end - (first ?? runAt) };
  } finally {
    await consumer.disconnect();
  }
}
