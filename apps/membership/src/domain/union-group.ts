import { ConflictError, InvalidInputError, parseIsoDate, todayInShanghai } from '@unionfed/domain-kit';
import type { Member, MemberHistoryEntry } from './member';
import { requireName, type Branch } from './structure';

export const UNION_GROUP_STATUSES = ['ACTIVE', 'DISSOLVED'] as const;
export type UnionGroupStatus = (typeof UNION_GROUP_STATUSES)[number];

/**
 * 工会小组: a union group inside a branch (typically one per 教研室 or office). Its leader (组长) is not a field
 * of the group but a committee appointment (role GROUP_LEADER, see committee.ts), so that leaders have terms
 * and a history like every other committee role.
 */
export interface UnionGroup {
  id: string;
  branchId: string;
  name: string;
  status: UnionGroupStatus;
  formedOn: string;
  dissolvedOn?: string | null;
}

type GroupChange = { member: Member; history: Omit<MemberHistoryEntry, 'id'> };

function dateOrToday(value: string | null | undefined, field: string, today: string): string {
  const date = value ? parseIsoDate(value, field) : today;
  if (date > today) {
    throw new InvalidInputError(`${field} lies in the future`, 'EFFECTIVE_IN_FUTURE', { field });
  }
  return date;
}

function requireActive(group: UnionGroup): void {
  if (group.status !== 'ACTIVE') {
    throw new ConflictError(`union group ${group.name} is dissolved`, 'GROUP_NOT_ACTIVE', {
      groupId: group.id,
    });
  }
}

/** A group's name is unique among the branch's active groups (ignoring case and spacing). */
function uniqueName(name: string, takenNames: readonly string[]): string {
  const key = (value: string) => value.replace(/\s+/g, '').toLowerCase();
  if (takenNames.some((taken) => key(taken) === key(name))) {
    throw new ConflictError(`the branch already has a union group named ${name}`, 'GROUP_NAME_TAKEN', {
      name,
    });
  }
  return name;
}

/** 成立工会小组: a new group in an active branch, named uniquely among the branch's active groups. */
export function formUnionGroup(
  id: string,
  branch: Branch,
  input: { name: string; formedOn?: string | null },
  takenNames: readonly string[],
  today: string = todayInShanghai(),
): UnionGroup {
  if (branch.status !== 'ACTIVE') {
    throw new ConflictError(
      `branch ${branch.code} is ${branch.status.toLowerCase()}: no groups can be formed in it`,
      'BRANCH_NOT_ACTIVE',
      { branchId: branch.id },
    );
  }
  const name = uniqueName(requireName(input.name, 'name', 40), takenNames);
  return {
    id,
    branchId: branch.id,
    name,
    status: 'ACTIVE',
    formedOn: dateOrToday(input.formedOn, 'formedOn', today),
  };
}

export function renameUnionGroup(
  group: UnionGroup,
  newName: string,
  takenNames: readonly string[],
): UnionGroup {
  requireActive(group);
  const name = requireName(newName, 'name', 40);
  if (name === group.name) {
    throw new InvalidInputError('the group already has that name', 'SAME_NAME', { field: 'name' });
  }
  return {
    ...group,
    name: uniqueName(
      name,
      takenNames.filter((taken) => taken !== group.name),
    ),
  };
}

/** 撤销工会小组: the record stays (DISSOLVED); its members are taken out of it by the caller. */
export function dissolveUnionGroup(
  group: UnionGroup,
  input: { effectiveOn?: string | null },
  today: string = todayInShanghai(),
): UnionGroup {
  requireActive(group);
  const dissolvedOn = dateOrToday(input.effectiveOn, 'effectiveOn', today);
  if (dissolvedOn < group.formedOn) {
    throw new InvalidInputError('effectiveOn lies before the group was formed', 'EFFECTIVE_BEFORE_FORMING', {
      field: 'effectiveOn',
    });
  }
  return { ...group, status: 'DISSOLVED', dissolvedOn };
}

/** A group closed because its branch merged away or was dissolved: dissolved on that day (or when formed, if later). */
export function dissolveWithBranch(group: UnionGroup, day: string): UnionGroup {
  return { ...group, status: 'DISSOLVED', dissolvedOn: day < group.formedOn ? group.formedOn : day };
}

/**
 * Puts an active member into a group of their own branch, moves them to another, or (group undefined) takes
 * them out of theirs — effective between joining (and the group's forming) and today. A member who leads their
 * group (`ledGroupId`) cannot leave it: the leadership is ended or handed over first.
 */
export function changeGroup(
  member: Member,
  group: UnionGroup | undefined,
  input: { effectiveOn?: string | null; ledGroupId?: string },
  today: string = todayInShanghai(),
): GroupChange {
  if (member.status !== 'ACTIVE') {
    throw new ConflictError(
      `member ${member.memberNumber} is ${member.status.toLowerCase()}: only active members change group`,
      'MEMBER_STATUS_CONFLICT',
      { memberId: member.id, status: member.status },
    );
  }
  if (group) {
    requireActive(group);
    if (group.branchId !== member.branchId) {
      throw new InvalidInputError(
        'the group belongs to another branch than the member',
        'GROUP_OF_ANOTHER_BRANCH',
        {
          field: 'groupId',
        },
      );
    }
    if (member.groupId === group.id) {
      throw new InvalidInputError('the member already belongs to that group', 'ALREADY_IN_GROUP', {
        field: 'groupId',
      });
    }
  } else if (!member.groupId) {
    throw new InvalidInputError('the member belongs to no union group', 'NOT_IN_A_GROUP', {
      field: 'memberId',
    });
  }
  if (input.ledGroupId && input.ledGroupId === member.groupId) {
    throw new ConflictError(
      `member ${member.memberNumber} leads their union group: hand the leadership over before they leave it`,
      'GROUP_LEADER_CANNOT_LEAVE',
      { memberId: member.id, groupId: member.groupId },
    );
  }
  const effectiveOn = dateOrToday(input.effectiveOn, 'effectiveOn', today);
  if (effectiveOn < member.joinedOn) {
    throw new InvalidInputError('effectiveOn lies before the member joined', 'EFFECTIVE_BEFORE_JOINING', {
      field: 'effectiveOn',
    });
  }
  if (group && effectiveOn < group.formedOn) {
    throw new InvalidInputError('effectiveOn lies before the group was formed', 'EFFECTIVE_BEFORE_FORMING', {
      field: 'effectiveOn',
    });
  }
  return groupChange(member, group?.id, effectiveOn);
}

/** Takes a member (of any status) out of a group being dissolved, effective on the dissolution. */
export function leaveDissolvedGroup(member: Member, group: UnionGroup): GroupChange {
  if (member.groupId !== group.id || group.status !== 'DISSOLVED' || !group.dissolvedOn) {
    throw new Error(`member ${member.id} is not in dissolved group ${group.id}`);
  }
  const effectiveOn = group.dissolvedOn < member.joinedOn ? member.joinedOn : group.dissolvedOn;
  return groupChange(member, undefined, effectiveOn);
}

function groupChange(member: Member, groupId: string | undefined, effectiveOn: string): GroupChange {
  return {
    member: { ...member, groupId },
    history: {
      memberId: member.id,
      change: 'GROUP_CHANGED',
      branchId: member.branchId,
      effectiveOn,
      details: { groupId: groupId ?? null, fromGroupId: member.groupId ?? null },
    },
  };
}
