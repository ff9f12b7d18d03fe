import { EVENT_REGISTRY, MembershipEvents, type MembersImported } from '@unionfed/contracts';
import type { Member } from '../domain/member';
import { MEMBERS_PER_ANNOUNCEMENT, membersImported } from './integration-events';

const member = (i: number, branchId: string): Member => ({
  id: `m-${i}`,
  memberNumber: `M${String(i).padStart(6, '0')}`,
  staffNumber: `S${i}`,
  name: '测试',
  gender: 'FEMALE',
  category: 'TEACHER',
  branchId,
  joinedOn: '2024-09-01',
  status: 'ACTIVE',
});

describe('membersImported', () => {
  it('announces a batch’s new members per branch, each with its JOINED entry’s id as its version, at most MEMBERS_PER_ANNOUNCEMENT each, keyed by the job', () => {
    const members = Array.from({ length: 2 * MEMBERS_PER_ANNOUNCEMENT + 150 }, (_, i) =>
      member(i, i % 10 === 0 ? 'branch-b' : 'branch-a'),
    );
    const events = membersImported('job-1', members, (m) => `v-${m.id}`);
    const decoded = events.map((e) => {
      const { contract, message } = EVENT_REGISTRY.decode(e.type, e.payload)!;
      expect(contract).toBe(MembershipEvents.MembersImported);
      return message as MembersImported;
    });
    expect(events.map((e) => [e.topic, e.key, e.branchId])).toEqual([
      [MembershipEvents.MembersImported.topic.name, 'job-1', 'branch-b'],
      [MembershipEvents.MembersImported.topic.name, 'job-1', 'branch-a'],
      [MembershipEvents.MembersImported.topic.name, 'job-1', 'branch-a'],
      [MembershipEvents.MembersImported.topic.name, 'job-1', 'branch-a'],
    ]);
    expect(decoded.map((d) => d.members.length)).toEqual([115, 500, 500, 35]);
    for (const d of decoded) expect(d.members.every((m) => m.branchId === d.branchId)).toBe(true);
    // every member once, in the batch's order within its branch, with its profile
    expect(decoded.flatMap((d) => d.members.map((m) => m.memberId)).sort()).toEqual(
      members.map((m) => m.id).sort(),
    );
    expect(decoded[0].members.slice(0, 2).map((m) => m.memberId)).toEqual(['m-0', 'm-10']);
    expect(decoded[1].members[0]).toMatchObject({
      memberId: 'm-1',
      version: 'v-m-1',
      joinedOn: { iso: '2024-09-01' },
      profile: { staffNumber: 'S1', memberNumber: 'M000001', name: '测试' },
    });
  });

  it('announces nothing when a batch admitted no one', () => {
    expect(membersImported('job-1', [], () => 'v')).toEqual([]);
  });
});
