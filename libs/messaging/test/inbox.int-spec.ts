import type { DataSource } from 'typeorm';
import { countEffects, EffectsTable1763800000999 } from './effects';
import type { KafkaMessage } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { EventRegistry, MemberRetiredSchema, MembershipEvents } from '@unionfed/contracts';
import { createDataSource, migrate, uuidv7 } from '@unionfed/persistence';
import { createTestDatabase, eventually, testInfrastructure, uniqueTopic } from '@unionfed/testing';
import {
  createKafka,
  EventDispatcher,
  MESSAGING_MIGRATIONS,
  RELIABLE_PRODUCER,
  toKafkaHeaders,
} from '../src';

function memberRetired(memberId: string, eventId = uuidv7()) {
  const type = MembershipEvents.MemberRetired.type;
  return {
    key: memberId,
    value: Buffer.from(
      toBinary(MemberRetiredSchema, create(MemberRetiredSchema, { memberId, branchId: 'b-1' })),
    ),
    headers: toKafkaHeaders({
      id: eventId,
      type,
      source: '/unionfed/membership',
      time: new Date().toISOString(),
    }),
  };
}

const asReceived = (m: ReturnType<typeof memberRetired>, offset = '0'): KafkaMessage =>
  ({
    ...m,
    offset,
    timestamp: String(Date.now()),
    attributes: 0,
    size: 0,
    headers: m.headers,
  }) as unknown as KafkaMessage;

describe('idempotent inbox (real PostgreSQL + Kafka)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  const registry = new EventRegistry([MembershipEvents.MemberRetired]);
  const effects = (memberId: string) => countEffects(dataSource, memberId);

  beforeAll(async () => {
    database = await createTestDatabase('inbox');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: [...MESSAGING_MIGRATIONS, EffectsTable1763800000999],
      applicationName: 'inbox-test',
    });
    await migrate(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  function dispatcher(onRetired: (memberId: string) => void = () => undefined) {
    return new EventDispatcher(dataSource, {
      consumer: 'test.projection',
      registry,
      sleep: async () => undefined,
    }).on(MembershipEvents.MemberRetired, async (event, { manager }) => {
      onRetired(event.memberId);
      await manager.query(`INSERT INTO effect (member_id) VALUES ($1)`, [event.memberId]);
    });
  }

  it('has one effect when the same event is delivered twice through Kafka', async () => {
    const topic = uniqueTopic('inbox');
    const kafka = createKafka('inbox-test', testInfrastructure().kafkaBrokers);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const memberId = `m-${randomBytes(4).toString('hex')}`;
    const message = memberRetired(memberId);
    const producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
    // a redelivery as the wire sees it: the same CloudEvent (same ce_id) twice, plus one other event
    await producer.send({
      topic,
      acks: -1,
      messages: [message, message, memberRetired(`${memberId}-other`)],
    });
    await producer.disconnect();

    const inbox = dispatcher();
    const consumer = kafka.consumer({ groupId: `inbox-test-${randomBytes(4).toString('hex')}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic: t, partition, message: m }) =>
        void (await inbox.dispatch(m, t, partition)),
    });
    try {
      await eventually(() => expect(inbox.counts.applied + inbox.counts.duplicate).toBe(3));
    } finally {
      await consumer.disconnect();
    }
    expect(await effects(memberId)).toBe(1);
    expect(inbox.counts).toEqual({ applied: 2, duplicate: 1, ignored: 0, 'dead-lettered': 0 });
  });

  it('retries a handler that fails and records the event only once it succeeds', async () => {
    const memberId = `m-${randomBytes(4).toString('hex')}`;
    const message = asReceived(memberRetired(memberId));
    let failures = 2;
    const inbox = dispatcher(() => {
      if (failures-- > 0) throw new Error('lock timeout');
    });
    await expect(inbox.dispatch(message, 't', 0)).resolves.toBe('applied');
    await expect(inbox.dispatch(message, 't', 0)).resolves.toBe('duplicate');
    expect(await effects(memberId)).toBe(1);
  });

  it('acknowledges event types it does not handle without recording them', async () => {
    const message = asReceived({
      ...memberRetired('m-x'),
      headers: { ...memberRetired('m-x').headers, ce_type: 'unionfed.membership.Unknown.v1' },
    });
    await expect(dispatcher().dispatch(message, 't', 0)).resolves.toBe('ignored');
  });
});
