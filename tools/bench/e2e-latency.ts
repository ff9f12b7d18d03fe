/**
 * End-to-end latency: from the producing service's COMMIT of a write (with its outbox row) to the consuming
 * service's COMMIT of the effect (with its inbox row), at a sustained rate — by default 500 events/s for 60 s.
 *
 *   producer side (this process, database A): a paced writer commits one MemberJoined per transaction through
 *     `Outbox.add` in a `UnitOfWork`, open-loop (each write starts at its scheduled time whether or not the
 *     previous one finished), and records Date.now() after COMMIT returned; an `OutboxRelay` runs with
 *     `start()` (LISTEN/NOTIFY wake-up, polling fallback) and the services' producer (RELIABLE_PRODUCER).
 *   consumer side (a child process — `node dist/tools/bench/e2e-latency.js consumer` — with its own event loop,
 *     database B): consuming as the services' `EventConsumerServer` does — kafkajs `eachBatch` with
 *     `eachBatchAutoResolve: false` and the services' settings, each partition batch adapted by `eventBatchOf`
 *     and handed to `EventDispatcher.dispatchBatch` (transactions of up to UNIONFED_CONSUMER_BATCH_SIZE, 500:
 *     one bulk inbox insert + the handler's projection upsert per event, commit, then the offsets resolved).
 *     An event's time is Date.now() when its transaction's offsets are resolved — dispatchBatch resolves them
 *     right after that COMMIT, through the batch's `resolveOffset`, which the bench wraps as EventConsumerServer
 *     does — and, for comparison, when `dispatchBatch` returned. The timings come back over IPC at the end.
 *
 * Latency = consumer (batch transaction) commit − producer commit, per event id, over all events of the
 * measured period. Real Kafka in between, a fresh 3-partition topic, distinct members (key = member id).
 *
 * The first BENCH_WARMUP_S seconds (5) run the same pipeline at the same rate before the measured period (a
 * freshly started broker and cold JIT would otherwise dominate the first seconds); they are shown on their own
 * row and not counted. BENCH_WARMUP_S=0 measures from a cold start.
 *
 * Env: BENCH_RATE (500 events/s), BENCH_DURATION_S (60), BENCH_WARMUP_S (5), BENCH_WINDOW_S (10: the
 * per-window table), UNIONFED_CONSUMER_BATCH_SIZE (as in the services: 500).
 * Goals: p50 ≤ 50 ms, p99 ≤ 250 ms.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { KafkaMessage } from 'kafkajs';
import {
  consumerBatchSizeFromEnv,
  createKafka,
  eventBatchOf,
  Outbox,
  OutboxRelay,
  RELIABLE_PRODUCER,
  type EventBatch,
} from '@unionfed/messaging';
import { migrate, SYSTEM_ACTING, UnitOfWork } from '@unionfed/persistence';
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
      /** the events' ids, each once (a redelivered event keeps its first commit), in commit order */
      ids: string[];
      /** per id: Date.now() when its batch transaction's offsets were resolved, right after its COMMIT */
      committedAt: number[];
      /** per id: Date.now() when the `dispatchBatch` call that carried it returned */
      returnedAt: number[];
      counts: Record<string, number>;
      /** eachBatch calls with messages, and the inbox transactions they were applied in */
      batches: number;
      transactions: number;
      maxPerTransaction: number;
      batchSize: number;
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
        `child process, as the services' EventConsumerServer: kafkajs eachBatch (partitionsConsumedConcurrently ${SERVICE_PARTITIONS_CONSUMED_CONCURRENTLY}, eachBatchAutoResolve false) → EventDispatcher.dispatchBatch, ≤ ${consumerBatchSizeFromEnv()} events per inbox transaction, database B`,
      ],
      [
        'clock',
        'Date.now() after the producer COMMIT and after the consumer batch COMMIT (offsets resolved; same machine)',
      ],
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
        const write: Promise<void> = new UnitOfWork(producerDb.dataSource)
          .run(SYSTEM_ACTING, ({ manager }) => outbox.add(manager, event))
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
    const untilReturned: number[] = [];
    const byWindow = new Map<number, number[]>();
    let unknown = 0;
    result.ids.forEach((id, i) => {
      const entry = committed.get(id);
      if (!entry) return void (unknown += 1);
      const [producedAt, index] = entry;
      const latency = result.committedAt[i] - producedAt;
      if (index < warmup) return void warmupLatencies.push(latency);
      latencies.push(latency);
      untilReturned.push(result.returnedAt[i] - producedAt);
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
    const { applied = 0, duplicate = 0, ...others } = result.counts;
    if (
      relay.publishedCount !== total ||
      inTopic !== total ||
      applied !== total ||
      Object.values(others).some((n) => n > 0)
    ) {
      throw new Error(
        `counts do not add up: ${total} written, ${relay.publishedCount} relayed, ${inTopic} on the topic, consumer ${JSON.stringify(result.counts)}`,
      );
    }

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
        [
          'consumer: eachBatch calls / inbox transactions',
          `${fmtNumber(result.batches)} / ${fmtNumber(result.transactions)}`,
        ],
        [
          'events per transaction: mean / max (limit)',
          `${(result.ids.length / result.transactions).toFixed(1)} / ${result.maxPerTransaction} (${result.batchSize})`,
        ],
        ...(duplicate > 0 ? [['redelivered (inbox duplicates)', fmtNumber(duplicate)]] : []),
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
        'latency, producer commit → consumer batch commit (ms)',
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
        row(`measured, until dispatchBatch returned (not the figure)`, untilReturned),
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

/** The consuming service, in its own process, consuming as EventConsumerServer (libs/messaging nest.ts) does. */
async function consumerSide(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_E2E_CONSUMER ?? '') as ConsumerConfig;
  const send = (message: FromConsumer) =>
    new Promise<void>((resolve, reject) =>
      process.send!(message, undefined, {}, (error: Error | null) => (error ? reject(error) : resolve())),
    );

  const dataSource = openMessagingDataSource(config.databaseUrl, 'e2e-consumer', { projection: true });
  await migrate(dataSource);
  const batchSize = consumerBatchSizeFromEnv(); // what the services' dispatchers use by default
  const dispatcher = projectionDispatcher(dataSource, { batchSize });
  const kafka = createKafka(`bench-e2e-consumer-${process.pid}`, config.brokers);
  const consumer = kafka.consumer(serviceConsumerConfig(config.groupId));

  const ids: string[] = [];
  const committedAt: number[] = [];
  const returnedAt: number[] = [];
  const seen = new Set<string>();
  let batches = 0;
  let transactions = 0;
  let maxPerTransaction = 0;
  /** eachBatch calls under way (up to partitionsConsumedConcurrently) */
  let running = 0;
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
        returnedAt,
        counts: { ...dispatcher.counts },
        batches,
        transactions,
        maxPerTransaction,
        batchSize,
        cpuMs: (cpu.user + cpu.system) / 1000,
        complete,
      });
      await consumer.disconnect().catch(() => undefined);
      await dataSource.destroy().catch(() => undefined);
      process.disconnect?.();
      process.exit(0);
    })());
  // done once every expected event has committed and no batch call is still on its way out
  const finishIfDone = () => ids.length >= expected && running === 0 && void finish(true);

  process.on('message', (message: ToConsumer) => {
    if (message.type !== 'expect') return;
    expected = message.count;
    finishIfDone();
    if (!finishing) drainTimer = setTimeout(() => void finish(false), DRAIN_TIMEOUT_MS);
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
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      // as EventConsumerServer.handleBatch: the kafkajs payload adapted by eventBatchOf, its resolveOffset
      // wrapped, handed to dispatchBatch — which resolves each transaction's offsets right after its COMMIT
      const batch = eventBatchOf(payload);
      const { messages } = batch;
      if (messages.length === 0) return;
      batches += 1;
      running += 1;
      const mine: number[] = []; // indexes into ids of the events this call committed
      let next = 0; // messages[0, next) are resolved
      const timed: EventBatch = {
        ...batch,
        resolveOffset: (offset) => {
          const at = Date.now(); // the transaction of the messages up to `offset` has committed
          const upTo = BigInt(offset);
          const from = next;
          for (; next < messages.length && BigInt(messages[next].offset) <= upTo; next++) {
            const id = ceId(messages[next]);
            if (seen.has(id)) continue; // delivered again: its first commit is its time
            seen.add(id);
            mine.push(ids.length);
            ids.push(id);
            committedAt.push(at);
            returnedAt.push(NaN);
          }
          transactions += 1;
          maxPerTransaction = Math.max(maxPerTransaction, next - from);
          batch.resolveOffset(offset);
        },
      };
      try {
        await dispatcher.dispatchBatch(timed);
      } finally {
        const at = Date.now();
        for (const i of mine) returnedAt[i] = at;
        running -= 1;
      }
      finishIfDone();
    },
  });
}

function ceId(message: KafkaMessage): string {
  const value = message.headers?.ce_id;
  return String(Array.isArray(value) ? value[0] : value);
}
