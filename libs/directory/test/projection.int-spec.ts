import type { DataSource } from 'typeorm';
import type { KafkaMessage } from 'kafkajs';
import {
  Gender,
  MemberCategory,
  MembershipEvents,
  BranchKind,
  BranchStatus,
  encodeEvent,
  type EncodedEvent,
} from '@unionfed/contracts';
import { createDataSource, migrate, uuidv7 } from '@unionfed/persistence';
import { MESSAGING_MIGRATIONS, newTraceparent, toKafkaHeaders, type EventBatch } from '@unionfed/messaging';
import { createTestDatabase } from '@unionfed/testing';
import {
  createDirectoryDispatcher,
  DIRECTORY_ENTITIES,
  DirectoryReader,
  DirectoryTables1763800000050,
} from '../src';

function delivered(event: EncodedEvent, id = uuidv7()): KafkaMessage {
  return {
    key: Buffer.from(event.key),
    value: Buffer.from(event.payload),
    headers: toKafkaHeaders({
      id,
      type: event.type,
      source: '/unionfed/membership',
      time: new Date().toISOString(),
      traceparent: newTraceparent(),
      branchId: event.branchId,
    }),
    offset: '0',
    timestamp: String(Date.now()),
    attributes: 0,
  } as unknown as KafkaMessage;
}

describe('membership directory projection (real PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dataSource: DataSource;
  let reader: DirectoryReader;
  const branchId = uuidv7();
  const apply = (event: EncodedEvent, id?: string) =>
    createDirectoryDispatcher(dataSource, 'test').dispatch(delivered(event, id), 'topic', 0);
  const member = (id: string) => reader.member(id);

  beforeAll(async () => {
    database = await createTestDatabase('directory');
    dataSource = createDataSource({
      url: database.url,
      entities: DIRECTORY_ENTITIES,
      migrations: [...MESSAGING_MIGRATIONS, DirectoryTables1763800000050],
      applicationName: 'directory-test',
    });
    await migrate(dataSource);
    reader = new DirectoryReader(dataSource, 'test');
    await apply(
      encodeEvent(MembershipEvents.BranchOpened, {
        branchId,
        campusId: uuidv7(),
        code: 'CS',
        name: '计算机学院分工会',
        kind: BranchKind.COLLEGE,
        staffHeadcount: 40,
      }),
    );
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  const joined = (memberId: string) =>
    encodeEvent(MembershipEvents.MemberJoined, {
      memberId,
      branchId,
      profile: { staffNumber: 'T9', name: '孙丽', gender: Gender.FEMALE, category: MemberCategory.TEACHER },
      joinedOn: { iso: '2021-09-01' },
    });

  it('follows a member through the lifecycle events', async () => {
    const id = uuidv7();
    const otherBranch = uuidv7();
    await apply(joined(id));
    expect(await member(id)).toEqual({ id, branchId, staffNumber: 'T9', name: '孙丽', status: 'ACTIVE' });
    await apply(
      encodeEvent(MembershipEvents.MemberTransferred, {
        memberId: id,
        fromBranchId: branchId,
        toBranchId: otherBranch,
      }),
    );
    expect(await member(id)).toMatchObject({ branchId: otherBranch, status: 'ACTIVE' });
    await apply(
      encodeEvent(MembershipEvents.MemberProfileUpdated, {
        memberId: id,
        branchId: otherBranch,
        profile: { staffNumber: 'T9', name: '孙丽华' },
      }),
    );
    expect(await member(id)).toMatchObject({ name: '孙丽华', status: 'ACTIVE' });
    await apply(encodeEvent(MembershipEvents.MemberRetired, { memberId: id, branchId: otherBranch }));
    expect(await member(id)).toMatchObject({ status: 'RETIRED' });
    await apply(encodeEvent(MembershipEvents.MemberDeceased, { memberId: id, branchId: otherBranch }));
    expect(await member(id)).toMatchObject({ status: 'DECEASED' });
  });

  it('keeps a profile update from reviving a member who withdrew', async () => {
    const id = uuidv7();
    await apply(joined(id));
    await apply(encodeEvent(MembershipEvents.MemberWithdrew, { memberId: id, branchId, reason: '调离' }));
    await apply(
      encodeEvent(MembershipEvents.MemberProfileUpdated, {
        memberId: id,
        branchId,
        profile: { name: '孙丽' },
      }),
    );
    expect(await member(id)).toMatchObject({ status: 'WITHDRAWN' });
  });

  it('applies a redelivered event once and counts it once', async () => {
    const before = (await reader.sync()).eventsApplied;
    const id = uuidv7();
    const eventId = uuidv7();
    expect(await apply(joined(id), eventId)).toBe('applied');
    expect(await apply(joined(id), eventId)).toBe('duplicate');
    const sync = await reader.sync();
    expect(sync.eventsApplied).toBe(before + 1);
    expect(sync.lastEventId).toBe(eventId);
  });

  it('records branch changes and reports the counts', async () => {
    await apply(
      encodeEvent(MembershipEvents.BranchUpdated, {
        branchId,
        code: 'CS',
        name: '计算机与人工智能学院分工会',
        kind: BranchKind.COLLEGE,
        staffHeadcount: 44,
        status: BranchStatus.ACTIVE,
      }),
    );
    expect(await reader.branch(branchId)).toEqual({
      id: branchId,
      code: 'CS',
      name: '计算机与人工智能学院分工会',
      status: 'ACTIVE',
    });
    const sync = await reader.sync();
    expect(sync).toMatchObject({ service: 'test', branches: 1, members: 3, activeMembers: 1 });
  });

  const imported = (jobId: string, ...members: { id: string; staffNumber: string; name: string }[]) =>
    encodeEvent(MembershipEvents.MembersImported, {
      jobId,
      branchId,
      members: members.map((m) => ({
        memberId: m.id,
        branchId,
        profile: {
          staffNumber: m.staffNumber,
          memberNumber: `M-${m.staffNumber}`,
          name: m.name,
          gender: Gender.MALE,
          birthDate: { iso: '1980-05-01' },
          category: MemberCategory.SUPPORT,
        },
        joinedOn: { iso: '2024-03-01' },
      })),
    });
  const row = async (id: string) =>
    (
      await dataSource.query(
        `SELECT branch_id, staff_number, member_number, name, gender, birth_date::text AS birth_date, category,
                status, joined_on::text AS joined_on
           FROM member_directory WHERE member_id = $1`,
        [id],
      )
    )[0];

  it('adds the members a roster import announces together, as their MemberJoined would, once per delivery', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    const eventId = uuidv7();
    const announcement = imported(
      uuidv7(),
      { id: a, staffNumber: 'I001', name: '赵刚' },
      { id: b, staffNumber: 'I002', name: '钱明' },
    );
    const before = (await reader.sync()).eventsApplied;
    expect(await apply(announcement, eventId)).toBe('applied');
    expect(await apply(announcement, eventId)).toBe('duplicate');
    expect(await row(a)).toEqual({
      branch_id: branchId,
      staff_number: 'I001',
      member_number: 'M-I001',
      name: '赵刚',
      gender: 'MALE',
      birth_date: '1980-05-01',
      category: 'SUPPORT',
      status: 'ACTIVE',
      joined_on: '2024-03-01',
    });
    expect(await member(b)).toEqual({ id: b, branchId, staffNumber: 'I002', name: '钱明', status: 'ACTIVE' });
    expect((await reader.sync()).eventsApplied).toBe(before + 1);
  });

  it('keeps what a member’s later events said when the import’s announcement arrives after them', async () => {
    // the import topic is not the member topic: a transfer and a profile update may overtake the announcement
    const id = uuidv7();
    const elsewhere = uuidv7();
    await apply(
      encodeEvent(MembershipEvents.MemberProfileUpdated, {
        memberId: id,
        branchId,
        // the whole profile, as every profile event carries it: here without the birth date, since removed
        profile: {
          staffNumber: 'I003',
          memberNumber: 'M-I003',
          name: '孙伟（更正）',
          gender: Gender.MALE,
          category: MemberCategory.MANAGEMENT,
        },
      }),
    );
    await apply(
      encodeEvent(MembershipEvents.MemberTransferred, {
        memberId: id,
        fromBranchId: branchId,
        toBranchId: elsewhere,
      }),
    );
    await apply(encodeEvent(MembershipEvents.MemberRetired, { memberId: id, branchId: elsewhere }));
    await apply(imported(uuidv7(), { id, staffNumber: 'I003', name: '孙伟' }));
    expect(await row(id)).toEqual({
      branch_id: elsewhere,
      staff_number: 'I003',
      member_number: 'M-I003',
      name: '孙伟（更正）',
      gender: 'MALE',
      birth_date: null,
      category: 'MANAGEMENT',
      status: 'RETIRED',
      joined_on: '2024-03-01',
    });

    // only a transfer came first: the announcement brings the profile, the transfer's branch stays
    const moved = uuidv7();
    await apply(
      encodeEvent(MembershipEvents.MemberTransferred, {
        memberId: moved,
        fromBranchId: branchId,
        toBranchId: elsewhere,
      }),
    );
    await apply(imported(uuidv7(), { id: moved, staffNumber: 'I004', name: '周敏' }));
    expect(await row(moved)).toEqual({
      branch_id: elsewhere,
      staff_number: 'I004',
      member_number: 'M-I004',
      name: '周敏',
      gender: 'MALE',
      birth_date: '1980-05-01',
      category: 'SUPPORT',
      status: 'ACTIVE',
      joined_on: '2024-03-01',
    });
  });

  it('answers nothing, not an error, for ids that cannot exist', async () => {
    expect(await reader.member('not-a-uuid')).toBeUndefined();
    expect(await reader.branch(uuidv7())).toBeUndefined();
  });

  it('applies a batch of one member’s events in order in one transaction, and the same batch again changes nothing', async () => {
    const id = uuidv7();
    const otherBranch = uuidv7();
    const joinedOnce = delivered(joined(id));
    const messages = [
      joinedOnce,
      delivered(encodeEvent(MembershipEvents.MemberTransferred, { memberId: id, toBranchId: otherBranch })),
      delivered(
        encodeEvent(MembershipEvents.MemberProfileUpdated, {
          memberId: id,
          branchId: otherBranch,
          profile: { staffNumber: 'T9', name: '孙丽华' },
        }),
      ),
      joinedOnce, // the relay published it twice
      delivered(encodeEvent(MembershipEvents.MemberRetired, { memberId: id, branchId: otherBranch })),
    ].map((message, offset) => ({ ...message, offset: String(offset) }));
    const resolved: string[] = [];
    const batch: EventBatch = {
      topic: 'topic',
      partition: 0,
      messages,
      resolveOffset: (offset) => void resolved.push(offset),
      heartbeat: async () => undefined,
      commitOffsetsIfNecessary: async () => undefined,
      isActive: () => true,
    };
    const before = (await reader.sync()).eventsApplied;

    const dispatcher = createDirectoryDispatcher(dataSource, 'test');
    await dispatcher.dispatchBatch(batch);
    expect(dispatcher.counts).toEqual({ applied: 4, duplicate: 1, ignored: 0, 'dead-lettered': 0 });
    expect(resolved).toEqual(['4']);
    expect(await member(id)).toEqual({
      id,
      branchId: otherBranch,
      staffNumber: 'T9',
      name: '孙丽华',
      status: 'RETIRED',
    });
    expect((await reader.sync()).eventsApplied).toBe(before + 4);

    const again = createDirectoryDispatcher(dataSource, 'test');
    await again.dispatchBatch(batch);
    expect(again.counts).toEqual({ applied: 0, duplicate: 5, ignored: 0, 'dead-lettered': 0 });
    expect(await member(id)).toMatchObject({ name: '孙丽华', status: 'RETIRED' });
    expect((await reader.sync()).eventsApplied).toBe(before + 4);
  });

  it('acknowledges a transfer request and its end without moving the member: only MemberTransferred moves them', async () => {
    const id = uuidv7();
    const otherBranch = uuidv7();
    await apply(joined(id));
    const transfer = { transferId: uuidv7(), memberId: id, fromBranchId: branchId, toBranchId: otherBranch };
    const outcomes = [
      await apply(encodeEvent(MembershipEvents.MemberTransferRequested, transfer)),
      await apply(encodeEvent(MembershipEvents.MemberTransferDeclined, transfer)),
      await apply(encodeEvent(MembershipEvents.MemberTransferCancelled, transfer)),
    ];
    expect(outcomes).toEqual(['ignored', 'ignored', 'ignored']);
    expect(await member(id)).toMatchObject({ branchId, status: 'ACTIVE' });
    await apply(
      encodeEvent(MembershipEvents.MemberTransferred, { ...transfer, transferId: transfer.transferId }),
    );
    expect(await member(id)).toMatchObject({ branchId: otherBranch, status: 'ACTIVE' });
  });
});
