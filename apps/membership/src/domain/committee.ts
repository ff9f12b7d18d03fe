import { ConflictError, InvalidInputError, parseIsoDate, todayInShanghai } from '@unionfed/domain-kit';
import type { Member } from './member';
import type { Branch } from './structure';
import type { UnionGroup } from './union-group';

/** 委员会 roles: 主席, 副主席, 委员, 女工委员, 经审委员, 工会小组组长. */
export const COMMITTEE_ROLES = [
  'CHAIR',
  'VICE_CHAIR',
  'COMMITTEE',
  'WOMEN_COMMITTEE',
  'AUDIT_COMMITTEE',
  'GROUP_LEADER',
] as const;
export type CommitteeRole = (typeof COMMITTEE_ROLES)[number];

/**
 * 任职: a member holds a role of a committee for a term. The committee is a branch's (分工会委员会) or, without a
 * branch, the federation's own (校工会委员会). `endsOn` is the last day in office; open-ended while undefined.
 */
export interface CommitteeAppointment {
  id: string;
  branchId?: string | null;
  memberId: string;
  role: CommitteeRole;
  /** GROUP_LEADER only: the union group led */
  groupId?: string | null;
  startsOn: string;
  endsOn?: string | null;
  endReason?: string | null;
}

export interface AppointInput {
  role: string;
  startsOn?: string | null;
  endsOn?: string | null;
  groupId?: string | null;
}

/** Roles a committee has one holder of at a time (GROUP_LEADER: one per group). */
const SINGLE_HOLDER: readonly CommitteeRole[] = ['CHAIR', 'GROUP_LEADER'];

/**
 * *policy*: whoever audits the union's funds does not at the same time lead that union — an 经审委员 is not its
 * 主席 or 副主席 (the same separation of duties as "the same person never both records and approves").
 */
const INCOMPATIBLE: readonly (readonly [CommitteeRole, CommitteeRole])[] = [
  ['AUDIT_COMMITTEE', 'CHAIR'],
  ['AUDIT_COMMITTEE', 'VICE_CHAIR'],
];

const FOREVER = '9999-12-31';

/** Whether two terms share at least one day (both ends inclusive, an open end never ends). */
export function termsOverlap(
  a: { startsOn: string; endsOn?: string | null },
  b: { startsOn: string; endsOn?: string | null },
): boolean {
  return a.startsOn <= (b.endsOn ?? FOREVER) && b.startsOn <= (a.endsOn ?? FOREVER);
}

/** Whether the appointment is held on that day. */
export function isHeldOn(appointment: { startsOn: string; endsOn?: string | null }, day: string): boolean {
  return appointment.startsOn <= day && (appointment.endsOn ?? FOREVER) >= day;
}

export function dayBefore(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
}

const committeeName = (branch: Branch | undefined) =>
  branch ? `the committee of branch ${branch.code}` : 'the federation committee';

/**
 * 任命: appoints an active member to a role of a committee for a term. `existing` are the committee's
 * appointments (ended ones included), against which the term is checked:
 * - the appointee is an active member — of that branch, for a branch committee (any branch for 校工会);
 * - the term starts neither before the member joined nor (group leaders) before the group was formed, and does
 *   not end before it starts;
 * - one chair per committee and one leader per group at a time; a member leads at most one group at a time;
 * - nobody holds the same role twice at once, nor roles that exclude each other (see INCOMPATIBLE);
 * - GROUP_LEADER names an active group of the branch; no other role names a group.
 */
export function appoint(
  id: string,
  branch: Branch | undefined,
  member: Member,
  input: AppointInput,
  context: { group?: UnionGroup; existing: readonly CommitteeAppointment[] },
  today: string = todayInShanghai(),
): CommitteeAppointment {
  if (!(COMMITTEE_ROLES as readonly string[]).includes(input.role)) {
    throw new InvalidInputError(`role must be one of ${COMMITTEE_ROLES.join(', ')}`, 'INVALID_ROLE', {
      field: 'role',
    });
  }
  const role = input.role as CommitteeRole;
  const startsOn = input.startsOn ? parseIsoDate(input.startsOn, 'startsOn') : today;
  const endsOn = input.endsOn ? parseIsoDate(input.endsOn, 'endsOn') : undefined;
  if (endsOn && endsOn < startsOn) {
    throw new InvalidInputError('the term ends before it starts', 'INVALID_TERM', { field: 'endsOn' });
  }
  if (branch && branch.status !== 'ACTIVE') {
    throw new ConflictError(
      `branch ${branch.code} is ${branch.status.toLowerCase()}: its committee takes no appointments`,
      'BRANCH_NOT_ACTIVE',
      { branchId: branch.id },
    );
  }
  // first, and naming nobody: what a member of another branch is like is not this committee's to tell
  if (branch && member.branchId !== branch.id) {
    throw new InvalidInputError(
      'the appointee is not a member of this branch union',
      'APPOINTEE_OF_ANOTHER_BRANCH',
      { field: 'memberId' },
    );
  }
  if (member.status !== 'ACTIVE') {
    throw new ConflictError(
      `member ${member.memberNumber} is ${member.status.toLowerCase()}: only active members are appointed`,
      'APPOINTEE_NOT_ACTIVE',
      { memberId: member.id, status: member.status },
    );
  }
  if (startsOn < member.joinedOn) {
    throw new InvalidInputError('the term starts before the member joined', 'TERM_BEFORE_JOINING', {
      field: 'startsOn',
    });
  }
  const groupId = groupOf(role, branch, input.groupId, context.group, startsOn);
  const appointment: CommitteeAppointment = {
    id,
    branchId: branch?.id,
    memberId: member.id,
    role,
    groupId,
    startsOn,
    endsOn,
  };

  const overlapping = context.existing.filter((other) => termsOverlap(other, appointment));
  const own = overlapping.filter((other) => other.memberId === member.id);
  if (own.some((other) => other.role === role && (other.groupId ?? undefined) === groupId)) {
    throw new ConflictError(
      `member ${member.memberNumber} already holds that role in that term`,
      'ALREADY_APPOINTED',
      { memberId: member.id, role },
    );
  }
  if (role === 'GROUP_LEADER' && own.some((other) => other.role === 'GROUP_LEADER')) {
    throw new ConflictError(
      `member ${member.memberNumber} already leads another union group in that term`,
      'LEADS_ANOTHER_GROUP',
      { memberId: member.id },
    );
  }
  const incompatible = own.find((other) =>
    INCOMPATIBLE.some(([a, b]) => (a === role && b === other.role) || (b === role && a === other.role)),
  );
  if (incompatible) {
    throw new ConflictError(
      `member ${member.memberNumber} is ${incompatible.role} in that term and cannot also be ${role}`,
      'INCOMPATIBLE_ROLES',
      { memberId: member.id, role, heldRole: incompatible.role },
    );
  }
  if (SINGLE_HOLDER.includes(role)) {
    const holder = overlapping.find(
      (other) => other.role === role && (other.groupId ?? undefined) === groupId,
    );
    if (holder) {
      const held = holder.endsOn ? `${holder.startsOn} to ${holder.endsOn}` : `since ${holder.startsOn}`;
      throw new ConflictError(
        `${committeeName(branch)} already has a ${role === 'CHAIR' ? 'chair' : 'leader for that group'} (${held}): end that appointment first`,
        'ROLE_TAKEN',
        { role, appointmentId: holder.id },
      );
    }
  }
  return appointment;
}

function groupOf(
  role: CommitteeRole,
  branch: Branch | undefined,
  groupId: string | null | undefined,
  group: UnionGroup | undefined,
  startsOn: string,
): string | undefined {
  if (role !== 'GROUP_LEADER') {
    if (groupId) {
      throw new InvalidInputError('only a GROUP_LEADER appointment names a group', 'GROUP_ONLY_FOR_LEADER', {
        field: 'groupId',
      });
    }
    return undefined;
  }
  if (!branch) {
    throw new InvalidInputError(
      'union groups belong to branches: group leaders sit on a branch committee',
      'GROUP_LEADER_NEEDS_BRANCH',
      { field: 'branchId' },
    );
  }
  if (!groupId || !group || group.id !== groupId) {
    throw new InvalidInputError('a GROUP_LEADER appointment names the group led', 'GROUP_REQUIRED', {
      field: 'groupId',
    });
  }
  if (group.branchId !== branch.id) {
    throw new InvalidInputError('the group belongs to another branch', 'GROUP_OF_ANOTHER_BRANCH', {
      field: 'groupId',
    });
  }
  if (group.status !== 'ACTIVE') {
    throw new ConflictError(`union group ${group.name} is dissolved`, 'GROUP_NOT_ACTIVE', { groupId });
  }
  if (startsOn < group.formedOn) {
    throw new InvalidInputError('the term starts before the group was formed', 'TERM_BEFORE_FORMING', {
      field: 'startsOn',
    });
  }
  return groupId;
}

/**
 * 免职 / 任期届满: ends an appointment on `endsOn` (its last day in office; today when omitted). An open-ended
 * term, or one ending later, can be ended; one that already ends by then cannot be ended again.
 */
export function endAppointment(
  appointment: CommitteeAppointment,
  input: { endsOn?: string | null; reason?: string | null },
  today: string = todayInShanghai(),
): CommitteeAppointment {
  const endsOn = input.endsOn ? parseIsoDate(input.endsOn, 'endsOn') : today;
  if (appointment.endsOn && appointment.endsOn <= endsOn) {
    throw new ConflictError(`the appointment already ends on ${appointment.endsOn}`, 'ALREADY_ENDED', {
      appointmentId: appointment.id,
    });
  }
  if (endsOn < appointment.startsOn) {
    throw new InvalidInputError(
      `the term starts on ${appointment.startsOn}: it cannot end before that`,
      'INVALID_TERM',
      { field: 'endsOn' },
    );
  }
  return { ...appointment, endsOn, endReason: input.reason?.trim() || null };
}

/**
 * Ends an appointment because its holder or its committee is gone from `day` on (the member left the branch,
 * the branch merged or dissolved, the group dissolved): the last day in office is the day before, or the start
 * for a term that had not begun. Undefined for a term that already ended before then.
 */
export function closeAppointment(
  appointment: CommitteeAppointment,
  day: string,
  reason: string,
): CommitteeAppointment | undefined {
  const lastDay = dayBefore(day) < appointment.startsOn ? appointment.startsOn : dayBefore(day);
  if (appointment.endsOn && appointment.endsOn <= lastDay) return undefined;
  return { ...appointment, endsOn: lastDay, endReason: reason };
}

/** How a member leaves: a transfer leaves one branch, the others leave active membership. */
export type Leaving = 'TRANSFERRED' | 'RETIRED' | 'WITHDRAWN' | 'DECEASED';

/**
 * 离任: the terms a member's leaving ends, on their last day before it takes effect — on the committee of the
 * branch they leave for a transfer (whichever path moves them: a transfer, a merge, a roster import), everywhere
 * for retirement, withdrawal or death. Terms already over are left as they are.
 */
export function termsEndedByLeaving(
  held: readonly CommitteeAppointment[],
  leaving: { change: Leaving; fromBranchId: string; effectiveOn: string },
): CommitteeAppointment[] {
  return held
    .filter((a) => leaving.change !== 'TRANSFERRED' || a.branchId === leaving.fromBranchId)
    .map((a) => closeAppointment(a, leaving.effectiveOn, `MEMBER_${leaving.change}`))
    .filter((a): a is CommitteeAppointment => a !== undefined);
}

/**
 * 更换组长: the group's current leader (if any) hands over on `effectiveOn` (today when omitted, never in the
 * future): their term ends the day before, and the successor's starts that day (appointed with `appoint`).
 */
export function handOverLeadership(
  current: CommitteeAppointment | undefined,
  successorId: string,
  input: { effectiveOn?: string | null },
  today: string = todayInShanghai(),
): { startsOn: string; ended?: CommitteeAppointment } {
  const startsOn = input.effectiveOn ? parseIsoDate(input.effectiveOn, 'effectiveOn') : today;
  if (startsOn > today) {
    throw new InvalidInputError('effectiveOn lies in the future', 'EFFECTIVE_IN_FUTURE', {
      field: 'effectiveOn',
    });
  }
  if (!current) return { startsOn };
  if (current.memberId === successorId) {
    throw new InvalidInputError('the member already leads the group', 'ALREADY_LEADER', {
      field: 'memberId',
    });
  }
  if (current.startsOn >= startsOn) {
    throw new InvalidInputError(
      `the current leader took office on ${current.startsOn}: hand over after that`,
      'EFFECTIVE_BEFORE_CURRENT_TERM',
      { field: 'effectiveOn' },
    );
  }
  return { startsOn, ended: { ...current, endsOn: dayBefore(startsOn), endReason: 'HANDED_OVER' } };
}
