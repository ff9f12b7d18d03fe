import { ConflictError, InvalidInputError, parseIsoDate, todayInShanghai } from '@unionfed/domain-kit';
import { transfer, type Member, type MemberHistoryEntry } from './member';
import type { Branch } from './structure';

function effectiveDay(value: string | null | undefined, today: string): string {
  const day = value ? parseIsoDate(value, 'effectiveOn') : today;
  if (day > today) {
    throw new InvalidInputError('effectiveOn lies in the future', 'EFFECTIVE_IN_FUTURE', {
      field: 'effectiveOn',
    });
  }
  return day;
}

function requireActive(branch: Branch, doing: string): void {
  if (branch.status !== 'ACTIVE') {
    throw new ConflictError(
      `branch ${branch.code} is ${branch.status.toLowerCase()} and cannot be ${doing}`,
      'BRANCH_NOT_ACTIVE',
      { branchId: branch.id },
    );
  }
}

export interface BranchMerge {
  source: Branch;
  target: Branch;
  effectiveOn: string;
  /** one per active member of the source: the member in the target, and their TRANSFERRED history entry */
  moves: { member: Member; history: Omit<MemberHistoryEntry, 'id'> }[];
}

/**
 * 分工会合并: the source branch merges into the target, both active. Every active member of the source moves to
 * the target (a transfer effective on the merge day, kept in their history); members who left stay where they
 * were. The source becomes MERGED, pointing at the target, and its staff headcount moves to the target.
 */
export function mergeBranches(
  source: Branch,
  target: Branch,
  activeMembers: readonly Member[],
  input: { effectiveOn?: string | null },
  today: string = todayInShanghai(),
): BranchMerge {
  if (source.id === target.id) {
    throw new InvalidInputError('a branch cannot merge into itself', 'SAME_BRANCH', {
      field: 'targetBranchId',
    });
  }
  requireActive(source, 'merged');
  requireActive(target, 'merged into');
  const effectiveOn = effectiveDay(input.effectiveOn, today);
  const joinedLater = activeMembers.find((member) => member.joinedOn > effectiveOn);
  if (joinedLater) {
    throw new InvalidInputError(
      `member ${joinedLater.memberNumber} joined on ${joinedLater.joinedOn}, after the merge's effective date`,
      'EFFECTIVE_BEFORE_JOINING',
      { field: 'effectiveOn', memberId: joinedLater.id },
    );
  }
  const moves = activeMembers.map((member) => {
    if (member.branchId !== source.id || member.status !== 'ACTIVE') {
      throw new Error(`member ${member.id} is not an active member of branch ${source.id}`);
    }
    const moved = transfer(member, target, { effectiveOn }, today);
    return {
      ...moved,
      history: { ...moved.history, details: { ...moved.history.details, branchMerge: true } },
    };
  });
  return {
    source: {
      ...source,
      status: 'MERGED',
      mergedIntoId: target.id,
      closedOn: effectiveOn,
      staffHeadcount: 0,
    },
    target: { ...target, staffHeadcount: target.staffHeadcount + source.staffHeadcount },
    effectiveOn,
    moves,
  };
}

/**
 * 撤销分工会: only a branch without active members can be dissolved (their records stay: retirees and members
 * who left keep it as their last branch). The branch becomes DISSOLVED.
 */
export function dissolveBranch(
  branch: Branch,
  activeMembers: number,
  input: { effectiveOn?: string | null },
  today: string = todayInShanghai(),
): Branch {
  requireActive(branch, 'dissolved');
  if (activeMembers > 0) {
    throw new ConflictError(
      `branch ${branch.code} still has ${activeMembers} active member${activeMembers === 1 ? '' : 's'}: ` +
        'transfer them to other branches, or merge the branch into another, before dissolving it',
      'BRANCH_HAS_ACTIVE_MEMBERS',
      { branchId: branch.id, activeMembers },
    );
  }
  return { ...branch, status: 'DISSOLVED', closedOn: effectiveDay(input.effectiveOn, today) };
}
