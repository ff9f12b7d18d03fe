import pg from 'pg';
import type { DataSource } from 'typeorm';

import type { KafkaMessage } from 'kafkajs';
import {
  Gender,
  MemberCategory,
  MemberStatus,
  MembershipEvents,
  BranchKind,
  BranchStatus,
  CommitteeRole,
  encodeEvent,
  type EncodedEvent,
} from '@unionfed/contracts';
import { createDataSource, migrate, uuidv7 } from '@unionfed/persistence';
import { MESSAGING_MIGRATIONS, toKafkaHeaders, type EventBatch } from '@unionfed/messaging';
import { createTestDatabase } from '@unionfed/testing';
import { DIRECTORY_ENTITIES, DirectoryReader, DIRECTORY_MIGRATIONS } from '../src';
import { directoryDispatcher } from './directory-dispatcher';

/** Messages of one partition, offsets 0…n-1, as a batch nobody stops. */
function batchOf(messages: KafkaMessage[]): EventBatch {
  return {
    topic: 'topic',
    partition: 0,
    messages: messages.map((message, offset) => ({ ...message, offset: String(offset) })),
    resolveOffset: () => undefined,
    heartbeat: async () => undefined,
    commitOffsetsIfNecessary: async () => undefined,
    isActive: () => true,
  };
}

function delivered(event: EncodedEvent, id = uuidv7()): KafkaMessage {
  return {
    key: Buffer.from(event.key),
    value: Buffer.from(event.payload),
    headers: toKafkaHeaders({
      id,
      type: event.type,
      source: '/unionfed/membership',
      time: new Date().toISOString(),
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
    directoryDispatcher(dataSource).dispatch(delivered(event, id), 'topic', 0);
  const member = (id: string) => reader.member(id);

  beforeAll(async () => {
    database = await createTestDatabase('directory');
    dataSource = createDataSource({
      url: database.url,
      entities: DIRECTORY_ENTITIES,
      migrations: [...MESSAGING_MIGRATIONS, ...DIRECTORY_MIGRATIONS],
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

  const joined = (memberId: string, version = '') =>
    encodeEvent(MembershipEvents.MemberJoined, {
      memberId,
      branchId,
      profile: { staffNumber: 'T9', name: '孙丽', gender: Gender.FEMALE, category: MemberCategory.TEACHER },
      joinedOn: { iso: '2021-09-01' },
      version,
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

  it('counts a member who rejoined (MemberReinstated) again, in the branch they rejoined and no group, whatever the order', async () => {
    const id = uuidv7();
    const elsewhere = uuidv7();
    const [joinedV, withdrewV, reinstatedV] = [uuidv7(), uuidv7(), uuidv7()];
    await apply(joined(id, joinedV));
    await apply(
      encodeEvent(MembershipEvents.MemberGroupChanged, {
        memberId: id,
        branchId,
        groupId: uuidv7(),
        version: joinedV,
      }),
    );
    await apply(
      encodeEvent(MembershipEvents.MemberReinstated, {
        memberId: id,
        branchId: elsewhere,
        fromBranchId: branchId,
        status: MemberStatus.ACTIVE,
        version: reinstatedV,
      }),
    );
    // the withdrawal arrives late: older than the return, it changes nothing
    await apply(encodeEvent(MembershipEvents.MemberWithdrew, { memberId: id, branchId, version: withdrewV }));
    expect(await member(id)).toMatchObject({ branchId: elsewhere, status: 'ACTIVE' });
    const [{ group_id }] = await dataSource.query(
      `SELECT group_id FROM member_directory WHERE member_id = $1`,
      [id],
    );
    expect(group_id).toBeNull();
    // a retiree who had left rejoins as a retiree
    const retiree = uuidv7();
    await apply(joined(retiree, uuidv7()));
    await apply(
      encodeEvent(MembershipEvents.MemberReinstated, {
        memberId: retiree,
        branchId,
        status: MemberStatus.RETIRED,
        version: uuidv7(),
      }),
    );
    expect(await member(retiree)).toMatchObject({ status: 'RETIRED' });
  });

  const imported = (
    jobId: string,
    ...members: { id: string; staffNumber: string; name: string; version?: string }[]
  ) =>
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
        version: m.version ?? '',
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
    // the import topic is not the member topic: a transfer and a profile update may overtake the announcement;
    // every event carries the member's version (its history entry's id), the announcement the oldest
    const id = uuidv7();
    const elsewhere = uuidv7();
    const [joinedV, profileV, transferV, retiredV] = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];
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
        version: profileV,
      }),
    );
    await apply(
      encodeEvent(MembershipEvents.MemberTransferred, {
        memberId: id,
        fromBranchId: branchId,
        toBranchId: elsewhere,
        version: transferV,
      }),
    );
    await apply(
      encodeEvent(MembershipEvents.MemberRetired, { memberId: id, branchId: elsewhere, version: retiredV }),
    );
    await apply(imported(uuidv7(), { id, staffNumber: 'I003', name: '孙伟', version: joinedV }));
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
    const [movedJoinedV, movedTransferV] = [uuidv7(), uuidv7()];
    await apply(
      encodeEvent(MembershipEvents.MemberTransferred, {
        memberId: moved,
        fromBranchId: branchId,
        toBranchId: elsewhere,
        version: movedTransferV,
      }),
    );
    await apply(imported(uuidv7(), { id: moved, staffNumber: 'I004', name: '周敏', version: movedJoinedV }));
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

  it('keeps the newest version of a member whatever the order, within one batch and across batches', async () => {
    const id = uuidv7();
    const [joinedV, retiredV, profileV] = [uuidv7(), uuidv7(), uuidv7()];
    const otherBranch = uuidv7();
    const retired = encodeEvent(MembershipEvents.MemberRetired, {
      memberId: id,
      branchId,
      version: retiredV,
    });
    const profile = encodeEvent(MembershipEvents.MemberProfileUpdated, {
      memberId: id,
      branchId,
      profile: { staffNumber: 'T9', name: '孙丽（新）' },
      version: profileV,
    });
    // one batch, newest first: the retirement and the profile must survive the older join in the same statement
    const d = directoryDispatcher(dataSource);
    await d.dispatchBatch(batchOf([delivered(profile), delivered(retired), delivered(joined(id, joinedV))]));
    expect(d.counts).toMatchObject({ applied: 3 });
    expect(await member(id)).toEqual({
      id,
      branchId,
      staffNumber: 'T9',
      name: '孙丽（新）',
      status: 'RETIRED',
    });
    // a later batch with an older transfer (redelivered from a replay, new event id) changes nothing
    const olderTransfer = encodeEvent(MembershipEvents.MemberTransferred, {
      memberId: id,
      toBranchId: otherBranch,
      version: joinedV,
    });
    expect(await apply(olderTransfer)).toBe('applied');
    expect(await member(id)).toEqual({
      id,
      branchId,
      staffNumber: 'T9',
      name: '孙丽（新）',
      status: 'RETIRED',
    });
  });

  it('keeps a member written whole by one fact from an older partial fact, and takes a newer one', async () => {
    const id = uuidv7();
    const [olderV, joinedV, newerV] = [uuidv7(), uuidv7(), uuidv7()];
    await apply(joined(id, joinedV)); // every column from one fact: stored as that fact's version
    await apply(
      encodeEvent(MembershipEvents.MemberTransferred, {
        memberId: id,
        toBranchId: uuidv7(),
        version: olderV,
      }),
    );
    expect(await member(id)).toMatchObject({ branchId, status: 'ACTIVE' });
    await apply(encodeEvent(MembershipEvents.MemberRetired, { memberId: id, branchId, version: newerV }));
    expect(await member(id)).toMatchObject({ branchId, name: '孙丽', status: 'RETIRED' });
  });

  it('applies events published before versions existed in delivery order, and never over a versioned fact', async () => {
    const id = uuidv7();
    const otherBranch = uuidv7();
    // unversioned only: the later delivered wins, as before versions
    await apply(joined(id));
    await apply(encodeEvent(MembershipEvents.MemberRetired, { memberId: id, branchId }));
    await apply(encodeEvent(MembershipEvents.MemberTransferred, { memberId: id, toBranchId: otherBranch }));
    expect(await member(id)).toMatchObject({ branchId: otherBranch, status: 'ACTIVE' });
    // a versioned fact is newer than any unversioned one, which can no longer overwrite it
    await apply(
      encodeEvent(MembershipEvents.MemberWithdrew, {
        memberId: id,
        branchId: otherBranch,
        version: uuidv7(),
      }),
    );
    await apply(encodeEvent(MembershipEvents.MemberTransferred, { memberId: id, toBranchId: branchId }));
    expect(await member(id)).toMatchObject({ branchId: otherBranch, status: 'WITHDRAWN' });
  });

  it('writes a batch’s rows with one statement per table, whatever the number of events', async () => {
    const ids = Array.from({ length: 300 }, () => uuidv7());
    const messages = ids.map((id) => delivered(joined(id, uuidv7())));
    const statements: string[] = [];
    // counts the statements sent to PostgreSQL (as text or as a prepared statement), and sends them
    const original = pg.Client.prototype.query;
    const query = jest.spyOn(pg.Client.prototype, 'query').mockImplementation(function (
      this: pg.Client,
      ...args: unknown[]
    ) {
      const [first] = args;
      statements.push(typeof first === 'string' ? first : String((first as { text?: string }).text));
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof original);
    try {
      const d = directoryDispatcher(dataSource);
      await d.dispatchBatch(batchOf(messages));
      expect(d.counts).toMatchObject({ applied: 300 });
    } finally {
      query.mockRestore();
    }
    const into = (table: string) => statements.filter((sql) => sql.includes(`INSERT INTO ${table} `)).length;
    expect([into('inbox'), into('member_directory'), into('projection_status')]).toEqual([1, 1, 1]);
    const [{ n }] = await dataSource.query(
      `SELECT count(*)::int AS n FROM member_directory WHERE member_id = ANY($1)`,
      [ids],
    );
    expect(n).toBe(300);
  });

  it('follows union groups and committee roles', async () => {
    const groupId = uuidv7();
    const [leader, other] = [uuidv7(), uuidv7()];
    const appointmentId = uuidv7();
    const federationAppointment = uuidv7();
    await apply(joined(leader, uuidv7()));
    await apply(joined(other, uuidv7()));
    await apply(
      encodeEvent(MembershipEvents.UnionGroupFormed, {
        groupId,
        branchId,
        name: '第一小组',
        leaderMemberId: leader,
        formedOn: { iso: '2026-09-01' },
      }),
    );
    await apply(encodeEvent(MembershipEvents.UnionGroupRenamed, { groupId, branchId, name: '教学一组' }));
    for (const memberId of [leader, other]) {
      await apply(
        encodeEvent(MembershipEvents.MemberGroupChanged, { memberId, branchId, groupId, version: uuidv7() }),
      );
    }
    await apply(
      encodeEvent(MembershipEvents.CommitteeRoleAssigned, {
        appointmentId,
        committeeBranchId: branchId,
        memberId: leader,
        role: CommitteeRole.GROUP_LEADER,
        groupId,
        startsOn: { iso: '2026-09-01' },
      }),
    );
    await apply(
      encodeEvent(MembershipEvents.CommitteeRoleAssigned, {
        appointmentId: federationAppointment,
        memberId: other,
        role: CommitteeRole.AUDIT_COMMITTEE,
        startsOn: { iso: '2026-01-01' },
        endsOn: { iso: '2028-12-31' },
      }),
    );
    expect(await reader.group(groupId)).toEqual({
      id: groupId,
      branchId,
      name: '教学一组',
      status: 'ACTIVE',
      memberIds: [leader, other].sort(),
    });
    expect(await reader.committee(branchId)).toEqual([
      {
        id: appointmentId,
        memberId: leader,
        role: 'GROUP_LEADER',
        groupId,
        startsOn: '2026-09-01',
        endsOn: null,
      },
    ]);
    expect(await reader.committee(null)).toEqual([
      {
        id: federationAppointment,
        memberId: other,
        role: 'AUDIT_COMMITTEE',
        groupId: null,
        startsOn: '2026-01-01',
        endsOn: '2028-12-31',
      },
    ]);

    // the group is dissolved: its members are taken out, its leader's term ends
    await apply(
      encodeEvent(MembershipEvents.CommitteeRoleEnded, {
        appointmentId,
        committeeBranchId: branchId,
        memberId: leader,
        role: CommitteeRole.GROUP_LEADER,
        groupId,
        endsOn: { iso: '2026-12-31' },
        reason: 'GROUP_DISSOLVED',
      }),
    );
    for (const memberId of [leader, other]) {
      await apply(
        encodeEvent(MembershipEvents.MemberGroupChanged, {
          memberId,
          branchId,
          fromGroupId: groupId,
          version: uuidv7(),
        }),
      );
    }
    await apply(
      encodeEvent(MembershipEvents.UnionGroupDissolved, {
        groupId,
        branchId,
        dissolvedOn: { iso: '2026-12-31' },
      }),
    );
    expect(await reader.group(groupId)).toEqual({
      id: groupId,
      branchId,
      name: '教学一组',
      status: 'DISSOLVED',
      memberIds: [],
    });
    expect(await reader.committee(branchId)).toEqual([]);
    expect(
      await dataSource.query(`SELECT status, end_reason FROM committee_directory WHERE appointment_id = $1`, [
        appointmentId,
      ]),
    ).toEqual([{ status: 'ENDED', end_reason: 'GROUP_DISSOLVED' }]);
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

    const dispatcher = directoryDispatcher(dataSource);
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

    const again = directoryDispatcher(dataSource);
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
