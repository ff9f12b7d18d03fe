import { ConflictError, InvalidInputError } from '@unionfed/domain-kit';
import { admitMember, type Member } from './member';
import { openBranch } from './structure';
import { formUnionGroup } from './union-group';
import {
  termsEndedByLeaving,
  appoint,
  closeAppointment,
  endAppointment,
  handOverLeadership,
  isHeldOn,
  termsOverlap,
  type CommitteeAppointment,
} from './committee';

const campus = { id: 'c1', code: 'MAIN', name: '本部校区' };
const cs = openBranch('b1', campus, {
  code: 'cs',
  name: '计算机学院分工会',
  kind: 'COLLEGE',
  staffHeadcount: 80,
});
const math = openBranch('b2', campus, {
  code: 'math',
  name: '数学学院分工会',
  kind: 'COLLEGE',
  staffHeadcount: 60,
});
const today = '2026-11-22';
let n = 0;
const admit = (branch = cs, joinedOn = '2010-09-01'): Member =>
  admitMember(
    { id: `m${++n}`, memberNumber: `M00000${n}` },
    branch,
    { staffNumber: `T${n}`, name: `会员${n}`, gender: 'FEMALE', category: 'TEACHER', joinedOn },
    today,
  ).member;
const group = formUnionGroup('g1', cs, { name: '软件工程教研室小组', formedOn: '2020-09-01' }, [], today);
const none = { existing: [] as CommitteeAppointment[] };

describe('committee appointments (委员会任职)', () => {
  it('appoints an active member of the branch for a term', () => {
    const member = admit();
    expect(
      appoint(
        'a1',
        cs,
        member,
        { role: 'VICE_CHAIR', startsOn: '2024-01-01', endsOn: '2028-12-31' },
        none,
        today,
      ),
    ).toEqual({
      id: 'a1',
      branchId: 'b1',
      memberId: member.id,
      role: 'VICE_CHAIR',
      groupId: undefined,
      startsOn: '2024-01-01',
      endsOn: '2028-12-31',
    });
  });

  it('appoints a member of any branch to the federation committee (校工会)', () => {
    const chair = appoint('a1', undefined, admit(math), { role: 'CHAIR' }, none, today);
    expect(chair).toMatchObject({ branchId: undefined, startsOn: today, endsOn: undefined });
  });

  it('refuses a member of another branch, and one who is no longer active', () => {
    expect(() => appoint('a1', cs, admit(math), { role: 'COMMITTEE' }, none, today)).toThrow(
      expect.objectContaining({ reason: 'APPOINTEE_OF_ANOTHER_BRANCH' }),
    );
    expect(() =>
      appoint('a1', undefined, { ...admit(), status: 'RETIRED' }, { role: 'COMMITTEE' }, none, today),
    ).toThrow(expect.objectContaining({ reason: 'APPOINTEE_NOT_ACTIVE' }));
  });

  it('refuses appointments to the committee of a branch that merged away', () => {
    expect(() =>
      appoint('a1', { ...cs, status: 'MERGED' }, admit(), { role: 'COMMITTEE' }, none, today),
    ).toThrow(expect.objectContaining({ reason: 'BRANCH_NOT_ACTIVE' }));
  });

  it('refuses an unknown role, a term ending before it starts, and one starting before joining', () => {
    const member = admit(cs, '2015-09-01');
    expect(() => appoint('a1', cs, member, { role: 'TREASURER' }, none, today)).toThrow(
      expect.objectContaining({ reason: 'INVALID_ROLE' }),
    );
    expect(() =>
      appoint(
        'a1',
        cs,
        member,
        { role: 'COMMITTEE', startsOn: '2024-01-01', endsOn: '2023-12-31' },
        none,
        today,
      ),
    ).toThrow(expect.objectContaining({ reason: 'INVALID_TERM' }));
    expect(() =>
      appoint('a1', cs, member, { role: 'COMMITTEE', startsOn: '2014-01-01' }, none, today),
    ).toThrow(expect.objectContaining({ reason: 'TERM_BEFORE_JOINING' }));
  });

  describe('one chair per committee at a time', () => {
    const first = appoint(
      'a1',
      cs,
      admit(),
      { role: 'CHAIR', startsOn: '2021-01-01', endsOn: '2025-12-31' },
      none,
      today,
    );
    const existing = { existing: [first] };

    it('refuses a second chair whose term overlaps the first’s by even one day', () => {
      expect(() =>
        appoint('a2', cs, admit(), { role: 'CHAIR', startsOn: '2025-12-31' }, existing, today),
      ).toThrow(expect.objectContaining({ reason: 'ROLE_TAKEN' }));
    });

    it('appoints the successor from the day after the first term ends', () => {
      expect(
        appoint('a2', cs, admit(), { role: 'CHAIR', startsOn: '2026-01-01' }, existing, today).role,
      ).toBe('CHAIR');
    });

    it('lets a committee have several vice chairs and members at once', () => {
      const vice = appoint(
        'a2',
        cs,
        admit(),
        { role: 'VICE_CHAIR', startsOn: '2021-01-01' },
        existing,
        today,
      );
      expect(
        appoint(
          'a3',
          cs,
          admit(),
          { role: 'VICE_CHAIR', startsOn: '2021-01-01' },
          { existing: [first, vice] },
          today,
        ).role,
      ).toBe('VICE_CHAIR');
    });

    it('keeps the chairs of different committees apart', () => {
      expect(
        appoint('a2', math, admit(math), { role: 'CHAIR', startsOn: '2022-01-01' }, none, today).role,
      ).toBe('CHAIR');
    });
  });

  it('refuses the same role twice for one member in overlapping terms', () => {
    const member = admit();
    const held = appoint('a1', cs, member, { role: 'WOMEN_COMMITTEE', startsOn: '2022-01-01' }, none, today);
    expect(() =>
      appoint(
        'a2',
        cs,
        member,
        { role: 'WOMEN_COMMITTEE', startsOn: '2024-01-01' },
        { existing: [held] },
        today,
      ),
    ).toThrow(expect.objectContaining({ reason: 'ALREADY_APPOINTED' }));
  });

  it('keeps an audit committee member from being chair or vice chair at the same time', () => {
    const member = admit();
    const auditor = appoint(
      'a1',
      cs,
      member,
      { role: 'AUDIT_COMMITTEE', startsOn: '2022-01-01' },
      none,
      today,
    );
    expect(() =>
      appoint(
        'a2',
        cs,
        member,
        { role: 'VICE_CHAIR', startsOn: '2023-01-01' },
        { existing: [auditor] },
        today,
      ),
    ).toThrow(expect.objectContaining({ reason: 'INCOMPATIBLE_ROLES' }));
    expect(
      appoint('a2', cs, member, { role: 'COMMITTEE', startsOn: '2023-01-01' }, { existing: [auditor] }, today)
        .role,
    ).toBe('COMMITTEE');
  });

  describe('group leaders (组长)', () => {
    it('appoints a member of the branch to lead an active group of it', () => {
      const leader = appoint(
        'a1',
        cs,
        admit(),
        { role: 'GROUP_LEADER', groupId: 'g1' },
        { group, existing: [] },
        today,
      );
      expect(leader).toMatchObject({ role: 'GROUP_LEADER', groupId: 'g1', branchId: 'b1' });
    });

    it('refuses a leader who is not a member of the group’s branch', () => {
      expect(() =>
        appoint(
          'a1',
          cs,
          admit(math),
          { role: 'GROUP_LEADER', groupId: 'g1' },
          { group, existing: [] },
          today,
        ),
      ).toThrow(expect.objectContaining({ reason: 'APPOINTEE_OF_ANOTHER_BRANCH' }));
    });

    it('gives a group one leader at a time, and a member one group to lead', () => {
      const member = admit();
      const leader = appoint(
        'a1',
        cs,
        member,
        { role: 'GROUP_LEADER', groupId: 'g1' },
        { group, existing: [] },
        today,
      );
      expect(() =>
        appoint(
          'a2',
          cs,
          admit(),
          { role: 'GROUP_LEADER', groupId: 'g1' },
          { group, existing: [leader] },
          today,
        ),
      ).toThrow(expect.objectContaining({ reason: 'ROLE_TAKEN' }));
      const other = formUnionGroup('g2', cs, { name: '网络小组', formedOn: '2020-01-01' }, [], today);
      expect(() =>
        appoint(
          'a3',
          cs,
          member,
          { role: 'GROUP_LEADER', groupId: 'g2' },
          { group: other, existing: [leader] },
          today,
        ),
      ).toThrow(expect.objectContaining({ reason: 'LEADS_ANOTHER_GROUP' }));
    });

    it('needs a group for a leader, and a group only for a leader', () => {
      expect(() => appoint('a1', cs, admit(), { role: 'GROUP_LEADER' }, none, today)).toThrow(
        expect.objectContaining({ reason: 'GROUP_REQUIRED' }),
      );
      expect(() =>
        appoint('a1', cs, admit(), { role: 'COMMITTEE', groupId: 'g1' }, { group, existing: [] }, today),
      ).toThrow(expect.objectContaining({ reason: 'GROUP_ONLY_FOR_LEADER' }));
      expect(() =>
        appoint(
          'a1',
          undefined,
          admit(),
          { role: 'GROUP_LEADER', groupId: 'g1' },
          { group, existing: [] },
          today,
        ),
      ).toThrow(expect.objectContaining({ reason: 'GROUP_LEADER_NEEDS_BRANCH' }));
    });

    it('refuses a leader for a dissolved group or before the group was formed', () => {
      expect(() =>
        appoint(
          'a1',
          cs,
          admit(),
          { role: 'GROUP_LEADER', groupId: 'g1' },
          { group: { ...group, status: 'DISSOLVED' }, existing: [] },
          today,
        ),
      ).toThrow(ConflictError);
      expect(() =>
        appoint(
          'a1',
          cs,
          admit(),
          { role: 'GROUP_LEADER', groupId: 'g1', startsOn: '2020-08-31' },
          { group, existing: [] },
          today,
        ),
      ).toThrow(expect.objectContaining({ reason: 'TERM_BEFORE_FORMING' }));
    });
  });
});

describe('ending an appointment', () => {
  const open: CommitteeAppointment = {
    id: 'a1',
    branchId: 'b1',
    memberId: 'm1',
    role: 'CHAIR',
    startsOn: '2021-01-01',
  };

  it('ends an open term on the given day, keeping the reason', () => {
    expect(endAppointment(open, { endsOn: '2026-06-30', reason: '换届' }, today)).toMatchObject({
      endsOn: '2026-06-30',
      endReason: '换届',
    });
    expect(endAppointment(open, {}, today).endsOn).toBe(today);
  });

  it('shortens a term that would end later, but never ends a term twice', () => {
    const fixed = { ...open, endsOn: '2027-12-31' };
    expect(endAppointment(fixed, { endsOn: '2026-06-30' }, today).endsOn).toBe('2026-06-30');
    expect(() => endAppointment({ ...open, endsOn: '2025-12-31' }, {}, today)).toThrow(
      expect.objectContaining({ reason: 'ALREADY_ENDED' }),
    );
  });

  it('refuses an end before the term started', () => {
    expect(() => endAppointment(open, { endsOn: '2020-12-31' }, today)).toThrow(InvalidInputError);
  });

  it('closes a term the day before its holder or committee is gone, and leaves ended terms alone', () => {
    expect(closeAppointment(open, '2026-07-01', 'BRANCH_MERGED')).toMatchObject({
      endsOn: '2026-06-30',
      endReason: 'BRANCH_MERGED',
    });
    expect(closeAppointment({ ...open, startsOn: '2026-09-01' }, '2026-07-01', 'X')?.endsOn).toBe(
      '2026-09-01',
    );
    expect(closeAppointment({ ...open, endsOn: '2025-12-31' }, '2026-07-01', 'X')).toBeUndefined();
  });
});

describe('terms', () => {
  it('count both ends as days in office; an open term never ends', () => {
    expect(termsOverlap({ startsOn: '2021-01-01', endsOn: '2021-12-31' }, { startsOn: '2021-12-31' })).toBe(
      true,
    );
    expect(termsOverlap({ startsOn: '2021-01-01', endsOn: '2021-12-31' }, { startsOn: '2022-01-01' })).toBe(
      false,
    );
    expect(termsOverlap({ startsOn: '2030-01-01' }, { startsOn: '2021-01-01' })).toBe(true);
    expect(isHeldOn({ startsOn: '2021-01-01', endsOn: '2021-12-31' }, '2021-12-31')).toBe(true);
    expect(isHeldOn({ startsOn: '2021-01-01', endsOn: '2021-12-31' }, '2022-01-01')).toBe(false);
  });
});

describe('handing a group’s leadership over (更换组长)', () => {
  const current: CommitteeAppointment = {
    id: 'a1',
    branchId: 'b1',
    memberId: 'm1',
    role: 'GROUP_LEADER',
    groupId: 'g1',
    startsOn: '2020-09-01',
  };

  it('ends the current leader’s term the day before the successor’s starts', () => {
    expect(handOverLeadership(current, 'm2', { effectiveOn: '2026-03-01' }, today)).toEqual({
      startsOn: '2026-03-01',
      ended: { ...current, endsOn: '2026-02-28', endReason: 'HANDED_OVER' },
    });
  });

  it('starts the first leader’s term when the group has none', () => {
    expect(handOverLeadership(undefined, 'm2', {}, today)).toEqual({ startsOn: today });
  });

  it('refuses a hand-over to the current leader, in the future, or before the current term began', () => {
    expect(() => handOverLeadership(current, 'm1', {}, today)).toThrow(
      expect.objectContaining({ reason: 'ALREADY_LEADER' }),
    );
    expect(() => handOverLeadership(current, 'm2', { effectiveOn: '2027-01-01' }, today)).toThrow(
      expect.objectContaining({ reason: 'EFFECTIVE_IN_FUTURE' }),
    );
    expect(() => handOverLeadership(current, 'm2', { effectiveOn: '2020-09-01' }, today)).toThrow(
      expect.objectContaining({ reason: 'EFFECTIVE_BEFORE_CURRENT_TERM' }),
    );
  });
});

describe('the terms a member’s leaving ends (离任)', () => {
  const member = admit();
  const atCs = appoint('a1', cs, member, { role: 'COMMITTEE', startsOn: '2020-01-01' }, none, today);
  const atHq = appoint('a2', undefined, member, { role: 'COMMITTEE', startsOn: '2020-01-01' }, none, today);
  const over = {
    ...appoint('a3', cs, member, { role: 'VICE_CHAIR', startsOn: '2018-01-01' }, none, today),
    endsOn: '2019-12-31',
  };

  it('ends only the terms on the committee of the branch a transfer leaves, the day before it takes effect', () => {
    expect(
      termsEndedByLeaving([atCs, atHq, over], {
        change: 'TRANSFERRED',
        fromBranchId: cs.id,
        effectiveOn: today,
      }),
    ).toEqual([{ ...atCs, endsOn: '2026-11-21', endReason: 'MEMBER_TRANSFERRED' }]);
  });

  it('ends every open term when the member leaves active membership', () => {
    expect(
      termsEndedByLeaving([atCs, atHq, over], {
        change: 'RETIRED',
        fromBranchId: cs.id,
        effectiveOn: today,
      }).map((a) => [a.id, a.endReason]),
    ).toEqual([
      ['a1', 'MEMBER_RETIRED'],
      ['a2', 'MEMBER_RETIRED'],
    ]);
  });
});
