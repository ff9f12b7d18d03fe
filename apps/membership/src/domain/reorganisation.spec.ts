import { ConflictError, InvalidInputError } from '@unionfed/domain-kit';
import { admitMember, type Member } from './member';
import { openBranch } from './structure';
import { dissolveBranch, mergeBranches } from './reorganisation';

const campus = { id: 'c1', code: 'MAIN', name: '本部校区' };
const cs = openBranch('b1', campus, {
  code: 'cs',
  name: '计算机学院分工会',
  kind: 'COLLEGE',
  staffHeadcount: 80,
});
const ai = openBranch('b2', campus, {
  code: 'ai',
  name: '人工智能学院分工会',
  kind: 'COLLEGE',
  staffHeadcount: 30,
});
const today = '2026-11-22';
const admit = (id: string, joinedOn = '2010-09-01', groupId?: string): Member => ({
  ...admitMember(
    { id, memberNumber: `M-${id}` },
    ai,
    { staffNumber: id, name: `会员${id}`, gender: 'MALE', category: 'TEACHER', joinedOn },
    today,
  ).member,
  groupId,
});

describe('merging two branches (分工会合并)', () => {
  it('moves every active member of the source to the target, each with a transfer in their history', () => {
    const members = [admit('m1', '2010-09-01', 'g1'), admit('m2', '2018-03-01')];
    const merge = mergeBranches(ai, cs, members, { effectiveOn: '2026-09-01' }, today);
    expect(merge.moves.map((move) => move.member)).toEqual([
      expect.objectContaining({ id: 'm1', branchId: 'b1', groupId: undefined, status: 'ACTIVE' }),
      expect.objectContaining({ id: 'm2', branchId: 'b1', status: 'ACTIVE' }),
    ]);
    expect(merge.moves.map((move) => move.history)).toEqual([
      {
        memberId: 'm1',
        change: 'TRANSFERRED',
        branchId: 'b1',
        effectiveOn: '2026-09-01',
        details: { fromBranchId: 'b2', branchMerge: true },
      },
      expect.objectContaining({ memberId: 'm2', change: 'TRANSFERRED', effectiveOn: '2026-09-01' }),
    ]);
  });

  it('marks the source MERGED into the target and moves its staff headcount', () => {
    const { source, target } = mergeBranches(ai, cs, [], { effectiveOn: '2026-09-01' }, today);
    expect(source).toMatchObject({
      status: 'MERGED',
      mergedIntoId: 'b1',
      closedOn: '2026-09-01',
      staffHeadcount: 0,
    });
    expect(target).toMatchObject({ status: 'ACTIVE', staffHeadcount: 110 });
  });

  it('refuses to merge a branch into itself or with a branch that is no longer active', () => {
    expect(() => mergeBranches(cs, cs, [], {}, today)).toThrow(InvalidInputError);
    expect(() => mergeBranches(ai, { ...cs, status: 'DISSOLVED' }, [], {}, today)).toThrow(ConflictError);
    expect(() => mergeBranches({ ...ai, status: 'MERGED' }, cs, [], {}, today)).toThrow(
      expect.objectContaining({ reason: 'BRANCH_NOT_ACTIVE' }),
    );
  });

  it('refuses a merge dated in the future or before one of the moving members joined', () => {
    expect(() => mergeBranches(ai, cs, [], { effectiveOn: '2027-01-01' }, today)).toThrow(
      expect.objectContaining({ reason: 'EFFECTIVE_IN_FUTURE' }),
    );
    expect(() =>
      mergeBranches(ai, cs, [admit('m3', '2026-10-01')], { effectiveOn: '2026-09-01' }, today),
    ).toThrow(
      expect.objectContaining({
        reason: 'EFFECTIVE_BEFORE_JOINING',
        message: expect.stringContaining('M-m3'),
      }),
    );
  });
});

describe('dissolving a branch (撤销)', () => {
  it('dissolves a branch that has no active members left', () => {
    expect(dissolveBranch(ai, 0, { effectiveOn: '2026-10-01' }, today)).toMatchObject({
      status: 'DISSOLVED',
      closedOn: '2026-10-01',
    });
  });

  it('refuses while active members remain, saying how many and what to do', () => {
    expect(() => dissolveBranch(ai, 3, {}, today)).toThrow(
      expect.objectContaining({
        reason: 'BRANCH_HAS_ACTIVE_MEMBERS',
        message: expect.stringMatching(/still has 3 active members: transfer them .* or merge the branch/),
      }),
    );
  });

  it('refuses a branch that merged away or was dissolved already', () => {
    expect(() => dissolveBranch({ ...ai, status: 'MERGED' }, 0, {}, today)).toThrow(ConflictError);
  });
});
