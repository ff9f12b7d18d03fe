import { SYSTEM } from '@unionfed/audit';
import type { DataSource } from 'typeorm';
import {
  createTestIssuer,
  header,
  hq,
  inBranch,
  readTopic,
  testInfrastructure,
  uniqueTopic,
  type GraphqlResponse,
  type ServedSubgraph,
} from '@unionfed/testing';
import { Reach, type Grant } from '@unionfed/auth';
import { createKafka, OutboxRelay, RELIABLE_PRODUCER } from '@unionfed/messaging';
import { EVENT_REGISTRY, MembershipEvents, type MemberTransferred } from '@unionfed/contracts';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';
import { StructureCommands } from '../src/application/structure.commands';
import { StructureRepository } from '../src/infrastructure/structure.repository';
import type { Member } from '../src/domain/member';

const REQUEST = `mutation ($input: RequestMemberTransferInput!) {
  requestMemberTransfer(input: $input) { id status memberId fromBranch { id } toBranch { id } effectiveOn }
}`;
const decide = (verb: 'accept' | 'decline' | 'cancel') => `mutation ($input: DecideMemberTransferInput!) {
  ${verb}MemberTransfer(input: $input) { id status decisionReason }
}`;
const LIST = `query ($direction: TransferDirection!, $status: TransferStatus) {
  memberTransfers(direction: $direction, status: $status) {
    totalCount
    edges { node { id status memberId fromBranch { id } toBranch { id }
      candidate { name staffNumber memberNumber category title } } }
  }
}`;

/**
 * 会籍转移 in two steps through the membership subgraph as the app serves it (SDL, @access, tokens, error codes),
 * against a real database: branch X's officer requests, Y's accepts or declines, X's cancels; Z sees nothing.
 * The outbox rows are the events the relay publishes (in the same transaction as the change).
 */
describe('会籍转移 in two steps through the membership subgraph (real PostgreSQL, HTTP)', () => {
  let database: MembershipDatabase;
  let dataSource: DataSource;
  let structure: StructureCommands;
  let subgraph: ServedSubgraph;
  let [x, y, z] = ['', '', ''];
  let staffNo = 0;

  const graphql = (grants: Grant[], query: string, variables: Record<string, unknown> = {}) =>
    subgraph.graphql(grants, query, variables);
  const officerOf = (branchId: string) => [inBranch('MEMBERSHIP_OFFICER', branchId)];
  const HQ = [hq('MEMBERSHIP_OFFICER')];
  const codeOf = (response: GraphqlResponse) => response.errors?.[0]?.extensions?.code;
  const admit = (branchId: string): Promise<Member> =>
    database.commands.admitMember({
      branchId,
      staffNumber: `X${++staffNo}`,
      name: `会员${staffNo}`,
      gender: 'FEMALE',
      category: 'TEACHER',
      title: '副教授',
      phone: '13800000000',
      birthDate: '1980-05-05',
      joinedOn: '2015-09-01',
    });
  const lastSeq = async () =>
    Number((await dataSource.query(`SELECT coalesce(max(seq), 0) AS n FROM outbox`))[0].n);
  const eventsSince = async (seq: number): Promise<{ type: string; key: string; message: unknown }[]> =>
    (
      await dataSource.query(
        `SELECT event_type, message_key, payload FROM outbox WHERE seq > $1 ORDER BY seq`,
        [seq],
      )
    ).map((r: { event_type: string; message_key: string; payload: Buffer }) => ({
      type: r.event_type,
      key: r.message_key,
      message: EVENT_REGISTRY.decode(r.event_type, r.payload)!.message,
    }));
  const changes = async (memberId: string) =>
    (
      await dataSource.query(
        `SELECT change FROM member_history WHERE member_id = $1 ORDER BY recorded_at, id`,
        [memberId],
      )
    ).map((r: { change: string }) => r.change);
  const stateOf = async (memberId: string) =>
    (
      await dataSource.query(
        `SELECT branch_id AS "branchId", group_id AS "groupId", status FROM member WHERE id = $1`,
        [memberId],
      )
    )[0];
  const openTerms = async (memberId: string) =>
    Number(
      (
        await dataSource.query(
          `SELECT count(*) AS n FROM committee_appointment WHERE member_id = $1 AND ends_on IS NULL`,
          [memberId],
        )
      )[0].n,
    );
  /** a member of X in a union group of X (led by another) and on X's committee */
  const memberWithTerms = async (): Promise<Member> => {
    const [leader, member] = [await admit(x), await admit(x)];
    const group = await structure.formUnionGroup({
      branchId: x,
      name: `小组${staffNo}`,
      leaderMemberId: leader.id,
      formedOn: '2020-09-01',
    });
    await structure.assignMemberToGroup({ memberId: member.id, groupId: group.id });
    await structure.appointCommitteeMember({
      branchId: x,
      memberId: member.id,
      role: 'COMMITTEE',
      startsOn: '2020-01-01',
    });
    return (await database.repository.findMember(member.id))!;
  };
  const requestAsX = async (member: Member, to = y) => {
    const answer = await graphql(officerOf(x), REQUEST, { input: { memberId: member.id, toBranchId: to } });
    expect(answer.errors).toBeUndefined();
    return answer.data!.requestMemberTransfer as { id: string; status: string };
  };

  beforeAll(async () => {
    database = await membershipDatabase('transfer_graphql');
    dataSource = database.dataSource;
    structure = new StructureCommands(
      database.unitOfWork,
      database.repository,
      new StructureRepository(dataSource),
    );
    subgraph = await serveMembership(database, await createTestIssuer());
    const campusId = (await database.commands.openCampus({ code: 'main', name: '本部校区' })).id;
    const open = async (code: string) =>
      (
        await database.commands.openBranch({
          campusId,
          code,
          name: `${code}分工会`,
          kind: 'COLLEGE',
          staffHeadcount: 40,
        })
      ).id;
    [x, y, z] = [await open('xx'), await open('yy'), await open('zz')];
  });

  afterAll(async () => {
    await subgraph?.close();
    await database?.drop();
  });

  it("leaves the member in X when X's officer requests a transfer to Y, emitting only MemberTransferRequested", async () => {
    const member = await memberWithTerms();
    const seq = await lastSeq();
    const request = await requestAsX(member);
    expect(request).toMatchObject({ status: 'PENDING' });
    expect(await stateOf(member.id)).toEqual({ branchId: x, groupId: member.groupId, status: 'ACTIVE' });
    expect(await openTerms(member.id)).toBe(1); // the committee seat, still held
    expect(await changes(member.id)).toEqual(['JOINED', 'GROUP_CHANGED', 'TRANSFER_REQUESTED']);
    const events = await eventsSince(seq);
    expect(events.map((e) => e.type)).toEqual([MembershipEvents.MemberTransferRequested.type]);
    expect(events[0]).toMatchObject({
      key: member.id,
      message: { transferId: request.id, memberId: member.id, fromBranchId: x, toBranchId: y },
    });
  });

  it("moves the member when Y's officer accepts: MemberTransferred, out of X's group, X's terms ended", async () => {
    const member = await memberWithTerms();
    const request = await requestAsX(member);
    const seq = await lastSeq();
    const accepted = await graphql(officerOf(y), decide('accept'), { input: { transferId: request.id } });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data!.acceptMemberTransfer).toMatchObject({ id: request.id, status: 'ACCEPTED' });
    expect(await stateOf(member.id)).toEqual({ branchId: y, groupId: null, status: 'ACTIVE' });
    expect(await openTerms(member.id)).toBe(0);
    expect(await changes(member.id)).toEqual([
      'JOINED',
      'GROUP_CHANGED',
      'TRANSFER_REQUESTED',
      'TRANSFERRED',
    ]);
    const events = await eventsSince(seq);
    expect(events.map((e) => e.type).sort()).toEqual(
      [MembershipEvents.MemberTransferred.type, MembershipEvents.CommitteeRoleEnded.type].sort(),
    );
    const moved = events.find((e) => e.type === MembershipEvents.MemberTransferred.type)!;
    expect(moved.key).toBe(member.id);
    expect(moved.message as MemberTransferred).toMatchObject({
      memberId: member.id,
      fromBranchId: x,
      toBranchId: y,
      toGroupId: '',
      transferId: request.id,
    });
    // decided once: a second acceptance is a CONFLICT and writes nothing
    const again = await graphql(officerOf(y), decide('accept'), { input: { transferId: request.id } });
    expect(codeOf(again)).toBe('CONFLICT');
    expect(await eventsSince(seq)).toHaveLength(2);
  });

  it('answers what was done when a part of the answer is out of reach: that part alone is refused', async () => {
    const member = await admit(x);
    const request = await requestAsX(member);
    const accepted = await graphql(
      officerOf(y),
      `
        mutation ($input: DecideMemberTransferInput!) {
          acceptMemberTransfer(input: $input) {
            status
            fromBranch {
              members {
                totalCount
              }
            }
            toBranch {
              id
            }
          }
        }
      `,
      { input: { transferId: request.id } },
    );
    expect(accepted.data).toEqual({
      acceptMemberTransfer: { status: 'ACCEPTED', fromBranch: null, toBranch: { id: y } },
    });
    expect(codeOf(accepted)).toBe('FORBIDDEN');
    // and the refusal says the acceptance itself was made (graphql-kit mutation-outcome)
    expect(accepted.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', changeApplied: true });
    expect(await stateOf(member.id)).toMatchObject({ branchId: y });
  });

  it('leaves the member in X when Y declines or X cancels, one history entry and one event each', async () => {
    const [declined, cancelled] = [await admit(x), await admit(x)];
    const [first, second] = [await requestAsX(declined), await requestAsX(cancelled)];
    const seq = await lastSeq();
    const no = await graphql(officerOf(y), decide('decline'), {
      input: { transferId: first.id, reason: '编制已满' },
    });
    expect(no.data?.declineMemberTransfer).toMatchObject({ status: 'DECLINED', decisionReason: '编制已满' });
    const back = await graphql(officerOf(x), decide('cancel'), { input: { transferId: second.id } });
    expect(back.data?.cancelMemberTransfer).toMatchObject({ status: 'CANCELLED' });
    for (const member of [declined, cancelled]) {
      expect(await stateOf(member.id)).toEqual({ branchId: x, groupId: null, status: 'ACTIVE' });
    }
    expect(await changes(declined.id)).toEqual(['JOINED', 'TRANSFER_REQUESTED', 'TRANSFER_DECLINED']);
    expect(await changes(cancelled.id)).toEqual(['JOINED', 'TRANSFER_REQUESTED', 'TRANSFER_CANCELLED']);
    expect((await eventsSince(seq)).map((e) => [e.type, e.key])).toEqual([
      [MembershipEvents.MemberTransferDeclined.type, declined.id],
      [MembershipEvents.MemberTransferCancelled.type, cancelled.id],
    ]);
    // a member whose request ended may be asked for again
    expect((await requestAsX(declined)).status).toBe('PENDING');
  });

  it("refuses X's officer accepting or declining its own request into Y, and Y's cancelling it, as not there", async () => {
    const member = await admit(x);
    const request = await requestAsX(member);
    const seq = await lastSeq();
    const attempts = [
      await graphql(officerOf(x), decide('accept'), { input: { transferId: request.id } }),
      await graphql(officerOf(x), decide('decline'), { input: { transferId: request.id } }),
      await graphql(officerOf(y), decide('cancel'), { input: { transferId: request.id } }),
    ];
    for (const answer of attempts) {
      expect(codeOf(answer)).toBe('NOT_FOUND');
      expect(JSON.stringify(answer.errors)).not.toContain(request.id);
    }
    expect(await stateOf(member.id)).toMatchObject({ branchId: x });
    expect(await eventsSince(seq)).toEqual([]);
    expect(await changes(member.id)).toEqual(['JOINED', 'TRANSFER_REQUESTED']);
  });

  it('shows a request to the officers of both branches only, the receiving one without phone or birth date', async () => {
    const member = await admit(x);
    const request = await requestAsX(member);
    const listed = async (grants: Grant[], direction: string) => {
      const answer = await graphql(grants, LIST, { direction });
      expect(answer.errors).toBeUndefined();
      const connection = answer.data!.memberTransfers as { edges: { node: { id: string } }[] };
      return connection.edges.map((e) => e.node).filter((n) => n.id === request.id);
    };
    expect(await listed(officerOf(y), 'INCOMING')).toEqual([
      {
        id: request.id,
        status: 'PENDING',
        memberId: member.id,
        fromBranch: { id: x },
        toBranch: { id: y },
        candidate: {
          name: member.name,
          staffNumber: member.staffNumber,
          memberNumber: member.memberNumber,
          category: 'TEACHER',
          title: '副教授',
        },
      },
    ]);
    expect(await listed(officerOf(x), 'OUTGOING')).toHaveLength(1);
    expect(await listed(officerOf(x), 'INCOMING')).toHaveLength(0);
    expect(await listed(officerOf(y), 'OUTGOING')).toHaveLength(0);
    expect(await listed(HQ, 'INCOMING')).toHaveLength(1);
    // Z sees nothing of it, in any direction: not a count either
    for (const direction of ['INCOMING', 'OUTGOING']) {
      const answer = await graphql(officerOf(z), LIST, { direction });
      expect(answer.data!.memberTransfers).toEqual({ totalCount: 0, edges: [] });
      expect(JSON.stringify(answer)).not.toContain(member.name);
    }
    // the candidate type has no contact details to ask for
    const phone = await graphql(
      officerOf(y),
      `
        {
          memberTransfers(direction: INCOMING) {
            edges {
              node {
                candidate {
                  phone
                }
              }
            }
          }
        }
      `,
    );
    expect(codeOf(phone)).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('lets a Z officer neither act on a request between X and Y nor request one for a member of X', async () => {
    const [member, other] = [await admit(x), await admit(x)];
    const request = await requestAsX(member);
    const seq = await lastSeq();
    for (const verb of ['accept', 'decline', 'cancel'] as const) {
      const answer = await graphql(officerOf(z), decide(verb), { input: { transferId: request.id } });
      expect(codeOf(answer)).toBe('NOT_FOUND');
      expect(JSON.stringify(answer.errors)).not.toContain(request.id);
    }
    const steal = await graphql(officerOf(z), REQUEST, { input: { memberId: other.id, toBranchId: z } });
    expect(codeOf(steal)).toBe('NOT_FOUND');
    expect(JSON.stringify(steal.errors)).not.toContain(other.id);
    // exactly as for a member that does not exist
    const nobody = await graphql(officerOf(z), REQUEST, {
      input: { memberId: '01900000-0000-7000-8000-000000000000', toBranchId: z },
    });
    expect(nobody.errors?.[0]).toEqual({ ...steal.errors![0], path: nobody.errors![0].path });
    expect(await eventsSince(seq)).toEqual([]);
    expect(await stateOf(member.id)).toMatchObject({ branchId: x });
  });

  it('refuses a second pending request for the same member (CONFLICT), writing nothing', async () => {
    const member = await admit(x);
    await requestAsX(member);
    const seq = await lastSeq();
    const second = await graphql(officerOf(x), REQUEST, { input: { memberId: member.id, toBranchId: z } });
    expect(codeOf(second)).toBe('CONFLICT');
    expect(await eventsSince(seq)).toEqual([]);
    expect(await changes(member.id)).toEqual(['JOINED', 'TRANSFER_REQUESTED']);
  });

  it('moves a member at once when HQ requests: its consent covers both branches', async () => {
    const member = await admit(x);
    const seq = await lastSeq();
    const answer = await graphql(HQ, REQUEST, {
      input: { memberId: member.id, toBranchId: y, effectiveOn: '2025-09-01' },
    });
    expect(answer.data?.requestMemberTransfer).toMatchObject({
      status: 'ACCEPTED',
      effectiveOn: '2025-09-01',
    });
    expect(await stateOf(member.id)).toMatchObject({ branchId: y });
    expect((await eventsSince(seq)).map((e) => e.type)).toEqual([
      MembershipEvents.MemberTransferRequested.type,
      MembershipEvents.MemberTransferred.type,
    ]);
    expect(await changes(member.id)).toEqual(['JOINED', 'TRANSFER_REQUESTED', 'TRANSFERRED']);
  });

  it('lets exactly one of an acceptance and a cancellation racing for the same request win', async () => {
    for (let round = 0; round < 5; round++) {
      const member = await admit(x);
      const request = await requestAsX(member);
      const seq = await lastSeq();
      const outcomes = await Promise.allSettled([
        database.transfers.accept(request.id, { ...SYSTEM, actorId: 'y', reach: Reach.of([y]) }),
        database.transfers.close(
          request.id,
          'CANCELLED',
          {},
          { ...SYSTEM, actorId: 'x', reach: Reach.of([x]) },
        ),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ kind: 'CONFLICT', reason: 'TRANSFER_NOT_PENDING' });
      const events = await eventsSince(seq);
      expect(events).toHaveLength(1);
      const accepted = outcomes[0].status === 'fulfilled';
      expect(events[0].type).toBe(
        accepted ? MembershipEvents.MemberTransferred.type : MembershipEvents.MemberTransferCancelled.type,
      );
      expect(await stateOf(member.id)).toMatchObject({ branchId: accepted ? y : x });
      expect(await changes(member.id)).toHaveLength(3);
    }
  });

  it('publishes a request and its acceptance through the relay to Kafka, in order, keyed by the member', async () => {
    const member = await admit(x);
    const request = await requestAsX(member);
    await graphql(officerOf(y), decide('accept'), { input: { transferId: request.id } });
    // this test's own topic: everything still unpublished goes there (the other tests' rows too)
    const topic = uniqueTopic('membership-transfers');
    const kafka = createKafka('transfer-test', testInfrastructure().kafkaBrokers);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    await dataSource.query(`UPDATE outbox SET topic = $1 WHERE published_at IS NULL`, [topic]);
    const unpublished = Number(
      (await dataSource.query(`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL`))[0].n,
    );
    const producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
    try {
      const relay = new OutboxRelay(dataSource, producer, { databaseUrl: database.url });
      let published = 0;
      while (published < unpublished) {
        const n = await relay.publishBatch();
        if (n === 0) break;
        published += n;
      }
      expect(published).toBe(unpublished);
    } finally {
      await producer.disconnect();
    }
    const messages = await readTopic(topic, { until: (m) => m.length >= unpublished });
    const ofMember = messages.filter((m) => m.message.key?.toString() === member.id);
    expect(ofMember.map((m) => header(m.message, 'ce_type'))).toEqual([
      MembershipEvents.MemberJoined.type,
      MembershipEvents.MemberTransferRequested.type,
      MembershipEvents.MemberTransferred.type,
    ]);
    expect(new Set(ofMember.map((m) => m.partition)).size).toBe(1);
  });
});
