import { EVENT_REGISTRY } from '@unionfed/contracts';
import { createKafka, OutboxRelay, RELIABLE_PRODUCER } from '@unionfed/messaging';
import { header, readTopic, testInfrastructure, uniqueTopic, type ConsumedMessage } from '@unionfed/testing';
import type { MembershipDatabase } from './membership-database';

export interface PublishedEvent {
  /** CloudEvents type (header ce_type) */
  type: string;
  key: string;
  message: unknown;
  consumed: ConsumedMessage;
}

/**
 * Publishes every outbox row still unpublished through the real relay to a Kafka topic of the test's own (their
 * topic rewritten: the tests of one database share its outbox), and reads them back from the broker, decoded.
 */
export async function publishToOwnTopic(
  database: MembershipDatabase,
  label: string,
): Promise<PublishedEvent[]> {
  const { dataSource } = database;
  const topic = uniqueTopic(label);
  const kafka = createKafka(`${label}-test`, testInfrastructure().kafkaBrokers);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  await dataSource.query(`UPDATE outbox SET topic = $1 WHERE published_at IS NULL`, [topic]);
  const [{ n }] = await dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`);
  const producer = kafka.producer(RELIABLE_PRODUCER);
  await producer.connect();
  try {
    const relay = new OutboxRelay(dataSource, producer, { databaseUrl: database.url });
    for (let published = 0; published < n;) {
      const sent = await relay.publishBatch();
      if (sent === 0) throw new Error(`the relay published ${published} of ${n} rows`);
      published += sent;
    }
  } finally {
    await producer.disconnect();
  }
  const messages = await readTopic(topic, { until: (m) => m.length >= n });
  return messages.map((consumed) => {
    const type = header(consumed.message, 'ce_type')!;
    return {
      type,
      key: consumed.message.key?.toString() ?? '',
      message: EVENT_REGISTRY.decode(type, consumed.message.value ?? Buffer.alloc(0))?.message,
      consumed,
    };
  });
}
