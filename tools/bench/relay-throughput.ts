/**
 * Outbox relay throughput (events/s) against the raw kafkajs producer, same broker, same run.
 *
 *   raw    a kafkajs producer configured as the relay's (RELIABLE_PRODUCER: idempotent, one request in flight)
 *          sends N pre-built messages with `sendBatch({ acks: -1 })` in batches of the relay's batch size
 *          (500); timed from the first send to the last acknowledgement.
 *   relay  N events are written to a fresh database's outbox with `Outbox.add` in transactions of 500 (not
 *          timed); then `new OutboxRelay(…).wake()` is timed until the outbox holds no unpublished row.
 *
 * Same messages both ways: MemberJoined CloudEvents (~200-byte protobuf, the relay's headers), 100 distinct
 * keys, a fresh 3-partition topic per measurement; each topic is checked to hold N messages afterwards.
 * Measurements alternate raw/relay, R times, after one unreported warm-up of each.
 *
 * Env: BENCH_EVENTS (20000), BENCH_REPEATS (3), BENCH_KEYS (100), BENCH_WARMUP_EVENTS (2000; 0 = none).
 * Goal: relay ≥ 50% of raw (ratio of the medians).
 */
import { performance } from 'node:perf_hooks';
import type { Admin, Producer } from 'kafkajs';
import { createKafka, Outbox, OutboxRelay, RELIABLE_PRODUCER } from '@unionfed/messaging';
import { SYSTEM_ACTING, UnitOfWork } from '@unionfed/persistence';
import {
  asKafkaMessage,
  BENCH_SOURCE,
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
  runBench,
  summary,
  topicMessageCount,
  verdict,
} from './lib';

const GOAL_RATIO = 0.5;
/** OutboxRelay's default batch size (libs/messaging/src/relay.ts) */
const RELAY_BATCH_SIZE = 500;
/** outbox rows written per transaction when filling it */
const FILL_TRANSACTION_SIZE = 500;

interface Measurement {
  kind: 'raw' | 'relay';
  run: string;
  events: number;
  ms: number;
  /** untimed preparation (filling the outbox), for information */
  prepareMs?: number;
}

const perSecond = (m: Measurement) => m.events / (m.ms / 1000);

// settings (read before anything starts, so a bad value fails fast)
const events = Math.max(1, envInt('BENCH_EVENTS', 20_000));
const repeats = Math.max(1, envInt('BENCH_REPEATS', 3));
const keys = Math.max(1, envInt('BENCH_KEYS', 100));
const warmup = envInt('BENCH_WARMUP_EVENTS', 2_000);

runBench('Outbox relay throughput vs the raw kafkajs producer', async (ctx) => {
  const kafka = createKafka(`bench-relay-${process.pid}`, ctx.infra.kafkaBrokers);
  const admin = await connectedAdmin(ctx, kafka);
  const producer = kafka.producer(RELIABLE_PRODUCER);
  await producer.connect();
  ctx.defer(() => producer.disconnect());

  const sample = asKafkaMessage(memberJoined('t', 7));
  await printMachineInfo(ctx, [
    ['events per measurement', `${fmtNumber(events)} (${keys} keys, 3 partitions, fresh topic each)`],
    [
      'message',
      `MemberJoined, ${sample.value.length} B protobuf + ${Object.keys(sample.headers).length} headers (${headerBytes(sample.headers)} B)`,
    ],
    [
      'producer',
      `RELIABLE_PRODUCER (idempotent, maxInFlightRequests 1), acks=-1, batches of ${RELAY_BATCH_SIZE}`,
    ],
    ['repeats', `${repeats} × (raw, relay), after a warm-up of ${fmtNumber(warmup)} events each`],
  ]);

  const measure = {
    raw: () => raw(ctx, admin, producer, events, keys),
    relay: () => relay(ctx, admin, producer, events, keys),
  };
  if (warmup > 0) {
    process.stdout.write('warming up… ');
    await raw(ctx, admin, producer, warmup, keys);
    await relay(ctx, admin, producer, warmup, keys);
    console.log('done\n');
  }

  const results: Measurement[] = [];
  for (let r = 1; r <= repeats; r++) {
    for (const kind of ['raw', 'relay'] as const) {
      const m = { ...(await measure[kind]()), run: `${r}/${repeats}` };
      results.push(m);
      console.log(
        `  ${m.run} ${kind.padEnd(5)} ${fmtNumber(m.events)} events in ${fmtSeconds(m.ms)} = ${fmtNumber(perSecond(m))} events/s` +
          (m.prepareMs !== undefined
            ? `  (outbox filled beforehand in ${fmtSeconds(m.prepareMs)}, not timed)`
            : ''),
      );
    }
  }

  console.log();
  printTable(
    ['run', 'path', 'events', 'seconds', 'events/s'],
    results.map((m) => [m.run, m.kind, m.events, (m.ms / 1000).toFixed(2), Math.round(perSecond(m))]),
  );
  console.log();
  const raws = summary(results.filter((m) => m.kind === 'raw').map(perSecond));
  const relays = summary(results.filter((m) => m.kind === 'relay').map(perSecond));
  printTable(
    ['events/s', 'min', 'median', 'max'],
    [
      ['raw kafkajs producer', Math.round(raws.min), Math.round(raws.median), Math.round(raws.max)],
      ['outbox relay', Math.round(relays.min), Math.round(relays.median), Math.round(relays.max)],
    ],
  );
  const ratio = relays.median / raws.median;
  console.log(`\nrelay / raw (medians): ${(ratio * 100).toFixed(1)} %`);
  console.log(
    verdict(
      ratio >= GOAL_RATIO,
      `relay throughput ≥ ${GOAL_RATIO * 100} % of raw (${(ratio * 100).toFixed(1)} %)`,
    ),
  );
});

/** The baseline: the same messages, sent straight to Kafka in the relay's batch size, one batch at a time. */
async function raw(
  ctx: BenchContext,
  admin: Admin,
  producer: Producer,
  events: number,
  keys: number,
): Promise<Omit<Measurement, 'run'>> {
  const topic = await freshTopic(ctx, admin, 'raw');
  const messages = Array.from({ length: events }, (_, i) => asKafkaMessage(memberJoined(topic, i % keys)));
  const started = performance.now();
  for (let i = 0; i < events; i += RELAY_BATCH_SIZE) {
    await producer.sendBatch({
      acks: -1,
      topicMessages: [{ topic, messages: messages.slice(i, i + RELAY_BATCH_SIZE) }],
    });
  }
  const ms = performance.now() - started;
  await expectTopicHolds(admin, topic, events);
  return { kind: 'raw', events, ms };
}

/** The relay: outbox filled first (not timed), then drained by one relay. */
async function relay(
  ctx: BenchContext,
  admin: Admin,
  producer: Producer,
  events: number,
  keys: number,
): Promise<Omit<Measurement, 'run'>> {
  const topic = await freshTopic(ctx, admin, 'relay');
  const db = await messagingDatabase(ctx, 'relay');
  const { dataSource } = db;
  const outbox = new Outbox(BENCH_SOURCE);
  const unpublished = () => count(dataSource, `SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`);

  const filling = performance.now();
  for (let i = 0; i < events; i += FILL_TRANSACTION_SIZE) {
    const batch = Array.from({ length: Math.min(FILL_TRANSACTION_SIZE, events - i) }, (_, j) =>
      memberJoined(topic, (i + j) % keys),
    );
    await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager }) => outbox.add(manager, batch));
  }
  const prepareMs = performance.now() - filling;
  if ((await unpublished()) !== events) throw new Error('the outbox does not hold the events just written');

  const relayUnderTest = new OutboxRelay(dataSource, producer, {
    databaseUrl: db.url,
    log: (level, message, fields) =>
      process.stderr.write(`[relay ${level}] ${message} ${fields ? JSON.stringify(fields) : ''}\n`),
  });
  const started = performance.now();
  let ms = 0;
  for (let rounds = 1; ; rounds++) {
    await relayUnderTest.wake();
    ms = performance.now() - started;
    const left = await unpublished();
    if (left === 0) break;
    if (rounds >= 20) throw new Error(`the relay left ${left} rows unpublished after ${rounds} wake-ups`);
  }
  if (relayUnderTest.publishedCount !== events) {
    throw new Error(`the relay published ${relayUnderTest.publishedCount} rows, expected ${events}`);
  }
  await expectTopicHolds(admin, topic, events);
  await db.dispose();
  return { kind: 'relay', events, ms, prepareMs };
}

async function expectTopicHolds(admin: Admin, topic: string, events: number): Promise<void> {
  const held = await topicMessageCount(admin, topic);
  if (held !== events) throw new Error(`topic ${topic} holds ${held} messages, expected ${events}`);
}
