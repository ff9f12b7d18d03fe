import { randomBytes } from 'node:crypto';
import type { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  defineEvent,
  defineTopic,
  dlqTopicOf,
  encodeEvent,
  EventRegistry,
  MemberDeceasedSchema,
  type MemberDeceased,
} from '@unionfed/contracts';
import { createDataSource, migrate, uuidv7 } from '@unionfed/persistence';
import { activeTraceparent, inSpan } from '@unionfed/telemetry';
import {
  createTestDatabase,
  eventually,
  recordSpans,
  testInfrastructure,
  type SpanRecorder,
} from '@unionfed/testing';
import {
  createKafka,
  DeadLetters,
  eventBatchOf,
  EventConsumer,
  MESSAGING_MIGRATIONS,
  OnEvent,
  Outbox,
  RELIABLE_PRODUCER,
  ServiceConsumers,
  toKafkaHeaders,
  type HandlerContext,
} from '../src';

/** The saga's own state in these tests: a disbursement per relief request. */
class DisbursementTable1763800000998 implements MigrationInterface {
  async up(q: QueryRunner) {
    await q.query(`CREATE TABLE disbursement (request_id TEXT PRIMARY KEY, amount_fen BIGINT NOT NULL)`);
    await q.query(`CREATE TABLE audit_entry (id BIGSERIAL PRIMARY KEY, request_id TEXT NOT NULL)`);
  }
  async down(q: QueryRunner) {
    await q.query(`DROP TABLE audit_entry`);
    await q.query(`DROP TABLE disbursement`);
  }
}

/**
 * A saga step through the service's consumers: a handler changes its state and emits the next event through the
 * outbox in the inbox transaction of the event that caused it. The welfare and finance contracts do not exist
 * yet, so the test's request and answer reuse MemberDeceased's schema on topics of their own.
 */
describe('consumers that act: a saga step in one transaction (real PostgreSQL + Kafka)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let deadLetters: DeadLetters;
  const stops: (() => Promise<unknown>)[] = [];
  const suffix = randomBytes(4).toString('hex');
  const ReliefApproved = defineEvent(
    defineTopic('it', `relief-${suffix}`),
    MemberDeceasedSchema,
    (e) => e.memberId,
  );
  const DisbursementPaid = defineEvent(
    defineTopic('it', `disbursement-${suffix}`),
    MemberDeceasedSchema,
    (e) => e.memberId,
  );
  const topic = ReliefApproved.topic.name;
  const registry = new EventRegistry([ReliefApproved]);

  /** how the disbursement handler misbehaves, per request id: throw after writing on its first N attempts */
  const failFirst = new Map<string, number>();
  const attempts = new Map<string, number>();
  /** what the other tables held when the handler began an attempt, seen from outside its transaction */
  const seenAtStart: Record<string, number[]> = {};
  /** the trace context the handler ran in, per request id */
  const handledIn = new Map<string, string | undefined>();
  let recorder: SpanRecorder;

  const counts = async (requestId: string): Promise<number[]> => {
    const [row] = await dataSource.query(
      `SELECT (SELECT count(*) FROM disbursement WHERE request_id = $1)::int AS state,
              (SELECT count(*) FROM inbox i WHERE i.consumer = 'finance.disbursement' AND i.topic = $2
                 AND i.event_id = ANY(SELECT id FROM requested WHERE request = $1))::int AS inbox,
              (SELECT count(*) FROM outbox WHERE topic = $3 AND message_key = $1)::int AS outbox`,
      [requestId, topic, DisbursementPaid.topic.name],
    );
    return [row.state, row.inbox, row.outbox];
  };

  @EventConsumer('disbursement')
  class DisbursementConsumer {
    @OnEvent(ReliefApproved)
    async pay(e: MemberDeceased, context: HandlerContext): Promise<void> {
      const n = (attempts.get(e.memberId) ?? 0) + 1;
      attempts.set(e.memberId, n);
      seenAtStart[`${e.memberId}#${n}`] = await counts(e.memberId);
      handledIn.set(e.memberId, activeTraceparent());
      await context.manager.query(`INSERT INTO disbursement (request_id, amount_fen) VALUES ($1, 50000)`, [
        e.memberId,
      ]);
      await context.outbox.add(encodeEvent(DisbursementPaid, { memberId: e.memberId, branchId: e.branchId }));
      if (n <= (failFirst.get(e.memberId) ?? 0)) throw new Error('ledger refused the posting');
    }
  }

  /** a second consumer of the same service and topic: it keeps its own inbox rows and dead letters */
  const auditFails = new Set<string>();
  @EventConsumer('audit')
  class AuditConsumer {
    @OnEvent(ReliefApproved)
    async record(e: MemberDeceased, { manager }: HandlerContext): Promise<void> {
      if (auditFails.has(e.memberId)) throw new Error('audit trail unavailable');
      await manager.query(`INSERT INTO audit_entry (request_id) VALUES ($1)`, [e.memberId]);
    }
  }

  let consumers: ServiceConsumers;

  /** Sends a relief request (event id `eventId`) from a span of a new trace; resolves to that span's traceparent. */
  async function request(requestId: string, eventId = uuidv7()): Promise<string> {
    const traceparent = await inSpan('welfare approves', {}, async () => activeTraceparent()!);
    await dataSource.query(`INSERT INTO requested (request, id) VALUES ($1, $2)`, [requestId, eventId]);
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          key: requestId,
          value: Buffer.from(
            toBinary(
              MemberDeceasedSchema,
              create(MemberDeceasedSchema, { memberId: requestId, branchId: 'b' }),
            ),
          ),
          headers: toKafkaHeaders({
            id: eventId,
            type: ReliefApproved.type,
            source: '/unionfed/welfare',
            time: new Date().toISOString(),
            traceparent,
          }),
        },
      ],
    });
    return traceparent;
  }

  async function consume(): Promise<Consumer> {
    const consumer = kafka.consumer({
      groupId: `it-finance-${suffix}-${randomBytes(2).toString('hex')}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
    });
    await consumer.connect();
    stops.push(() => consumer.disconnect());
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: (payload) => consumers.dispatchBatch(eventBatchOf(payload)),
    });
    return consumer;
  }

  beforeAll(async () => {
    recorder = recordSpans();
    database = await createTestDatabase('consumers');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: [...MESSAGING_MIGRATIONS, DisbursementTable1763800000998],
      applicationName: 'consumers-test',
    });
    await migrate(dataSource);
    // which event ids were sent for which request, so the inbox can be counted per request
    await dataSource.query(`CREATE TABLE requested (request TEXT NOT NULL, id UUID NOT NULL)`);
    kafka = createKafka('consumers-test', testInfrastructure().kafkaBrokers);
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [topic, dlqTopicOf(topic)].map((t) => ({ topic: t, numPartitions: 1 })),
      waitForLeaders: true,
    });
    producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
    deadLetters = new DeadLetters(dataSource, producer);
    consumers = new ServiceConsumers(
      dataSource,
      'finance',
      registry,
      [new DisbursementConsumer(), new AuditConsumer()],
      () => ({
        deadLetters,
        outbox: new Outbox('/unionfed/finance'),
        retry: { maxAttempts: 3, initialBackoffMs: 5, maxBackoffMs: 20 },
      }),
    );
    await consume();
  });

  afterAll(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await producer?.disconnect();
    await admin?.disconnect();
    await dataSource?.destroy();
    await database?.drop();
    await recorder?.stop();
  });

  const applied = (consumer: string) => consumers.dispatcher(consumer).counts.applied;

  it('commits the state change, the inbox row and the next event together, the event on the same trace', async () => {
    const requestId = `r-${uuidv7()}`;
    const before = applied('finance.disbursement');
    const producer = await request(requestId);
    await eventually(async () => expect(applied('finance.disbursement')).toBe(before + 1));
    expect(await counts(requestId)).toEqual([1, 1, 1]);
    const [row] = await dataSource.query(
      `SELECT event_type, headers FROM outbox WHERE topic = $1 AND message_key = $2`,
      [DisbursementPaid.topic.name, requestId],
    );
    expect(row.event_type).toBe(DisbursementPaid.type);
    expect(row.headers.ce_source).toBe('/unionfed/finance');
    // the handler ran in the consumer's span — the producer's trace, the producer's span its parent — and the
    // event it emitted carries that span
    const [, traceId, producerSpanId] = producer.split('-');
    const handler = recorder
      .named(`process ${ReliefApproved.type}`)
      .find(
        (span) =>
          span.spanContext().traceId === traceId &&
          span.attributes['messaging.consumer.group.name'] === 'finance.disbursement',
      );
    expect(handler?.parentSpanContext).toMatchObject({ traceId, spanId: producerSpanId, isRemote: true });
    const own = `00-${traceId}-${handler!.spanContext().spanId}-01`;
    expect(handledIn.get(requestId)).toBe(own);
    expect(row.headers.traceparent).toBe(own);
  });

  it('commits none of the three when the handler throws after writing, and exactly one of each on the retry', async () => {
    const requestId = `r-${uuidv7()}`;
    failFirst.set(requestId, 1);
    const before = applied('finance.disbursement');
    await request(requestId);
    await eventually(async () => expect(applied('finance.disbursement')).toBe(before + 1));
    // the second attempt began after the first had written all three and thrown: nothing of it was there
    expect(attempts.get(requestId)).toBe(2);
    expect(seenAtStart[`${requestId}#2`]).toEqual([0, 0, 0]);
    expect(await counts(requestId)).toEqual([1, 1, 1]);
  });

  it('emits no second event when the request is delivered again', async () => {
    const requestId = `r-${uuidv7()}`;
    const eventId = uuidv7();
    const disbursement = consumers.dispatcher('finance.disbursement');
    const before = { ...disbursement.counts };
    await request(requestId, eventId);
    await request(requestId, eventId); // the sender's relay published it twice
    await eventually(async () =>
      expect(disbursement.counts.applied + disbursement.counts.duplicate).toBe(
        before.applied + before.duplicate + 2,
      ),
    );
    expect(disbursement.counts.duplicate).toBe(before.duplicate + 1);
    expect(attempts.get(requestId)).toBe(1);
    expect(await counts(requestId)).toEqual([1, 1, 1]);
  });

  it('hands every consumer of the service the topic, and lists and replays the dead letters of all of them', async () => {
    const requestId = `r-${uuidv7()}`;
    auditFails.add(requestId);
    const audit = consumers.dispatcher('finance.audit');
    const before = audit.counts['dead-lettered'];
    await request(requestId);
    await eventually(async () => expect(audit.counts['dead-lettered']).toBe(before + 1));
    // the other consumer acted on the same message once, whatever the audit consumer did with it
    expect(await counts(requestId)).toEqual([1, 1, 1]);

    const listed = await deadLetters.list(consumers.consumers);
    const mine = listed.filter((l) => l.consumer === 'finance.audit' && l.reason === 'HANDLER_FAILED');
    expect(mine).toHaveLength(1);
    auditFails.delete(requestId);
    expect(await deadLetters.replay(consumers.consumers, [mine[0].id])).toBe(1);
    await eventually(async () =>
      expect(
        Number(
          (
            await dataSource.query(`SELECT count(*) AS n FROM audit_entry WHERE request_id = $1`, [requestId])
          )[0].n,
        ),
      ).toBe(1),
    );
    // the replay reached the disbursement consumer too: its inbox kept it to one payment and one event
    expect(await counts(requestId)).toEqual([1, 1, 1]);
    expect(await deadLetters.list(consumers.consumers)).toHaveLength(0);
  });
});
