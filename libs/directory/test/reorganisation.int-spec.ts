import type { DataSource } from 'typeorm';
import type { Producer } from 'kafkajs';
import {
  BranchKind,
  BranchStatus,
  Gender,
  MemberCategory,
  MembershipEvents,
  MEMBERSHIP_TOPICS,
  encodeEvent,
  type EncodedEvent,
} from '@unionfed/contracts';
import { createDataSource, migrate, uuidv7, SYSTEM_ACTING, UnitOfWork } from '@unionfed/persistence';
import {
  createKafka,
  MESSAGING_MIGRATIONS,
  Outbox,
  OutboxRelay,
  RELIABLE_PRODUCER,
} from '@unionfed/messaging';
import { createTestDatabase, readTopic, testInfrastructure, uniqueTopic } from '@unionfed/testing';
import { DIRECTORY_ENTITIES, DirectoryReader, DIRECTORY_MIGRATIONS } from '../src';
import { directoryDispatcher } from './directory-dispatcher';

/**
 * A branch merge and a dissolution as membership publishes them — through an outbox, the relay and real Kafka
 * (on topics of this test's own) — applied by the directory projection: branch status, headcount and the
 * members' branch follow.
 */
describe('membership directory across a branch merge (real PostgreSQL + Kafka)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let producer: Producer;
  let reader: DirectoryReader;
  const topics = { branch: uniqueTopic('directory-branch'), member: uniqueTopic('directory-member') };
  const onTestTopic = (event: EncodedEvent): EncodedEvent => ({
    ...event,
    topic: event.topic === MEMBERSHIP_TOPICS.branch.name ? topics.branch : topics.member,
  });

  beforeAll(async () => {
    database = await createTestDatabase('directory_merge');
    dataSource = createDataSource({
      url: database.url,
      entities: DIRECTORY_ENTITIES,
      migrations: [...MESSAGING_MIGRATIONS, ...DIRECTORY_MIGRATIONS],
      applicationName: 'directory-merge-test',
    });
    await migrate(dataSource);
    reader = new DirectoryReader(dataSource, 'test');
    const kafka = createKafka('directory-merge-test', testInfrastructure().kafkaBrokers);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [topics.branch, topics.member].map((topic) => ({ topic, numPartitions: 3 })),
      waitForLeaders: true,
    });
    await admin.disconnect();
    producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('follows the source to MERGED, the target’s new headcount, the moved members, and a dissolution', async () => {
    const [source, target, closing] = [uuidv7(), uuidv7(), uuidv7()];
    const [moverA, moverB, retiree] = [uuidv7(), uuidv7(), uuidv7()];
    const opened = (branchId: string, code: string, staffHeadcount: number) =>
      encodeEvent(MembershipEvents.BranchOpened, {
        branchId,
        campusId: uuidv7(),
        code,
        name: `${code}分工会`,
        kind: BranchKind.COLLEGE,
        staffHeadcount,
      });
    const joined = (memberId: string, staffNumber: string) =>
      encodeEvent(MembershipEvents.MemberJoined, {
        memberId,
        branchId: source,
        profile: { staffNumber, name: staffNumber, gender: Gender.MALE, category: MemberCategory.TEACHER },
        joinedOn: { iso: '2015-09-01' },
      });
    const movedByMerge = (memberId: string) =>
      encodeEvent(MembershipEvents.MemberTransferred, {
        memberId,
        fromBranchId: source,
        toBranchId: target,
        effectiveOn: { iso: '2026-09-01' },
        branchMerge: true,
      });
    const events = [
      opened(source, 'AI', 30),
      opened(target, 'CS', 80),
      opened(closing, 'OLD', 5),
      joined(moverA, 'T1'),
      joined(moverB, 'T2'),
      joined(retiree, 'T3'),
      encodeEvent(MembershipEvents.MemberRetired, { memberId: retiree, branchId: source }),
      // what membership writes for mergeBranches, in its order
      movedByMerge(moverA),
      movedByMerge(moverB),
      encodeEvent(MembershipEvents.BranchMerged, {
        sourceBranchId: source,
        targetBranchId: target,
        effectiveOn: { iso: '2026-09-01' },
        movedMembers: 2,
        movedStaffHeadcount: 30,
      }),
      encodeEvent(MembershipEvents.BranchUpdated, {
        branchId: target,
        code: 'CS',
        name: 'CS分工会',
        kind: BranchKind.COLLEGE,
        staffHeadcount: 110,
        status: BranchStatus.ACTIVE,
      }),
      encodeEvent(MembershipEvents.BranchDissolved, {
        branchId: closing,
        effectiveOn: { iso: '2026-10-01' },
      }),
    ].map(onTestTopic);
    const outbox = new Outbox('/unionfed/membership');
    await new UnitOfWork(dataSource).run(SYSTEM_ACTING, ({ manager }) => outbox.add(manager, events));
    const relay = new OutboxRelay(dataSource, producer, { databaseUrl: database.url });
    expect(await relay.publishBatch()).toBe(events.length);

    const branchMessages = await readTopic(topics.branch, { until: (m) => m.length >= 6 });
    const memberMessages = await readTopic(topics.member, { until: (m) => m.length >= 6 });
    const dispatcher = directoryDispatcher(dataSource);
    // the two topics arrive independently: here every member event lands before the branch events
    for (const { topic, partition, message } of [...memberMessages, ...branchMessages]) {
      expect(await dispatcher.dispatch(message, topic, partition)).toBe('applied');
    }

    expect(await reader.branch(source)).toMatchObject({ status: 'MERGED' });
    expect(await reader.branch(target)).toMatchObject({ status: 'ACTIVE' });
    expect(await reader.branch(closing)).toMatchObject({ status: 'DISSOLVED' });
    expect(
      await dataSource.query(
        `SELECT code, staff_headcount AS "staffHeadcount" FROM branch_directory WHERE branch_id = ANY($1) ORDER BY code`,
        [[source, target]],
      ),
    ).toEqual([
      { code: 'AI', staffHeadcount: 0 },
      { code: 'CS', staffHeadcount: 110 },
    ]);
    expect(await reader.member(moverA)).toMatchObject({ branchId: target, status: 'ACTIVE' });
    expect(await reader.member(moverB)).toMatchObject({ branchId: target, status: 'ACTIVE' });
    expect(await reader.member(retiree)).toMatchObject({ branchId: source, status: 'RETIRED' });
    expect((await reader.sync()).eventsApplied).toBe(events.length);
  });
});
