import { ConflictError, InvalidInputError } from '@unionfed/domain-kit';
import { admitMember } from './member';
import { openBranch } from './structure';
import {
  changeGroup,
  dissolveUnionGroup,
  dissolveWithBranch,
  formUnionGroup,
  leaveDissolvedGroup,
  renameUnionGroup,
} from './union-group';

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
const { member } = admitMember(
  { id: 'm1', memberNumber: 'M000001' },
  cs,
  { staffNumber: 'T1', name: '张伟', gender: 'MALE', category: 'TEACHER', joinedOn: '2010-09-01' },
  today,
);
const group = formUnionGroup('g1', cs, { name: '软件工程教研室小组', formedOn: '2020-09-01' }, [], today);

describe('union groups (工会小组)', () => {
  it('forms a group in an active branch, today unless dated', () => {
    expect(formUnionGroup('g2', cs, { name: ' 网络教研室小组 ' }, [], today)).toEqual({
      id: 'g2',
      branchId: 'b1',
      name: '网络教研室小组',
      status: 'ACTIVE',
      formedOn: today,
    });
  });

  it('refuses a group in a branch that merged away', () => {
    expect(() => formUnionGroup('g2', { ...cs, status: 'MERGED' }, { name: '小组' }, [], today)).toThrow(
      expect.objectContaining({ reason: 'BRANCH_NOT_ACTIVE' }),
    );
  });

  it('keeps group names unique among the branch’s active groups, ignoring case and spaces', () => {
    expect(() => formUnionGroup('g2', cs, { name: '软件工程 教研室小组' }, [group.name], today)).toThrow(
      expect.objectContaining({ reason: 'GROUP_NAME_TAKEN' }),
    );
    expect(() => formUnionGroup('g2', cs, { name: '  ' }, [], today)).toThrow(InvalidInputError);
  });

  it('refuses a group formed in the future', () => {
    expect(() => formUnionGroup('g2', cs, { name: '小组', formedOn: '2027-01-01' }, [], today)).toThrow(
      expect.objectContaining({ reason: 'EFFECTIVE_IN_FUTURE' }),
    );
  });

  it('renames a group unless the name is its own or another group’s', () => {
    expect(renameUnionGroup(group, '软件教研室小组', [group.name]).name).toBe('软件教研室小组');
    expect(() => renameUnionGroup(group, group.name, [group.name])).toThrow(
      expect.objectContaining({ reason: 'SAME_NAME' }),
    );
    expect(() => renameUnionGroup(group, '网络小组', [group.name, '网络小组'])).toThrow(ConflictError);
  });

  it('dissolves the groups of a branch that closes, on that day or when they were formed if later', () => {
    expect(dissolveWithBranch(group, '2026-09-01')).toMatchObject({
      status: 'DISSOLVED',
      dissolvedOn: '2026-09-01',
    });
    expect(dissolveWithBranch(group, '2019-01-01').dissolvedOn).toBe('2020-09-01');
  });

  it('dissolves an active group, keeping its record, and nothing twice', () => {
    const dissolved = dissolveUnionGroup(group, { effectiveOn: '2026-07-01' }, today);
    expect(dissolved).toMatchObject({ status: 'DISSOLVED', dissolvedOn: '2026-07-01' });
    expect(() => dissolveUnionGroup(dissolved, {}, today)).toThrow(
      expect.objectContaining({ reason: 'GROUP_NOT_ACTIVE' }),
    );
    expect(() => renameUnionGroup(dissolved, '新名', [])).toThrow(ConflictError);
    expect(() => dissolveUnionGroup(group, { effectiveOn: '2019-01-01' }, today)).toThrow(
      expect.objectContaining({ reason: 'EFFECTIVE_BEFORE_FORMING' }),
    );
  });
});

describe('a member’s union group', () => {
  it('puts an active member into a group of their branch, recorded in their history', () => {
    const { member: assigned, history } = changeGroup(member, group, { effectiveOn: '2021-03-01' }, today);
    expect(assigned.groupId).toBe('g1');
    expect(history).toEqual({
      memberId: 'm1',
      change: 'GROUP_CHANGED',
      branchId: 'b1',
      effectiveOn: '2021-03-01',
      details: { groupId: 'g1', fromGroupId: null },
    });
  });

  it('refuses a group of another branch, the same group again, and a dissolved group', () => {
    const other = formUnionGroup('g9', math, { name: '代数小组', formedOn: '2020-01-01' }, [], today);
    expect(() => changeGroup(member, other, {}, today)).toThrow(
      expect.objectContaining({ reason: 'GROUP_OF_ANOTHER_BRANCH' }),
    );
    const inGroup = { ...member, groupId: 'g1' };
    expect(() => changeGroup(inGroup, group, {}, today)).toThrow(
      expect.objectContaining({ reason: 'ALREADY_IN_GROUP' }),
    );
    expect(() => changeGroup(member, { ...group, status: 'DISSOLVED' }, {}, today)).toThrow(ConflictError);
  });

  it('takes a member out of their group, remembering which it was', () => {
    const { member: out, history } = changeGroup({ ...member, groupId: 'g1' }, undefined, {}, today);
    expect(out.groupId).toBeUndefined();
    expect(history.details).toEqual({ groupId: null, fromGroupId: 'g1' });
    expect(() => changeGroup(member, undefined, {}, today)).toThrow(
      expect.objectContaining({ reason: 'NOT_IN_A_GROUP' }),
    );
  });

  it('keeps a group leader in the group they lead', () => {
    const leader = { ...member, groupId: 'g1' };
    expect(() => changeGroup(leader, undefined, { ledGroupId: 'g1' }, today)).toThrow(
      expect.objectContaining({ reason: 'GROUP_LEADER_CANNOT_LEAVE' }),
    );
    const other = formUnionGroup('g2', cs, { name: '网络小组', formedOn: '2020-01-01' }, [], today);
    expect(() => changeGroup(leader, other, { ledGroupId: 'g1' }, today)).toThrow(ConflictError);
  });

  it('changes the group only of active members, effective between joining and today', () => {
    expect(() => changeGroup({ ...member, status: 'RETIRED' }, group, {}, today)).toThrow(ConflictError);
    expect(() => changeGroup(member, group, { effectiveOn: '2009-01-01' }, today)).toThrow(
      expect.objectContaining({ reason: 'EFFECTIVE_BEFORE_JOINING' }),
    );
    expect(() => changeGroup(member, group, { effectiveOn: '2020-01-01' }, today)).toThrow(
      expect.objectContaining({ reason: 'EFFECTIVE_BEFORE_FORMING' }),
    );
    expect(() => changeGroup(member, group, { effectiveOn: '2026-12-01' }, today)).toThrow(
      expect.objectContaining({ reason: 'EFFECTIVE_IN_FUTURE' }),
    );
  });

  it('takes anyone, retirees included, out of a dissolved group on the day it dissolved', () => {
    const dissolved = dissolveUnionGroup(group, { effectiveOn: '2026-07-01' }, today);
    const retiree = { ...member, status: 'RETIRED' as const, groupId: 'g1' };
    const { member: out, history } = leaveDissolvedGroup(retiree, dissolved);
    expect(out.groupId).toBeUndefined();
    expect(history).toMatchObject({ change: 'GROUP_CHANGED', effectiveOn: '2026-07-01' });
  });
});
