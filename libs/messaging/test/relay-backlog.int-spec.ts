import type { DataSource } from 'typeorm';
import type { Producer } from 'kafkajs';
import { createDataSource, migrate } from '@unionfed/persistence';
import { createTestDatabase, testInfrastructure, uniqueTopic } from '@unionfed/testing';
import { createKafka, MESSAGING_MIGRATIONS, OutboxRelay, RELIABLE_PRODUCER } from '../src';

/**
 * A burst of writes with distinct keys — a roster import puts 100,000 MemberJoined events, one key per member, into
 * the outbox within seconds — leaves the outbox's statistics behind. The relay's claim must still lock no more
 * keys than it claims rows (a lock per backlog row overflows the server's lock table: "out of shared memory", which
 * fails every other transaction of the database too).
 */
describe('the outbox relay under a backlog of distinct keys (real PostgreSQL + Kafka)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let producer: Producer;
  let topic: string;

  beforeAll(async () => {
    database = await createTestDatabase('relay_backlog');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: MESSAGING_MIGRATIONS,
      applicationName: 'relay-backlog-test',
    });
    await migrate(dataSource);
    const kafka = createKafka('relay-backlog-test', testInfrastructure().kafkaBrokers);
    topic = uniqueTopic('relay-backlog');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('claims a batch from 50,000 rows of distinct keys with a lock per claimed row only, in queue order', async () => {
    // one statement, no ANALYZE since: the planner sees the table as it was (empty)
    await dataSource.query(
      `INSERT INTO outbox (id, topic, message_key, event_type, payload, headers)
       SELECT gen_random_uuid(), $1, 'member-' || n, 'unionfed.test.Happened.v1', '\\x00', '{}'
         FROM generate_series(1, 50000) AS n`,
      [topic],
    );
    const relay = new OutboxRelay(dataSource, producer, { databaseUrl: database.url, batchSize: 500 });
    expect(await relay.publishBatch()).toBe(500);
    expect(await relay.publishBatch()).toBe(500);
    const published: { key: string }[] = await dataSource.query(
      `SELECT message_key AS key FROM outbox WHERE published_at IS NOT NULL ORDER BY seq`,
    );
    expect(published.map((r) => r.key)).toEqual(Array.from({ length: 1000 }, (_, i) => `member-${i + 1}`));
  });
});
