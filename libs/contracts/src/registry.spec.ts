import { create, toBinary } from '@bufbuild/protobuf';
import {
  EVENT_REGISTRY,
  FinanceEvents,
  MembershipEvents,
  MEMBERSHIP_TOPICS,
  encodeEvent,
  dlqTopicOf,
  MemberJoinedSchema,
  Gender,
  CommitteeRole,
  FEDERATION_COMMITTEE_KEY,
  type MemberJoined,
} from './index';

describe('event registry', () => {
  it('names topics unionfed.<service>.<aggregate>.v<N> with a .dlq twin', () => {
    expect(MEMBERSHIP_TOPICS.member.name).toBe('unionfed.membership.member.v1');
    expect(dlqTopicOf(MEMBERSHIP_TOPICS.member.name)).toBe('unionfed.membership.member.v1.dlq');
  });

  it('gives each event a CloudEvents type with service, name and version', () => {
    expect(MembershipEvents.MemberJoined.type).toBe('unionfed.membership.MemberJoined.v1');
    expect(new Set(EVENT_REGISTRY.types()).size).toBe(
      Object.keys(MembershipEvents).length + Object.keys(FinanceEvents).length,
    );
  });

  it('keys member events by member id and tags them with their branch', () => {
    const encoded = encodeEvent(MembershipEvents.MemberJoined, {
      memberId: 'm-1',
      branchId: 'b-1',
      profile: { name: '张三', staffNumber: 'T001', gender: Gender.FEMALE },
    });
    expect(encoded).toMatchObject({ key: 'm-1', branchId: 'b-1', topic: 'unionfed.membership.member.v1' });
    const decoded = EVENT_REGISTRY.decode(encoded.type, encoded.payload);
    expect((decoded?.message as MemberJoined).profile?.name).toBe('张三');
  });

  it('keys committee events by committee: the branch, or "federation" for the HQ committee', () => {
    const branchCommittee = encodeEvent(MembershipEvents.CommitteeRoleAssigned, {
      appointmentId: 'a-1',
      committeeBranchId: 'b-1',
      memberId: 'm-1',
      role: CommitteeRole.CHAIR,
    });
    expect(branchCommittee).toMatchObject({
      key: 'b-1',
      branchId: 'b-1',
      topic: 'unionfed.membership.committee.v1',
    });
    const hqCommittee = encodeEvent(MembershipEvents.CommitteeRoleEnded, {
      appointmentId: 'a-2',
      memberId: 'm-2',
    });
    expect(hqCommittee.key).toBe(FEDERATION_COMMITTEE_KEY);
    expect(hqCommittee.branchId).toBeUndefined();
  });

  it('keys a merge by the branch that merged away', () => {
    const merged = encodeEvent(MembershipEvents.BranchMerged, {
      sourceBranchId: 'b-old',
      targetBranchId: 'b-new',
    });
    expect(merged).toMatchObject({ key: 'b-old', topic: 'unionfed.membership.branch.v1' });
  });

  it('decodes bytes that carry fields it does not know (a newer producer)', () => {
    const bytes = toBinary(MemberJoinedSchema, create(MemberJoinedSchema, { memberId: 'm-2' }));
    // field 15 (wire type varint) = 1: unknown to this consumer's schema
    const withUnknownField = new Uint8Array([...bytes, (15 << 3) | 0, 0x01]);
    const decoded = EVENT_REGISTRY.decode(MembershipEvents.MemberJoined.type, withUnknownField);
    expect((decoded?.message as MemberJoined).memberId).toBe('m-2');
  });

  it('returns nothing for a type it does not know', () => {
    expect(EVENT_REGISTRY.decode('unionfed.membership.Nope.v1', new Uint8Array())).toBeUndefined();
  });
});
