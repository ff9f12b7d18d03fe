/**
 * End-to-end latency: from the producing service's COMMIT of a write (with its outbox row) to the consuming
 * service's COMMIT of the effect (with its inbox row), at a sustained rate — by default 500 events/s for 60 s.
 *
 *   producer side (this process, database A): a paced writer commits one MemberJoined per transaction through
 *     `Outbox.add` + `inTransaction`, open-loop (each write starts at its scheduled time whether or not the
 *     previous one finished), and records Date.now() after COMMIT returned; an `OutboxRelay` runs with
 *     `start()` (LISTEN/NOTIFY wake-up, polling fallback) and the services' producer (RELIABLE_PRODUCER).
 *   consumer side (a child process — `node dist/tools/bench/e2e-latency.js consumer` — with its own event loop,
 *     database B): a kafkajs consumer with the services' settings + `EventDispatcher`, whose handler upserts one
 *     projection row; Date.now() is recorded when `dispatch` resolved, i.e. after the inbox transaction
 *     committed. The timings come back over the IPC channel at the end.
 *
 * Latency = consumer commit − producer commit, per event id, over all events of the measured period. Real
 * Kafka in between, a fresh 3-partition topic, distinct members (key = member id).
 *
 * The first BENCH_WARMUP_S seconds (5) run the same pipeline at the same rate before the measured period (a
 * freshly started broker and cold JIT would otherwise dominate the first seconds); they are shown on their own
 * row and not counted. BENCH_WARMUP_S=0 measures from a cold start.
 *
 * Env: BENCH_RATE (500 events/s), BENCH_DURATION_S (60), BENCH_WARMUP_S (5), BENCH_WINDOW_S (10: the
 * per-window table).
 * Goals: p50 ≤ 50 ms, p99 ≤ 250 ms.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { KafkaMessage } from 'kafkajs';
import { createKafka, Outbox, OutboxRelay, RELIABLE_PRODUCER } from '@unionfed/messaging';
import { inTransaction, migrate } from '@unionfed/persistence';
import {
  BENCH_SOURCE,
  connectedAdmin,
  envInt,
  fmtNumber,
  fmtSeconds,
  freshDatabase,
  freshTopic,
  memberJoined,
  messagingDatabase,
  openMessagingDataSource,
  percentile,
  printMachineInfo,
  printTable,
  projectionDispatcher,
  runBench,
  serviceConsumerConfig,
  SERVICE_PARTITIONS_CONSUMED_CONCURRENTLY,
  sleep,
  sorted,
  topicMessageCount,
  verdict,
} from './lib';

const GOAL_P50_MS = 50;
const GOAL_P99_MS = 250;
/** once the writer is done, how long the consumer may take to catch up before the run counts as failed */
const DRAIN_TIMEOUT_MS = 120_000;
const WINDOW_S = Math.max(1, envInt('BENCH_WINDOW_S', 10));

interface ConsumerConfig {
  databaseUrl: string;
  brokers: string[];
  topic: string;
  groupId: string;
}

/** parent → child */
type ToConsumer = { type: 'expect'; count: number };
/** child → parent */
type FromConsumer =
  | { type: 'ready' }
  | {
      type: 'result';
      ids: string[];
      committedAt: number[];
      counts: Record<string, number>;
      cpuMs: number;
      complete: boolean;
    };

if (process.argv[2] === 'consumer') {
  consumerSide().catch((error: unknown) => {
    process.stderr.write(
      `[bench consumer] ${error instanceof Error ? (error.stack ?? error.message) : error}\n`,
    );
    process.exit(1);
  });
} else {
  // settings (read before anything starts, so a bad value fails fast)
  const rate = Math.max(1, envInt('BENCH_RATE', 500));
  const durationS = Math.max(1, envInt('BENCH_DURATION_S', 60));
  const warmupS = envInt('BENCH_WARMUP_S', 5);
  runBench('End-to-end latency: producer commit → relay → Kafka → consumer inbox commit', async (ctx) => {
    const measured = rate * durationS;
    const warmup = rate * warmupS;
    const total = warmup + measured;

    await printMachineInfo(ctx, [
      [
        'load',
        `${fmtNumber(rate)} events/s for ${durationS} s = ${fmtNumber(measured)} measured events, one per transaction`,
      ],
      [
        'warm-up',
        warmupS > 0
          ? `the first ${warmupS} s (${fmtNumber(warmup)} events) at the same rate, shown apart, not in the figures`
          : 'none (BENCH_WARMUP_S=0)',
      ],
      ['producer side', 'this process: paced writer + OutboxRelay.start() (LISTEN/NOTIFY), database A'],
      [
        'consumer side',
        `child process: kafkajs consumer (partitionsConsumedConcurrently ${SERVICE_PARTITIONS_CONSUMED_CONCURRENTLY}) + EventDispatcher/inbox, database B`,
      ],
      ['clock', 'Date.now() after the producer COMMIT and after the consumer inbox COMMIT (same machine)'],
    ]);

    const kafka = createKafka(`bench-e2e-producer-${process.pid}`, ctx.infra.kafkaBrokers);
    const admin = await connectedAdmin(ctx, kafka);
    const topic = await freshTopic(ctx, admin, 'e2e');
    const producerDb = await messagingDatabase(ctx, 'e2e_producer');
    const consumerDb = await freshDatabase(ctx, 'e2e_consumer'); // the consumer migrates it, as a service does

    const producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
    ctx.defer(() => producer.disconnect());
    const relay = new OutboxRelay(producerDb.dataSource, producer, {
      databaseUrl: producerDb.url,
      log: (level, message, fields) =>
        process.stderr.write(`[relay ${level}] ${message} ${fields ? JSON.stringify(fields) : ''}\n`),
    });
    await relay.start();
    ctx.defer(() => relay.stop());

    const consumer = startConsumer({
      databaseUrl: consumerDb.url,
      brokers: ctx.infra.kafkaBrokers,
      topic,
      groupId: ctx.unique('e2e'),
    });
    ctx.defer(() => consumer.stop());
    await consumer.ready;
    await sleep(1000); // let the consumer's first (empty) fetch go out

    // the writer: open-loop, one event per transaction, event i scheduled at start + i / rate
    console.log(
      `writing ${fmtNumber(total)} events at ${rate}/s (${warmupS} s warm-up + ${durationS} s measured) …`,
    );
    const outbox = new Outbox(BENCH_SOURCE);
    /** event id → [producer commit time, event index] */
    const committed = new Map<string, [number, number]>();
    const intervalMs = 1000 / rate;
    const inFlight = new Set<Promise<void>>();
    let maxScheduleLagMs = 0;
    let maxInFlight = 0;
    let writeError: unknown;
    let cpuBefore = process.cpuUsage();
    let measuredStart = performance.now();
    const start = performance.now();
    let progressAt = start + 10_000;
    for (let issued = 0; issued < total && !writeError;) {
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
      for (; issued < due; issued++) {
        if (issued === warmup) {
          measuredStart = now;
          cpuBefore = process.cpuUsage();
        }
        if (issued >= warmup)
          maxScheduleLagMs = Math.max(maxScheduleLagMs, now - (start + issued * intervalMs));
        const index = issued;
        const event = memberJoined(topic, index);
        const write: Promise<void> = inTransaction(producerDb.dataSource, (manager) =>
          outbox.add(manager, event),
        )
          .then(([id]) => void committed.set(id, [Date.now(), index]))
          .catch((error: unknown) => void (writeError ??= error))
          .finally(() => inFlight.delete(write));
        inFlight.add(write);
        if (index >= warmup) maxInFlight = Math.max(maxInFlight, inFlight.size);
      }
      if (now >= progressAt) {
        console.log(`  ${Math.round((now - start) / 1000)} s: ${fmtNumber(committed.size)} committed`);
        progressAt += 10_000;
      }
      if (issued < total) await sleep(Math.max(0, start + issued * intervalMs - performance.now()));
    }
    await Promise.all(inFlight);
    if (writeError) throw writeError;
    const writeMs = performance.now() - measuredStart;
    const producerCpu = process.cpuUsage(cpuBefore);
    console.log(
      `  done: ${fmtNumber(committed.size)} committed in ${fmtSeconds(performance.now() - start)}; waiting for the consumer…`,
    );

    const result = await consumer.finish(total);
    if (!result.complete) {
      throw new Error(
        `the consumer applied ${result.ids.length} of ${total} events within ${DRAIN_TIMEOUT_MS / 1000} s of the last write`,
      );
    }
    const latencies: number[] = [];
    const warmupLatencies: number[] = [];
    const byWindow = new Map<number, number[]>();
    let unknown = 0;
    result.ids.forEach((id, i) => {
      const entry = committed.get(id);
      if (!entry) return void (unknown += 1);
      const [producedAt, index] = entry;
      const latency = result.committedAt[i] - producedAt;
      if (index < warmup) return void warmupLatencies.push(latency);
      latencies.push(latency);
      const window = Math.floor((index - warmup) / rate / WINDOW_S);
      const values = byWindow.get(window) ?? [];
      values.push(latency);
      byWindow.set(window, values);
    });
    if (unknown > 0 || latencies.length + warmupLatencies.length !== total) {
      throw new Error(
        `${latencies.length + warmupLatencies.length} of ${total} events matched (${unknown} unknown ids)`,
      );
    }
    const inTopic = await topicMessageCount(admin, topic);

    const all = sorted(latencies);
    const p = (q: number) => percentile(all, q);
    const achievedRate = measured / (writeMs / 1000);
    const row = (label: string, values: number[]) => {
      const s = sorted(values);
      const mean = s.reduce((a, b) => a + b, 0) / s.length;
      return [
        label,
        s.length,
        s[0],
        percentile(s, 50),
        percentile(s, 95),
        percentile(s, 99),
        s[s.length - 1],
        Math.round(mean * 10) / 10,
      ];
    };
    console.log();
    printTable(
      ['figure', 'value'],
      [
        [
          'events (written = relayed = applied)',
          `${fmtNumber(total)} = ${fmtNumber(relay.publishedCount)} = ${fmtNumber(result.counts.applied ?? 0)}`,
        ],
        ['messages on the topic', fmtNumber(inTopic)],
        ['target rate (measured phase)', `${fmtNumber(rate)} events/s × ${durationS} s`],
        ['achieved write rate', `${fmtNumber(achievedRate)} events/s (${fmtSeconds(writeMs)})`],
        ['writer: max schedule lag / max in flight', `${maxScheduleLagMs.toFixed(1)} ms / ${maxInFlight}`],
        [
          'CPU: producer process (measured phase) / consumer process (whole run)',
          `${fmtSeconds((producerCpu.user + producerCpu.system) / 1000)} / ${fmtSeconds(result.cpuMs)}`,
        ],
      ],
    );
    console.log();
    printTable(
      [
        'latency, producer commit → consumer commit (ms)',
        'events',
        'min',
        'p50',
        'p95',
        'p99',
        'max',
        'mean',
      ],
      [
        row(`all measured events (${durationS} s)`, latencies),
        ...(warmupLatencies.length ? [row(`warm-up (${warmupS} s, not counted)`, warmupLatencies)] : []),
      ],
    );
    console.log();
    printTable(
      [`measured window (${WINDOW_S} s)`, 'events', 'min', 'p50', 'p95', 'p99', 'max', 'mean'],
      [...byWindow.entries()]
        .sort(([a], [b]) => a - b)
        .map(([w, values]) => row(`${w * WINDOW_S}–${Math.min(durationS, (w + 1) * WINDOW_S)} s`, values)),
    );
    console.log();
    console.log(verdict(p(50) <= GOAL_P50_MS, `p50 ≤ ${GOAL_P50_MS} ms (${p(50)} ms)`));
    console.log(verdict(p(99) <= GOAL_P99_MS, `p99 ≤ ${GOAL_P99_MS} ms (${p(99)} ms)`));
    if (achievedRate < rate * 0.95) {
      console.log(
        `note: the writer reached ${fmtNumber(achievedRate)} events/s, below the target ${fmtNumber(rate)}/s`,
      );
    }
  });
}

/** Forks the consumer side and speaks to it over IPC. */
function startConsumer(config: ConsumerConfig) {
  const child: ChildProcess = fork(__filename, ['consumer'], {
    env: { ...process.env, BENCH_E2E_CONSUMER: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let exited = false;
  const exit = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      exited = true;
      reject(new Error(`the consumer process ended early (${signal ?? `exit ${code}`})`));
    }),
  );
  exit.catch(() => undefined);
  const next = <T extends FromConsumer['type']>(type: T, timeoutMs: number) =>
    Promise.race([
      exit,
      new Promise<Extract<FromConsumer, { type: T }>>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no '${type}' from the consumer in ${timeoutMs} ms`)),
          timeoutMs,
        );
        const listen = (message: FromConsumer) => {
          if (message.type !== type) return;
          clearTimeout(timer);
          child.off('message', listen);
          resolve(message as Extract<FromConsumer, { type: T }>);
        };
        child.on('message', listen);
      }),
    ]);
  const ready = next('ready', 60_000);
  return {
    ready,
    async finish(count: number) {
      const result = next('result', DRAIN_TIMEOUT_MS + 30_000);
      child.send({ type: 'expect', count } satisfies ToConsumer);
      return result;
    },
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.kill('SIGTERM');
      await gone;
      clearTimeout(timer);
    },
  };
}

/** The consuming service, in its own process. */
async function consumerSide(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_E2E_CONSUMER ?? '') as ConsumerConfig;
  const send = (message: FromConsumer) =>
    new Promise<void>((resolve, reject) =>
      process.send!(message, undefined, {}, (error: Error | null) => (error ? reject(error) : resolve())),
    );

  const dataSource = openMessagingDataSource(config.databaseUrl, 'e2e-consumer', { projection: true });
  await migrate(dataSource);
  const dispatcher = projectionDispatcher(dataSource);
  const kafka = createKafka(`bench-e2e-consumer-${process.pid}`, config.brokers);
  const consumer = kafka.consumer(serviceConsumerConfig(config.groupId));

  const ids: string[] = [];
  const committedAt: number[] = [];
  let expected = Infinity;
  let finishing: Promise<void> | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  const finish = (complete: boolean) =>
    (finishing ??= (async () => {
      if (drainTimer) clearTimeout(drainTimer);
      const cpu = process.cpuUsage();
      await send({
        type: 'result',
        ids,
        committedAt,
        counts: { ...dispatcher.counts },
        cpuMs: (cpu.user + cpu.system) / 1000,
        complete,
      });
      await consumer.disconnect().catch(() => undefined);
      await dataSource.destroy().catch(() => undefined);
      process.disconnect?.();
      process.exit(0);
    })());

  process.on('message', (message: ToConsumer) => {
    if (message.type !== 'expect') return;
    expected = message.count;
    if (ids.length >= expected) void finish(true);
    else drainTimer = setTimeout(() => void finish(false), DRAIN_TIMEOUT_MS);
  });
  process.on('disconnect', () => !finishing && process.exit(1)); // the producer side is gone
  process.on('SIGTERM', () => {
    void consumer
      .disconnect()
      .catch(() => undefined)
      .finally(() => dataSource.destroy().finally(() => process.exit(0)));
  });

  consumer.on(consumer.events.GROUP_JOIN, () => void send({ type: 'ready' }));
  consumer.on(consumer.events.CRASH, ({ payload }) =>
    process.stderr.write(
      `[bench consumer] crashed (restart: ${payload.restart}): ${payload.error.message}\n`,
    ),
  );
  await consumer.connect();
  await consumer.subscribe({ topic: config.topic, fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: SERVICE_PARTITIONS_CONSUMED_CONCURRENTLY,
    eachMessage: async ({ topic, partition, message }) => {
      const outcome = await dispatcher.dispatch(message, topic, partition);
      const at = Date.now(); // the inbox transaction (effect + inbox row) has committed
      if (outcome !== 'applied') return;
      ids.push(ceId(message));
      committedAt.push(at);
      if (ids.length >= expected) void finish(true);
    },
  });
}

function ceId(message: KafkaMessage): string {
  const value = message.headers?.ce_id;
  return String(Array.isArray(value) ? value[0] : value);
}
