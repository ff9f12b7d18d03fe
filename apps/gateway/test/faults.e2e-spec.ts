import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Kafka, logLevel } from 'kafkajs';
import {
  Gender,
  MemberCategory,
  MembershipEvents,
  MEMBERSHIP_TOPICS,
  encodeEvent,
} from '@unionfed/contracts';
import { createDataSource, uuidv7, SYSTEM_ACTING, UnitOfWork } from '@unionfed/persistence';
import { Outbox, toKafkaHeaders } from '@unionfed/messaging';
import { infraProfile, startKafka, stopKafka } from '@unionfed/infra';
import {
  graphqlData,
  graphqlRequest,
  openBranchThroughGateway,
  queryDatabase,
  startTestPlatform,
  type TestPlatform,
} from '@unionfed/platform';
import { eventually, testInfrastructure } from '@unionfed/testing';

/**
 * Fault tests of the event backbone on the whole platform (separate processes, real PostgreSQL + Kafka). Each
 * asserts exact counts of effects: every event applied exactly once by every consumer.
 */
describe('the event backbone under faults', () => {
  let t: TestPlatform;
  let branchId: string;
  let membershipDb: DataSource;
  const outbox = new Outbox('/unionfed/membership');
  const CONSUMERS = ['finance', 'congress', 'activities', 'welfare'] as const;
  const profile = infraProfile('test');

  const count = async (service: string, sql: string, params: unknown[] = []) =>
    Number((await queryDatabase<{ n: string }>(t.databaseUrl(service as 'finance'), sql, params))[0].n);
  /** effects of these members in a consumer: directory rows (one per member) */
  const directoryRows = (service: string, ids: string[]) =>
    count(service, `SELECT count(*) AS n FROM member_directory WHERE member_id = ANY($1::uuid[])`, [ids]);
  /** the consumer's record of having applied these events (one inbox row each) */
  const applied = (service: string, eventIds: string[]) =>
    count(service, `SELECT count(*) AS n FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])`, [
      `${service}.directory`,
      eventIds,
    ]);
  const eventsApplied = (service: string) =>
    count(
      service,
      `SELECT coalesce(max(events_applied), 0) AS n FROM projection_status WHERE projection = $1`,
      [`${service}.directory`],
    );

  /** Writes `n` MemberJoined events into membership's outbox, as its write path does, in transactions of 500. */
  async function writeJoinEvents(n: number): Promise<{ memberIds: string[]; eventIds: string[] }> {
    const memberIds = Array.from({ length: n }, () => uuidv7());
    const eventIds: string[] = [];
    for (let i = 0; i < n; i += 500) {
      const chunk = memberIds.slice(i, i + 500).map((memberId, j) =>
        encodeEvent(MembershipEvents.MemberJoined, {
          memberId,
          branchId,
          profile: {
            staffNumber: `F${i + j}`,
            name: '压力测试',
            gender: Gender.MALE,
            category: MemberCategory.TEACHER,
          },
        }),
      );
      eventIds.push(
        ...(await new UnitOfWork(membershipDb).run(SYSTEM_ACTING, ({ manager: m }) => outbox.add(m, chunk))),
      );
    }
    return { memberIds, eventIds };
  }

  const admit = (name: string) =>
    graphqlData<{ admitMember: { id: string } }>(
      t.gatewayUrl,
      'mutation($input: AdmitMemberInput!) { admitMember(input: $input) { id } }',
      {
        input: {
          branchId,
          staffNumber: `FT${randomBytes(4).toString('hex')}`,
          name,
          gender: 'FEMALE',
          category: 'MANAGEMENT',
        },
      },
      t.admin.headers,
    );

  beforeAll(async () => {
    // small relay batches, so that a producer can be killed while it is publishing
    t = await startTestPlatform(testInfrastructure(), {
      UNIONFED_OUTBOX_BATCH_SIZE: '50',
      UNIONFED_CONSUMER_MAX_ATTEMPTS: '3',
    });
    ({ branchId } = await openBranchThroughGateway(
      t.gatewayUrl,
      {
        campus: { code: 'FLT', name: '故障校区' },
        code: 'FLT-1',
        name: '故障测试分工会',
        staffHeadcount: 10,
      },
      t.admin.headers,
    ));
    // settle: every consumer has applied BranchOpened, so the counts below start from a quiet state
    await eventually(async () => {
      for (const service of CONSUMERS) {
        expect(
          await count(service, `SELECT count(*) AS n FROM branch_directory WHERE branch_id = $1`, [branchId]),
        ).toBe(1);
      }
    });
    membershipDb = createDataSource({
      url: t.databaseUrl('membership'),
      entities: [],
      migrations: [],
      applicationName: 'fault-test',
    });
    await membershipDb.initialize();
  });

  afterAll(async () => {
    await membershipDb?.destroy();
    await t?.stop();
  });

  it('applies every one of 5,000 events exactly once although a consumer is killed mid-stream', async () => {
    const before = await eventsApplied('finance');
    const { memberIds, eventIds } = await writeJoinEvents(5000);
    await eventually(async () => expect(await applied('finance', eventIds)).toBeGreaterThanOrEqual(300), {
      intervalMs: 20,
    });
    await t.platform.stop('finance', 'SIGKILL');
    const atKill = await applied('finance', eventIds);
    expect(atKill).toBeLessThan(5000); // the kill really happened mid-stream
    await t.platform.start('finance');
    await eventually(async () => expect(await applied('finance', eventIds)).toBe(5000), {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    expect(await directoryRows('finance', memberIds)).toBe(5000);
    expect((await eventsApplied('finance')) - before).toBe(5000);
  });

  it('publishes every committed event although the producer is killed while its relay publishes, one effect each', async () => {
    await t.platform.stop('membership');
    const { memberIds, eventIds } = await writeJoinEvents(5000);
    const before = await eventsApplied('congress');
    const published = async (): Promise<number> =>
      (
        await membershipDb.query(
          `SELECT count(*)::int AS n FROM outbox WHERE id = ANY($1::uuid[]) AND published_at IS NOT NULL`,
          [eventIds],
        )
      )[0].n;
    await t.platform.start('membership');
    await eventually(async () => expect(await published()).toBeGreaterThanOrEqual(100), { intervalMs: 10 });
    await t.platform.stop('membership', 'SIGKILL');
    expect(await published()).toBeLessThan(5000);
    await t.platform.start('membership');
    await eventually(async () => expect(await published()).toBe(5000), {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    await eventually(async () => expect(await applied('congress', eventIds)).toBe(5000), {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    expect(await directoryRows('congress', memberIds)).toBe(5000);
    expect((await eventsApplied('congress')) - before).toBe(5000);
  });

  it('accepts every write while Kafka is down for more than ten seconds and delivers every event once it is back', async () => {
    await stopKafka(profile);
    const ids: string[] = [];
    try {
      const until = Date.now() + 11_000;
      while (Date.now() < until) {
        ids.push((await admit('断网期间')).admitMember.id);
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    } finally {
      await startKafka(profile);
    }
    expect(ids.length).toBeGreaterThanOrEqual(20);
    await eventually(
      async () => {
        for (const service of CONSUMERS)
          expect({ service, rows: await directoryRows(service, ids) }).toEqual({ service, rows: ids.length });
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
  });

  it('retries while a consumer’s database is unavailable, loses nothing and dead-letters nothing', async () => {
    const db = t.databaseUrl('welfare').split('/').pop()!;
    const admin = testInfrastructure().databaseUrl;
    const deadBefore = await count('welfare', `SELECT count(*) AS n FROM dead_letter`);
    await queryDatabase(admin, `ALTER DATABASE ${db} ALLOW_CONNECTIONS false`);
    await queryDatabase(admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [
      db,
    ]);
    const ids: string[] = [];
    try {
      for (let i = 0; i < 10; i++) ids.push((await admit('数据库停机期间')).admitMember.id);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    } finally {
      await queryDatabase(admin, `ALTER DATABASE ${db} ALLOW_CONNECTIONS true`);
    }
    await eventually(async () => expect(await directoryRows('welfare', ids)).toBe(10), {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    expect(await count('welfare', `SELECT count(*) AS n FROM dead_letter`)).toBe(deadBefore);
    const metrics = await (await fetch(`${t.platform.service('welfare').baseUrl}/metrics`)).text();
    expect(
      Number(/^unionfed_consumer_retries_total\{[^}]*transient="true"[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0),
    ).toBeGreaterThan(0);
  });

  it('dead-letters a poison message in the middle of a partition and processes the messages after it', async () => {
    const kafka = new Kafka({
      clientId: 'fault-test',
      brokers: testInfrastructure().kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    const key = uuidv7();
    const [before, after] = [uuidv7(), uuidv7()];
    const joined = (memberId: string) => {
      const e = encodeEvent(MembershipEvents.MemberJoined, {
        memberId,
        branchId,
        profile: { name: '毒消息前后' },
      });
      const headers = toKafkaHeaders({
        id: uuidv7(),
        type: e.type,
        source: '/unionfed/membership',
        time: new Date().toISOString(),
      });
      return { key, value: Buffer.from(e.payload), headers };
    };
    const poisonId = uuidv7();
    const poison = {
      key,
      value: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
      headers: toKafkaHeaders({
        id: poisonId,
        type: MembershipEvents.MemberJoined.type,
        source: '/unionfed/membership',
        time: new Date().toISOString(),
      }),
    };
    // one key: the three messages land on one partition, in this order
    await producer.send({
      topic: MEMBERSHIP_TOPICS.member.name,
      acks: -1,
      messages: [joined(before), poison, joined(after)],
    });
    await producer.disconnect();
    await eventually(
      async () => {
        for (const service of CONSUMERS) {
          expect({ service, rows: await directoryRows(service, [before, after]) }).toEqual({
            service,
            rows: 2,
          });
          expect({
            service,
            dead: await count(service, `SELECT count(*) AS n FROM dead_letter WHERE event_id = $1`, [
              poisonId,
            ]),
          }).toEqual({ service, dead: 1 });
        }
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const [letter] = await queryDatabase<{ reason: string; original_topic: string }>(
      t.databaseUrl('finance'),
      `SELECT reason, original_topic FROM dead_letter WHERE event_id = $1`,
      [poisonId],
    );
    expect(letter).toEqual({ reason: 'UNDECODABLE', original_topic: MEMBERSHIP_TOPICS.member.name });
    const result = await graphqlRequest(
      t.gatewayUrl,
      '{ financeDirectory { eventsApplied } }',
      {},
      t.admin.headers,
    );
    expect(result.errors).toBeUndefined();

    // HQ admins see it through GraphQL (nobody else may), and can put it back once the cause is fixed
    const listed = await graphqlData<{
      financeDeadLetters: { id: string; eventId: string; reason: string }[];
    }>(
      t.gatewayUrl,
      '{ financeDeadLetters { id eventId reason topic partition offset attempts deadAt } }',
      {},
      t.admin.headers,
    );
    const mine = listed.financeDeadLetters.filter((l) => l.eventId === poisonId);
    expect(mine).toEqual([expect.objectContaining({ reason: 'UNDECODABLE' })]);
    expect(
      (await graphqlRequest(t.gatewayUrl, '{ financeDeadLetters { id } }')).errors?.[0].extensions?.code,
    ).toBe('UNAUTHENTICATED');
    const replay = await graphqlData<{ replayFinanceDeadLetters: { replayed: number } }>(
      t.gatewayUrl,
      'mutation($ids: [ID!]) { replayFinanceDeadLetters(ids: $ids) { replayed } }',
      { ids: [mine[0].id] },
      t.admin.headers,
    );
    expect(replay.replayFinanceDeadLetters.replayed).toBe(1);
    // still undecodable: set aside again (a new dead letter at its new offset); the good events stay single
    await eventually(
      async () =>
        expect(
          await count('finance', `SELECT count(*) AS n FROM dead_letter WHERE event_id = $1`, [poisonId]),
        ).toBe(2),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(await directoryRows('finance', [before, after])).toBe(2);
  });
});
