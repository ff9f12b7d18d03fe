import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@unionfed/domain-kit';
import { isUuid, uuidv7 } from '@unionfed/persistence';
import { SYSTEM, type RequestActing } from '@unionfed/audit';
import {
  admitMember,
  changeStatus,
  type AdmitMemberInput,
  type Member,
  type MemberHistoryEntry,
  normaliseStaffNumber,
} from '../domain/member';
import { openBranch, openCampus, type Branch, type Campus } from '../domain/structure';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { MembershipUnitOfWork, type MembershipWork } from '../infrastructure/membership.unit-of-work';
import { branchOpened, memberJoined, memberStatusChanged, memberTransferred } from './integration-events';
import { closeAppointmentsOnLeaving } from './structure.commands';

/**
 * Membership's write path. Each command runs in ONE unit of work: its state change, its integration events
 * (outbox) and its audit row commit together or not at all. Access is checked inside it, on what the locked
 * read found. A race on a unique value (two openings of one campus code) ends in CONFLICT through the unit's
 * constraint map (MEMBERSHIP_CONFLICTS).
 */
@Injectable()
export class MembershipCommands {
  constructor(
    private readonly unitOfWork: MembershipUnitOfWork,
    private readonly repository: MembershipRepository,
  ) {}

  openCampus(input: { code: string; name: string }, acting: RequestActing = SYSTEM): Promise<Campus> {
    return this.unitOfWork.run(acting, async (work) => {
      acting.reach.assertFederation();
      const campus = openCampus(uuidv7(), input);
      if (await this.repository.findCampusByCode(campus.code, work.manager)) {
        throw new ConflictError(`campus code ${campus.code} is taken`, 'CAMPUS_CODE_TAKEN', {
          campusCode: campus.code,
        });
      }
      await this.repository.insertCampus(work.manager, campus);
      work.audit({
        action: 'CAMPUS_OPENED',
        entityType: 'Campus',
        entityId: campus.id,
        branchId: null,
        after: campus,
      });
      return campus;
    });
  }

  openBranch(
    input: { campusId: string; code: string; name: string; kind: string; staffHeadcount: number },
    acting: RequestActing = SYSTEM,
  ): Promise<Branch> {
    return this.unitOfWork.run(acting, async (work) => {
      acting.reach.assertFederation();
      const { manager } = work;
      const campus = isUuid(input.campusId)
        ? await this.repository.findCampus(input.campusId, manager)
        : undefined;
      if (!campus) throw new NotFoundError('Campus', input.campusId);
      const branch = openBranch(uuidv7(), campus, input);
      if (await this.repository.findBranchByCode(branch.code, manager)) {
        throw new ConflictError(`branch code ${branch.code} is taken`, 'BRANCH_CODE_TAKEN', {
          branchCode: branch.code,
        });
      }
      await this.repository.insertBranch(manager, branch);
      await work.publish(branchOpened(branch, new Date()));
      work.audit({
        action: 'BRANCH_OPENED',
        entityType: 'Branch',
        entityId: branch.id,
        branchId: branch.id,
        after: branch,
      });
      return branch;
    });
  }

  admitMember(
    input: AdmitMemberInput & { branchId: string },
    acting: RequestActing = SYSTEM,
  ): Promise<Member> {
    const staffNumber = normaliseStaffNumber(input.staffNumber);
    return this.unitOfWork.run(acting, async (work) => {
      // the branch is named by the caller (branches are known to all): another branch's is refused outright
      acting.reach.assertBranch(input.branchId);
      const { manager } = work;
      // a shared lock keeps the branch from being dissolved or merged while members join it
      const branch = isUuid(input.branchId)
        ? await this.repository.findBranch(input.branchId, manager, true)
        : undefined;
      if (!branch) throw new NotFoundError('Branch', input.branchId);
      if (await this.repository.findMemberByStaffNumber(staffNumber, manager))
        throw staffNumberTaken(staffNumber);
      const ids = { id: uuidv7(), memberNumber: await this.repository.nextMemberNumber(manager) };
      const { member, history } = admitMember(ids, branch, input);
      const version = uuidv7();
      await this.repository.insertMember(manager, member, { id: version, ...history });
      await work.publish(memberJoined(member, version));
      work.audit({
        action: 'MEMBER_ADMITTED',
        entityType: 'Member',
        entityId: member.id,
        branchId: member.branchId,
        after: member,
      });
      return member;
    });
  }

  /**
   * 退休 / 退会 / 去世: changes the member's status, writes the history entry and the event. A member out of the
   * caller's reach — judged on the locked record, so a transfer cannot slip between check and change — is
   * NOT_FOUND, as one that does not exist.
   */
  changeStatus(
    memberId: string,
    change: StatusChange,
    input: { effectiveOn?: string | null; reason?: string | null },
    acting: RequestActing = SYSTEM,
  ): Promise<Member> {
    return this.unitOfWork.run(acting, async (work) => {
      const { manager } = work;
      const locked = isUuid(memberId) ? await this.repository.findMember(memberId, manager, true) : undefined;
      const member = acting.reach.visibleMember(locked, { self: false });
      if (!member) throw new NotFoundError('Member', memberId);
      const { member: changed, history } = changeStatus(member, change, input);
      const version = uuidv7();
      await this.repository.recordChange(manager, changed, { id: version, ...history });
      const reason = typeof history.details.reason === 'string' ? history.details.reason : undefined;
      await work.publish(memberStatusChanged(changed, change, history.effectiveOn, version, reason));
      // a member who is no longer active holds no committee role (主席, 委员, 组长 …) from that day on
      await closeAppointmentsOnLeaving(work, member, change, history.effectiveOn);
      work.audit({
        action: `MEMBER_${change}`,
        entityType: 'Member',
        entityId: member.id,
        branchId: member.branchId,
        before: member,
        after: changed,
        details: { effectiveOn: history.effectiveOn, reason: reason ?? null },
      });
      return changed;
    });
  }
}

/**
 * 会籍转移's move (on acceptance of a request): the member's record in its new branch with the TRANSFERRED entry,
 * MemberTransferred, and the end of their committee and group-leader terms in the branch they leave — in the
 * caller's unit of work, after it locked the member and the target branch. `history` is the domain's entry.
 */
export async function recordTransfer(
  work: MembershipWork,
  repository: MembershipRepository,
  before: Member,
  moved: { member: Member; history: Omit<MemberHistoryEntry, 'id'> },
  transferId: string,
): Promise<void> {
  const { member, history } = moved;
  const version = uuidv7();
  await repository.recordChange(work.manager, member, { id: version, ...history });
  await work.publish(memberTransferred(member, before.branchId, history.effectiveOn, version, transferId));
  // nor a role on the committee of the branch they left
  await closeAppointmentsOnLeaving(work, before, 'TRANSFERRED', history.effectiveOn);
  work.audit({
    action: 'MEMBER_TRANSFERRED',
    entityType: 'Member',
    entityId: member.id,
    // the row belongs to both branches' business: recorded under the receiving one, the sender in details
    branchId: member.branchId,
    before,
    after: member,
    details: { transferId, fromBranchId: before.branchId },
  });
}

type StatusChange = 'RETIRED' | 'WITHDRAWN' | 'DECEASED';

function staffNumberTaken(staffNumber: string): ConflictError {
  return new ConflictError(`staff number ${staffNumber} already belongs to a member`, 'STAFF_NUMBER_TAKEN', {
    staffNumber,
  });
}
