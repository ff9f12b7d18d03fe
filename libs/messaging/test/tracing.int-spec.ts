import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import {
  defineEvent,
  defineTopic,
  dlqTopicOf,
  encodeEvent,
  EventRegistry,
  MemberDeceasedSchema,
  type EncodedEvent,
  type MemberDeceased,
} from '@unionfed/contracts';
import { createDataSource, migrate, SYSTEM_ACTING, UnitOfWork } from '@unionfed/persistence';
import { activeTraceId, inSpan } from '@unionfed/telemetry';
import {
  createTestDatabase,
  eventually,
  recordSpans,
  testInfrastructure,
  type SpanRecorder,
} from '@unionfed/testing';
import {
  createKafka,
  eventBatchOf,
  EventConsumer,
  MESSAGING_MIGRATIONS,
  OnEvent,
  Outbox,
  OutboxRelay,
  RELAY_SPAN,
  RELIABLE_PRODUCER,
  ServiceConsumers,
  type HandlerContext,
} from '../src';

/**
 * One trace from a command to the service that consumes its event, through the outbox, the relay and real Kafka:
 * the unit of work's span (under the resolver's) writes the event with its own trace context, the relay sends
 * that context as the message's `traceparent`, and the consumer's span continues it — the producer's trace id, the
 * producing span its parent — as does what the consumer emits in turn.
 */
describe('trace context from a command to its consumers (real PostgreSQL + Kafka)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let kafka: Kafka;
  let producer: Producer;
  let consumer: Consumer;
  let recorder: SpanRecorder;
  const suffix = randomBytes(4).toString('hex');
  const Deceased = defineEvent(
    defineTopic('it', `traced-${suffix}`),
    MemberDeceasedSchema,
    (e) => e.memberId,
  );
  const Condolence = defineEvent(
    defineTopic('it', `condolence-${suffix}`),
    MemberDeceasedSchema,
    (e) => e.memberId,
  );
  const outbox = new Outbox('/unionfed/it');

  /** the trace id each handled event was handled in, by member id */
  const handledIn = new Map<string, string | undefined>();

  @EventConsumer('welfare')
  class CondolenceConsumer {
    @OnEvent(Deceased)
    async send(e: MemberDeceased, context: HandlerContext): Promise<void> {
      handledIn.set(e.memberId, activeTraceId());
      await context.outbox.add(encodeEvent(Condolence, { memberId: e.memberId, branchId: e.branchId }));
    }
  }

  beforeAll(async () => {
    recorder = recordSpans();
    database = await createTestDatabase('tracing');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: MESSAGING_MIGRATIONS,
      applicationName: 'tracing-test',
    });
    await migrate(dataSource);
    kafka = createKafka('tracing-test', testInfrastructure().kafkaBrokers);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [Deceased.topic.name, dlqTopicOf(Deceased.topic.name)].map((topic) => ({
        topic,
        numPartitions: 1,
      })),
      waitForLeaders: true,
    });
    await admin.disconnect();
    producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
    const consumers = new ServiceConsumers(
      dataSource,
      'welfare',
      new EventRegistry([Deceased]),
      [new CondolenceConsumer()],
      () => ({ outbox }),
    );
    consumer = kafka.consumer({
      groupId: `it-tracing-${suffix}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: Deceased.topic.name, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: (payload) => consumers.dispatchBatch(eventBatchOf(payload)),
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await dataSource?.destroy();
    await database?.drop();
    await recorder?.stop();
  });

  it('continues the producing unit of work’s trace in the consumer’s span, and in what the consumer emits', async () => {
    const memberId = `m-${suffix}`;
    const unitOfWork = new UnitOfWork<EncodedEvent>(dataSource, { outbox });
    await inSpan('resolve Mutation.recordDeath', {}, () =>
      unitOfWork.run(
        SYSTEM_ACTING,
        (work) => work.publish(encodeEvent(Deceased, { memberId, branchId: 'b-1' })),
        { name: 'recordDeath' },
      ),
    );
    const relay = new OutboxRelay(dataSource, producer, { databaseUrl: database.url });
    expect(await relay.publishBatch()).toBe(1);
    await eventually(async () => expect(handledIn.has(memberId)).toBe(true), { timeoutMs: 30_000 });

    const [resolver] = recorder.named('resolve Mutation.recordDeath');
    const [uow] = recorder.named('unit-of-work recordDeath');
    const traceId = resolver.spanContext().traceId;
    expect(uow.parentSpanContext?.spanId).toBe(resolver.spanContext().spanId);

    // the consumer's span: the producer's trace, the unit of work's span its (remote) parent
    const [handler] = recorder.named(`process ${Deceased.type}`);
    expect(handler.spanContext().traceId).toBe(traceId);
    expect(handler.parentSpanContext).toMatchObject({
      traceId,
      spanId: uow.spanContext().spanId,
      isRemote: true,
    });
    expect(handler.attributes).toMatchObject({
      'messaging.destination.name': Deceased.topic.name,
      'messaging.consumer.group.name': 'welfare.welfare',
    });
    expect(handledIn.get(memberId)).toBe(traceId);

    // the relay's batch span and the consumer's batch span are linked to the producing span
    const [relayed] = recorder.named(RELAY_SPAN);
    expect(relayed.links.map((l) => l.context.spanId)).toEqual([uow.spanContext().spanId]);
    const [batch] = recorder.named(`process ${Deceased.topic.name}`);
    expect(batch.links.map((l) => l.context.spanId)).toEqual([uow.spanContext().spanId]);

    // the event the consumer emitted carries the consumer's span: the trace goes on at the next hop
    const [next] = await dataSource.query(
      `SELECT headers FROM outbox WHERE topic = $1 AND message_key = $2`,
      [Condolence.topic.name, memberId],
    );
    expect(next.headers.traceparent).toBe(`00-${traceId}-${handler.spanContext().spanId}-01`);
  });
});
