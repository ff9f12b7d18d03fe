import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { countEffects, EffectsTable1763800000999 } from './effects';
import type { Consumer, Kafka, Producer } from 'kafkajs';
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
  MESSAGING_MIGRATIONS,
  RELIABLE_PRODUCER,
  toKafkaHeaders,
} from '../src';

const RETIRED = MembershipEvents.MemberRetired.type;

function event(
  memberId: string,
  overrides: { type?: string; value?: Buffer; headers?: Record<string, string> } = {},
) {
  return {
    key: memberId,
    value:
      overrides.value ??
      Buffer.from(toBinary(MemberRetiredSchema, create(MemberRetiredSchema, { memberId, branchId: 'b-1' }))),
    headers:
      overrides.headers ??
      toKafkaHeaders({
        id: uuidv7(),
        type: overrides.type ?? RETIRED,
        source: '/unionfed/membership',
        time: new Date().toISOString(),
      }),
  };
}

describe('dead letters and retries (real PostgreSQL + Kafka)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let kafka: Kafka;
  let producer: Producer;
  let deadLetters: DeadLetters;
  let topic: string;
  let consumer: Consumer | undefined;
  const registry = new EventRegistry([MembershipEvents.MemberRetired]);
  const failing = new Map<string, () => Error | undefined>();
  const effects = (memberId: string) => countEffects(dataSource, memberId);

  const dispatcher = () =>
    new EventDispatcher(dataSource, {
      consumer: 'test.dlq',
      registry,
      deadLetters,
      retry: { maxAttempts: 3, initialBackoffMs: 5, maxBackoffMs: 20 },
    }).on(MembershipEvents.MemberRetired, async (e, { manager }) => {
      const error = failing.get(e.memberId)?.();
      if (error) throw error;
      await manager.query(`INSERT INTO effect (member_id) VALUES ($1)`, [e.memberId]);
    });

  async function consume(d: EventDispatcher) {
    consumer = kafka.consumer({ groupId: `dlq-test-${randomBytes(4).toString('hex')}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic: t, partition, message, heartbeat }) =>
        void (await d.dispatch(message, t, partition, heartbeat)),
    });
  }

  beforeAll(async () => {
    database = await createTestDatabase('dlq');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: [...MESSAGING_MIGRATIONS, EffectsTable1763800000999],
      applicationName: 'dlq-test',
    });
    await migrate(dataSource);
    kafka = createKafka('dlq-test', testInfrastructure().kafkaBrokers);
    producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
    deadLetters = new DeadLetters(dataSource, producer);
  });

  beforeEach(async () => {
    topic = uniqueTopic('dlq');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic, numPartitions: 1 },
        { topic: dlqTopicOf(topic), numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();
    failing.clear();
  });

  afterEach(async () => {
    await consumer?.disconnect();
    consumer = undefined;
  });

  afterAll(async () => {
    await producer?.disconnect();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('sends poison messages in the middle of a partition to the DLQ and processes the messages after them', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `m-${x}-${randomBytes(3).toString('hex')}`);
    await producer.send({
      topic,
      acks: -1,
      messages: [
        event(a),
        event('poison-bytes', { value: Buffer.from([0xff, 0xff, 0xff, 0x0f]) }),
        event(b),
        event('no-envelope', { headers: {} }),
        event('future-version', { type: 'unionfed.membership.MemberRetired.v2' }),
        event(c),
      ],
    });
    const d = dispatcher();
    await consume(d);
    await eventually(async () =>
      expect([await effects(a), await effects(b), await effects(c)]).toEqual([1, 1, 1]),
    );

    const dead = await readTopic(dlqTopicOf(topic), { until: (m) => m.length >= 3 });
    expect(dead.map((m) => header(m.message, 'unionfed_dlq_reason'))).toEqual([
      'UNDECODABLE',
      'MALFORMED_ENVELOPE',
      'UNSUPPORTED_VERSION',
    ]);
    expect(dead.map((m) => header(m.message, 'unionfed_dlq_original_offset'))).toEqual(['1', '3', '4']);
    for (const { message } of dead) {
      expect(header(message, 'unionfed_dlq_original_topic')).toBe(topic);
      expect(header(message, 'unionfed_dlq_original_partition')).toBe('0');
      expect(header(message, 'unionfed_dlq_error')).toBeTruthy();
    }
    expect(d.counts).toMatchObject({ applied: 3, 'dead-lettered': 3 });
  });

  it('dead-letters a message whose handler keeps failing after the policy’s attempts, then moves on', async () => {
    const [bad, next] = ['bad', 'next'].map((x) => `m-${x}-${randomBytes(3).toString('hex')}`);
    let calls = 0;
    failing.set(bad, () => {
      calls += 1;
      return new Error('budget line missing');
    });
    await producer.send({ topic, acks: -1, messages: [event(bad), event(next)] });
    await consume(dispatcher());
    await eventually(async () => expect(await effects(next)).toBe(1));
    expect(calls).toBe(3);
    const [dead] = await readTopic(dlqTopicOf(topic), { until: (m) => m.length >= 1 });
    expect(header(dead.message, 'unionfed_dlq_attempts')).toBe('3');
    expect(header(dead.message, 'unionfed_dlq_reason')).toBe('HANDLER_FAILED');
    expect(header(dead.message, 'unionfed_dlq_error')).toBe('budget line missing');
    expect(await effects(bad)).toBe(0);
  });

  it('replays a dead letter once the cause is fixed, with exactly one effect', async () => {
    const member = `m-replay-${randomBytes(3).toString('hex')}`;
    failing.set(member, () => new Error('not yet'));
    await producer.send({ topic, acks: -1, messages: [event(member)] });
    const d = dispatcher();
    await consume(d);
    await eventually(async () => expect(d.counts['dead-lettered']).toBe(1));
    const [letter] = (await deadLetters.list('test.dlq')).filter((l) => l.topic === topic);
    expect(letter).toMatchObject({ reason: 'HANDLER_FAILED', attempts: 3, eventType: RETIRED });

    failing.delete(member); // the cause is fixed
    expect(await deadLetters.replay('test.dlq', [letter.id])).toBe(1);
    await eventually(async () => expect(await effects(member)).toBe(1));
    // replaying again finds nothing open; the same event delivered again is absorbed by the inbox
    expect(await deadLetters.replay('test.dlq', [letter.id])).toBe(0);
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          ...event(member),
          headers: (await dataSource.query(`SELECT headers FROM dead_letter WHERE id = $1`, [letter.id]))[0]
            .headers,
        },
      ],
    });
    await eventually(async () => expect(d.counts.duplicate).toBe(1));
    expect(await effects(member)).toBe(1);
  });

  it('keeps retrying while the infrastructure is away and never dead-letters for it', async () => {
    const member = `m-transient-${randomBytes(3).toString('hex')}`;
    let outage = 6; // twice the policy's attempts
    failing.set(member, () =>
      outage-- > 0
        ? Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:55433'), { code: 'ECONNREFUSED' })
        : undefined,
    );
    await producer.send({ topic, acks: -1, messages: [event(member)] });
    const d = dispatcher();
    await consume(d);
    await eventually(async () => expect(await effects(member)).toBe(1));
    expect(d.counts['dead-lettered']).toBe(0);
    expect(await readTopic(dlqTopicOf(topic), { timeoutMs: 2000 })).toHaveLength(0);
  });
});
