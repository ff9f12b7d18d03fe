import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { Producer } from 'kafkajs';
import { createDataSource, migrate, SYSTEM_ACTING, UnitOfWork } from '@unionfed/persistence';
import { infraProfile, startKafka, stopKafka } from '@unionfed/infra';
import { activeTraceparent } from '@unionfed/telemetry';
import {
  createTestDatabase,
  eventually,
  header,
  readTopic,
  recordSpans,
  testInfrastructure,
  uniqueTopic,
  type SpanRecorder,
} from '@unionfed/testing';
import { createKafka, MESSAGING_MIGRATIONS, Outbox, OutboxRelay, RELIABLE_PRODUCER } from '../src';

function event(topic: string, key: string, n: number) {
  return {
    type: 'unionfed.test.Happened.v1',
    topic,
    key,
    branchId: 'b-1',
    payload: Buffer.from(`${key}:${n}`),
  };
}

describe('transactional outbox and relay (real PostgreSQL + Kafka)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let producer: Producer;
  const outbox = new Outbox('/unionfed/test');
  let topic: string;
  let recorder: SpanRecorder;

  const unpublished = async () =>
    Number((await dataSource.query(`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`))[0].n);

  beforeAll(async () => {
    recorder = recordSpans();
    database = await createTestDatabase('outbox');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: MESSAGING_MIGRATIONS,
      applicationName: 'outbox-test',
    });
    await migrate(dataSource);
    const kafka = createKafka('outbox-test', testInfrastructure().kafkaBrokers);
    producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
  });

  beforeEach(async () => {
    topic = uniqueTopic('outbox');
    const admin = createKafka('outbox-test-admin', testInfrastructure().kafkaBrokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    await dataSource.query('TRUNCATE outbox');
  });

  afterAll(async () => {
    await producer?.disconnect();
    await dataSource?.destroy();
    await database?.drop();
    await recorder?.stop();
  });

  it('publishes a committed event with CloudEvents headers and the writing span’s trace context, and marks it published', async () => {
    let writer: string | undefined;
    const [id] = await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager: m }) => {
      writer = activeTraceparent(); // the unit of work's span
      return outbox.add(m, event(topic, 'k1', 1));
    });
    expect(writer).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-01$/);
    const relay = new OutboxRelay(dataSource, producer, { databaseUrl: database.url });
    expect(await relay.publishBatch()).toBe(1);

    const [received] = await readTopic(topic, { until: (m) => m.length >= 1 });
    expect(header(received.message, 'ce_id')).toBe(id);
    expect(header(received.message, 'ce_type')).toBe('unionfed.test.Happened.v1');
    expect(header(received.message, 'ce_specversion')).toBe('1.0');
    expect(header(received.message, 'content-type')).toBe('application/protobuf');
    expect(header(received.message, 'traceparent')).toBe(writer);
    expect(header(received.message, 'unionfed_branch_id')).toBe('b-1');
    expect(received.message.key?.toString()).toBe('k1');
    expect(await unpublished()).toBe(0);
  });

  it('publishes a bulk write (stored with COPY) byte for byte, with its headers, in order per key', async () => {
    const bytes = (n: number) => Buffer.from([0, 9, 10, 13, 92, 0xff, n % 256]);
    const events = Array.from({ length: 300 }, (_, n) => ({
      type: 'unionfed.test.Happened.v1',
      topic,
      key: `k${n % 7}`,
      branchId: 'b\t1\\中文',
      payload: bytes(n),
    }));
    const ids = await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager: m }) =>
      outbox.add(m, events),
    );
    const relay = new OutboxRelay(dataSource, producer, { databaseUrl: database.url });
    await relay.wake();
    expect(await unpublished()).toBe(0);

    const received = await readTopic(topic, { until: (m) => m.length >= events.length });
    expect(received).toHaveLength(events.length);
    const byId = new Map(received.map((r) => [header(r.message, 'ce_id'), r.message]));
    ids.forEach((id, n) => {
      const message = byId.get(id)!;
      expect(message.value).toEqual(bytes(n));
      expect(message.key?.toString()).toBe(`k${n % 7}`);
      expect(header(message, 'unionfed_branch_id')).toBe('b\t1\\中文');
    });
    for (let k = 0; k < 7; k++) {
      const order = received
        .filter((r) => r.message.key?.toString() === `k${k}`)
        .map((r) => header(r.message, 'ce_id'));
      expect(order).toEqual(ids.filter((_, n) => n % 7 === k));
    }
  });

  it('publishes a backlog too large for one Kafka record batch in several sends, in order', async () => {
    // 12 events of 200 KiB on one key (one partition): 2.4 MiB, more than the broker takes in one record batch
    const payload = (n: number) => Buffer.alloc(200 * 1024, n);
    const events = Array.from({ length: 12 }, (_, n) => ({
      type: 'unionfed.test.Happened.v1',
      topic,
      key: 'big',
      payload: payload(n),
    }));
    const ids = await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager: m }) =>
      outbox.add(m, events),
    );
    const relay = new OutboxRelay(dataSource, producer, { databaseUrl: database.url });
    await relay.wake();
    expect(await unpublished()).toBe(0);

    const received = await readTopic(topic, { until: (m) => m.length >= events.length });
    expect(received.map((r) => header(r.message, 'ce_id'))).toEqual(ids);
    received.forEach((r, n) => expect(r.message.value).toEqual(payload(n)));
  });

  it('publishes nothing for a transaction that rolled back', async () => {
    await expect(
      new UnitOfWork(dataSource).run(SYSTEM_ACTING, async ({ manager: m }) => {
        await outbox.add(m, event(topic, 'k1', 1));
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    const relay = new OutboxRelay(dataSource, producer, { databaseUrl: database.url });
    expect(await relay.publishBatch()).toBe(0);
    expect(await readTopic(topic, { timeoutMs: 3000 })).toHaveLength(0);
  });

  it('refuses to write outside a transaction', async () => {
    await expect(outbox.add(dataSource.manager, event(topic, 'k1', 1))).rejects.toThrow(
      /inside the transaction/,
    );
  });

  it('is woken by NOTIFY on commit and publishes without being asked', async () => {
    const relay = new OutboxRelay(dataSource, producer, {
      databaseUrl: database.url,
      pollIntervalMs: 60_000,
    });
    await relay.start();
    try {
      await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager: m }) =>
        outbox.add(m, [event(topic, 'k1', 1), event(topic, 'k2', 1)]),
      );
      const messages = await readTopic(topic, { until: (m) => m.length >= 2, timeoutMs: 10_000 });
      expect(messages.map((m) => m.message.value?.toString()).sort()).toEqual(['k1:1', 'k2:1']);
    } finally {
      await relay.stop();
    }
  });

  it('keeps each key in order and publishes every row exactly once with two relays running', async () => {
    const keys = Array.from({ length: 8 }, (_, i) => `key-${i}`);
    for (let n = 0; n < 50; n++) {
      await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager: m }) =>
        outbox.add(
          m,
          keys.map((key) => event(topic, key, n)),
        ),
      );
    }
    // both running as in production (woken by NOTIFY, polling as a fallback): a relay that finds the keys of a
    // window taken by the other ends its drain, and the next wake or poll picks the rest up
    const relays = [1, 2].map(
      () =>
        new OutboxRelay(dataSource, producer, {
          databaseUrl: database.url,
          batchSize: 37,
          pollIntervalMs: 100,
        }),
    );
    try {
      await Promise.all(relays.map((relay) => relay.start()));
      const published = async () =>
        Number(
          (
            await dataSource.query(
              `SELECT count(*) AS n FROM outbox WHERE topic = $1 AND published_at IS NOT NULL`,
              [topic],
            )
          )[0].n,
        );
      await eventually(async () => expect(await published()).toBe(400), { timeoutMs: 30_000 });
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
    }

    const messages = await readTopic(topic, { until: (m) => m.length >= 400, timeoutMs: 30_000 });
    const perKey = new Map<string, number[]>();
    for (const { message } of messages) {
      const [key, n] = message.value!.toString().split(':');
      perKey.set(key, [...(perKey.get(key) ?? []), Number(n)]);
    }
    for (const key of keys) expect(perKey.get(key)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect(new Set(messages.map((m) => header(m.message, 'ce_id'))).size).toBe(400);
    expect(messages).toHaveLength(400);
  });

  it('never publishes a later event of a key before an earlier one that another relay held when it passed by', async () => {
    // the key's first event, then many others, then its second event
    await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager: m }) =>
      outbox.add(m, [
        event(topic, 'held', 1),
        ...Array.from({ length: 1000 }, (_, n) => event(topic, `other-${n}`, 1)),
        event(topic, 'held', 2),
      ]),
    );
    // "another relay" holds the key while this relay's drain passes its first event, and lets go meanwhile
    const other = new Client({ connectionString: database.url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(7302001, hashtext('held'))`);
      const letGo = other.query(`SELECT pg_sleep(0.3)`).then(() => other.query('COMMIT'));
      const relay = new OutboxRelay(dataSource, producer, { databaseUrl: database.url, batchSize: 2 });
      await relay.wake();
      await letGo;
      await relay.wake(); // whatever the first drain left
    } finally {
      await other.end();
    }
    const messages = await readTopic(topic, { until: (m) => m.length >= 1002 });
    const held = messages.filter((m) => m.message.key?.toString() === 'held');
    expect(held.map((m) => m.message.value?.toString())).toEqual(['held:1', 'held:2']);
    expect(messages).toHaveLength(1002);
  });

  it('keeps events written while Kafka is down and publishes them once it is back', async () => {
    const profile = infraProfile('test');
    const relay = new OutboxRelay(dataSource, producer, {
      databaseUrl: database.url,
      pollIntervalMs: 200,
      maxBackoffMs: 1000,
    });
    await relay.start();
    try {
      await stopKafka(profile);
      // the writes succeed: they only touch PostgreSQL
      for (let n = 0; n < 5; n++)
        await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager: m }) =>
          outbox.add(m, event(topic, 'k1', n)),
        );
      await eventually(
        async () => {
          const [{ attempts }] = await dataSource.query(`SELECT min(attempts) AS attempts FROM outbox`);
          expect(Number(attempts)).toBeGreaterThan(0);
        },
        { timeoutMs: 90_000, intervalMs: 500 },
      );
      expect(await unpublished()).toBe(5);
      await startKafka(profile);
      await eventually(async () => expect(await unpublished()).toBe(0), { timeoutMs: 60_000 });
      const messages = await readTopic(topic, { until: (m) => m.length >= 5 });
      expect(messages.map((m) => m.message.value?.toString())).toEqual([
        'k1:0',
        'k1:1',
        'k1:2',
        'k1:3',
        'k1:4',
      ]);
    } finally {
      await relay.stop();
      await startKafka(profile);
    }
  });

  it('prunes published rows past the retention in bounded batches, keeping recent and unpublished ones', async () => {
    for (let n = 0; n < 7; n++)
      await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager: m }) =>
        outbox.add(m, event(topic, 'k1', n)),
      );
    // five rows published long ago, one published just now, one not published yet
    await dataSource.query(
      `UPDATE outbox SET published_at = now() - interval '30 days' WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT 5)`,
    );
    await dataSource.query(
      `UPDATE outbox SET published_at = now() WHERE seq = (SELECT max(seq) - 1 FROM outbox)`,
    );
    const relay = new OutboxRelay(dataSource, producer, {
      databaseUrl: database.url,
      retentionMs: 24 * 3600 * 1000,
    });
    expect(await relay.prune(2)).toBe(5);
    const left = await dataSource.query(
      `SELECT published_at IS NOT NULL AS published FROM outbox ORDER BY seq`,
    );
    expect(left).toEqual([{ published: true }, { published: false }]);
  });
});
