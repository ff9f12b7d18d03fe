import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { create, toBinary } from '@bufbuild/protobuf';
import { dlqTopicOf, EventRegistry, MemberRetiredSchema, MembershipEvents } from '@unionfed/contracts';
import { createDataSource, migrate, uuidv7 } from '@unionfed/persistence';
import {
  createTestDatabase,
  eventually,
  header,
  readTopic,
  testInfrastructure,
  uniqueTopic,
} from '@unionfed/testing';
import {
  createKafka,
  DeadLetters,
  EventDispatcher,
  eventBatchOf,
  eventConsumerTransport,
  MESSAGING_MIGRATIONS,
  RELIABLE_PRODUCER,
  toKafkaHeaders,
  type BatchOutcome,
  type EventBatch,
} from '../src';
import { EffectsTable1763800000999 } from './effects';

const RETIRED = MembershipEvents.MemberRetired.type;

function event(memberId: string, eventId = uuidv7()) {
  return {
    key: memberId,
    value: Buffer.from(
      toBinary(MemberRetiredSchema, create(MemberRetiredSchema, { memberId, branchId: 'b-1' })),
    ),
    headers: toKafkaHeaders({
      id: eventId,
      type: RETIRED,
      source: '/unionfed/membership',
      time: new Date().toISOString(),
    }),
  };
}

/**
 * Consuming in batches: what kafkajs fetched from a partition is applied in one inbox transaction, and every
 * guarantee of the one-event-at-a-time path still holds — exactly one effect per event, retries, dead letters.
 */
describe('batch consumption through the inbox (real PostgreSQL + Kafka)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let deadLetters: DeadLetters;
  let topic: string;
  const stops: (() => Promise<unknown>)[] = [];
  const registry = new EventRegistry([MembershipEvents.MemberRetired]);

  /** what a dispatcher reported: batch transactions, retries */
  interface Observed {
    batches: { outcome: BatchOutcome; events: number }[];
    retries: { type: string; transient: boolean }[];
  }

  /** A dispatcher whose handler writes one `effect` row per event, after `before(memberId, manager)`. */
  function dispatcher(
    consumer: string,
    before: (memberId: string, query: (sql: string) => Promise<unknown>) => Promise<void> | void = () =>
      undefined,
    batchSize?: number,
  ): { dispatcher: EventDispatcher; observed: Observed } {
    const observed: Observed = { batches: [], retries: [] };
    const d = new EventDispatcher(dataSource, {
      consumer,
      registry,
      deadLetters,
      batchSize,
      retry: { maxAttempts: 3, initialBackoffMs: 5, maxBackoffMs: 20 },
      observer: {
        handled: () => undefined,
        retried: (type, transient) => observed.retries.push({ type, transient }),
        batch: (outcome, events) => observed.batches.push({ outcome, events }),
      },
    }).on(MembershipEvents.MemberRetired, async (e, { manager }) => {
      await before(e.memberId, (sql) => manager.query(sql));
      await manager.query(`INSERT INTO effect (member_id) VALUES ($1)`, [e.memberId]);
    });
    return { dispatcher: d, observed };
  }

  /** A kafkajs consumer handing each partition batch to `handle`, as the services' transport does. */
  async function consumeInBatches(
    groupId: string,
    handle: (batch: EventBatch) => Promise<void>,
  ): Promise<Consumer> {
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await consumer.connect();
    stops.push(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: (payload) => handle(eventBatchOf(payload)),
    });
    return consumer;
  }

  const effectsOf = async (memberIds: string[]): Promise<number[]> => {
    const rows: { member_id: string; n: string }[] = await dataSource.query(
      `SELECT member_id, count(*) AS n FROM effect WHERE member_id = ANY($1) GROUP BY member_id`,
      [memberIds],
    );
    const byMember = new Map(rows.map((r) => [r.member_id, Number(r.n)]));
    return memberIds.map((id) => byMember.get(id) ?? 0);
  };
  const inboxRows = async (consumer: string) =>
    Number(
      (
        await dataSource.query(`SELECT count(*) AS n FROM inbox WHERE consumer = $1 AND topic = $2`, [
          consumer,
          topic,
        ])
      )[0].n,
    );
  const committedOffset = async (groupId: string) => {
    const [{ partitions }] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return partitions.find((p) => p.partition === 0)?.offset;
  };
  const members = (label: string, n: number) =>
    Array.from({ length: n }, (_, i) => `m-${label}-${i}-${randomBytes(3).toString('hex')}`);

  beforeAll(async () => {
    database = await createTestDatabase('batches');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: [...MESSAGING_MIGRATIONS, EffectsTable1763800000999],
      applicationName: 'batches-test',
    });
    await migrate(dataSource);
    kafka = createKafka('batches-test', testInfrastructure().kafkaBrokers);
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
    deadLetters = new DeadLetters(dataSource, producer);
  });

  beforeEach(async () => {
    topic = uniqueTopic('batches');
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 1 },
        { topic: dlqTopicOf(topic), numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
  });

  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('dead-letters only the poison message in the middle of a batch, and every other message has exactly one effect', async () => {
    // through the services' own wiring: Nest, EventConsumerServer, an @EventPattern handler receiving batches
    const ids = members('poison', 21);
    const poison = ids[10];
    let poisonCalls = 0;
    const { dispatcher: d, observed } = dispatcher('test.batch-poison', (memberId) => {
      if (memberId !== poison) return;
      poisonCalls += 1;
      throw new Error('budget line missing');
    });
    const poisonEvent = event(poison);
    // one send, one record batch: the consumer's first fetch hands over all 21 messages at once
    await producer.send({
      topic,
      acks: -1,
      messages: ids.map((id) => (id === poison ? poisonEvent : event(id))),
    });

    @Controller()
    class RetiredConsumer {
      @EventPattern(topic)
      async onRetired(@Payload() batch: unknown): Promise<void> {
        await d.dispatchBatch(batch as EventBatch);
      }
    }
    @Module({ controllers: [RetiredConsumer] })
    class ConsumerModule {}
    process.env.KAFKA_BROKERS = testInfrastructure().kafkaBrokers.join(',');
    const service = `it-batches-${randomBytes(4).toString('hex')}`;
    const app: INestMicroservice = await NestFactory.createMicroservice(ConsumerModule, {
      ...eventConsumerTransport(service),
      logger: false,
    });
    stops.push(() => app.close());
    await app.listen();

    await eventually(async () => expect(d.counts['dead-lettered']).toBe(1));
    await eventually(async () => expect(await committedOffset(service)).toBe('21'));

    const good = ids.filter((id) => id !== poison);
    expect(await effectsOf(good)).toEqual(good.map(() => 1));
    expect(await effectsOf([poison])).toEqual([0]);
    expect(await inboxRows('test.batch-poison')).toBe(20);
    expect(d.counts).toEqual({ applied: 20, duplicate: 0, ignored: 0, 'dead-lettered': 1 });
    // the batch transaction failed once on the poison message, then each event went alone: the poison message's
    // handler ran as often as the policy allows (3), its batch attempt counted as the first
    expect(observed.batches).toEqual([{ outcome: 'fell-back', events: 21 }]);
    expect(poisonCalls).toBe(3);
    expect(observed.retries).toEqual([
      { type: RETIRED, transient: false },
      { type: RETIRED, transient: false },
      { type: RETIRED, transient: false },
    ]);

    const dead = await readTopic(dlqTopicOf(topic), { timeoutMs: 3000 });
    expect(dead).toHaveLength(1);
    const [{ message }] = dead;
    expect({
      ce_id: header(message, 'ce_id'),
      consumer: header(message, 'unionfed_dlq_consumer'),
      topic: header(message, 'unionfed_dlq_original_topic'),
      partition: header(message, 'unionfed_dlq_original_partition'),
      offset: header(message, 'unionfed_dlq_original_offset'),
      reason: header(message, 'unionfed_dlq_reason'),
      error: header(message, 'unionfed_dlq_error'),
      attempts: header(message, 'unionfed_dlq_attempts'),
    }).toEqual({
      ce_id: poisonEvent.headers.ce_id,
      consumer: 'test.batch-poison',
      topic,
      partition: '0',
      offset: '10',
      reason: 'HANDLER_FAILED',
      error: 'budget line missing',
      attempts: '3',
    });
    expect(message.value).toEqual(poisonEvent.value);
  });

  it('retries a batch whose transaction fails transiently, with nothing applied twice', async () => {
    const ids = members('transient', 10);
    const calls = new Map<string, number>();
    let connectionLost = false;
    const { dispatcher: d, observed } = dispatcher('test.batch-transient', async (memberId, query) => {
      calls.set(memberId, (calls.get(memberId) ?? 0) + 1);
      if (memberId === ids[5] && !connectionLost) {
        connectionLost = true;
        // the database drops the batch's connection mid-transaction: the first five effects are rolled back
        await query(`SELECT pg_terminate_backend(pg_backend_pid())`);
      }
    });
    await producer.send({ topic, acks: -1, messages: ids.map((id) => event(id)) });
    const groupId = `it-batches-${randomBytes(4).toString('hex')}`;
    await consumeInBatches(groupId, (batch) => d.dispatchBatch(batch));

    await eventually(async () => expect(d.counts.applied).toBe(10));
    await eventually(async () => expect(await committedOffset(groupId)).toBe('10'));

    expect(await effectsOf(ids)).toEqual(ids.map(() => 1));
    expect(await inboxRows('test.batch-transient')).toBe(10);
    expect(d.counts).toEqual({ applied: 10, duplicate: 0, ignored: 0, 'dead-lettered': 0 });
    // the first six handlers ran twice (their first run rolled back), the last four once
    expect(ids.map((id) => calls.get(id))).toEqual([2, 2, 2, 2, 2, 2, 1, 1, 1, 1]);
    expect(observed.retries).toEqual([{ type: RETIRED, transient: true }]);
    expect(observed.batches).toEqual([{ outcome: 'committed', events: 10 }]);
    const dead = await dataSource.query(`SELECT count(*) AS n FROM dead_letter WHERE consumer = $1`, [
      'test.batch-transient',
    ]);
    expect(Number(dead[0].n)).toBe(0);
  });

  it('changes nothing when a batch is delivered again because the consumer stopped before committing its offsets', async () => {
    const ids = members('redelivered', 7);
    const twice = event(ids[3]);
    // the relay may publish an event twice (a crash between Kafka's ack and marking its row): here in one batch
    const messages = ids.map((id) => (id === ids[3] ? twice : event(id)));
    messages.splice(4, 0, twice);
    await producer.send({ topic, acks: -1, messages });
    const groupId = `it-batches-${randomBytes(4).toString('hex')}`;

    // first life: the inbox transaction commits, then the consumer stops before its offsets are resolved
    // (kafkajs fetches an unresolved batch again at once: the dead consumer handles only the first delivery)
    const first = dispatcher('test.batch-redelivered');
    let died = false;
    const crashed = await consumeInBatches(groupId, async (batch) => {
      if (died) return;
      await first.dispatcher.dispatchBatch({ ...batch, resolveOffset: () => undefined });
      died = true;
    });
    await eventually(() => expect(died).toBe(true));
    await crashed.disconnect();
    expect(first.dispatcher.counts).toEqual({ applied: 7, duplicate: 1, ignored: 0, 'dead-lettered': 0 });
    expect(await committedOffset(groupId)).toBe('-1');

    // second life, same group: Kafka delivers the whole batch again
    const second = dispatcher('test.batch-redelivered');
    await consumeInBatches(groupId, (batch) => second.dispatcher.dispatchBatch(batch));
    await eventually(async () => expect(second.dispatcher.counts.duplicate).toBe(8));
    await eventually(async () => expect(await committedOffset(groupId)).toBe('8'));

    expect(second.dispatcher.counts).toEqual({ applied: 0, duplicate: 8, ignored: 0, 'dead-lettered': 0 });
    expect(second.observed.batches).toEqual([{ outcome: 'committed', events: 8 }]);
    expect(await effectsOf(ids)).toEqual(ids.map(() => 1));
    expect(await inboxRows('test.batch-redelivered')).toBe(7);
  });

  it('cuts a batch larger than the batch size into transactions and resolves offsets after each', async () => {
    const ids = members('chunks', 10);
    await producer.send({ topic, acks: -1, messages: ids.map((id) => event(id)) });
    const { dispatcher: d, observed } = dispatcher('test.batch-chunks', undefined, 4);
    const resolved: string[] = [];
    const groupId = `it-batches-${randomBytes(4).toString('hex')}`;
    await consumeInBatches(groupId, (batch) =>
      d.dispatchBatch({
        ...batch,
        resolveOffset: (offset) => {
          resolved.push(offset);
          batch.resolveOffset(offset);
        },
      }),
    );
    await eventually(async () => expect(await committedOffset(groupId)).toBe('10'));

    expect(observed.batches).toEqual([
      { outcome: 'committed', events: 4 },
      { outcome: 'committed', events: 4 },
      { outcome: 'committed', events: 2 },
    ]);
    expect(resolved).toEqual(['3', '7', '9']);
    expect(await effectsOf(ids)).toEqual(ids.map(() => 1));
    expect(d.counts).toEqual({ applied: 10, duplicate: 0, ignored: 0, 'dead-lettered': 0 });
  });
});
