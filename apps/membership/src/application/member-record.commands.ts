import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '@unionfed/domain-kit';
import { isUuid, uuidv7 } from '@unionfed/persistence';
import { SYSTEM, type RequestActing } from '@unionfed/audit';
import type { Member, MemberHistoryEntry } from '../domain/member';
import { correctProfile, reinstate, type ProfileCorrection } from '../domain/member-record';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { MembershipUnitOfWork, type MembershipWork } from '../infrastructure/membership.unit-of-work';
import { memberProfileUpdated, memberReinstated } from './integration-events';

/**
 * Changes to a member's record outside the lifecycle's usual steps: correcting the profile (更正会员信息) and
 * reinstating a member who withdrew (重新入会). Each runs in one unit of work — the record, its history entry, its
 * event and its audit row commit together — and judges the caller's reach on the locked record: a member out of
 * reach is NOT_FOUND, as one that does not exist (and the attempt is audited).
 */
@Injectable()
export class MemberRecordCommands {
  constructor(
    private readonly unitOfWork: MembershipUnitOfWork,
    private readonly repository: MembershipRepository,
  ) {}

  /**
   * 更正会员信息: the fields given are corrected (PROFILE_UPDATED, MemberProfileUpdated with the whole new
   * profile); a correction that changes nothing writes nothing. A staff number (工号) another member has is
   * CONFLICT (STAFF_NUMBER_TAKEN), as at admission.
   */
  correctProfile(
    memberId: string,
    correction: ProfileCorrection,
    acting: RequestActing = SYSTEM,
  ): Promise<Member> {
    return this.unitOfWork.run(acting, async (work) => {
      const member = await this.lockedMember(work, memberId);
      const corrected = correctProfile(member, correction);
      if (!corrected) return member;
      if (corrected.changed.includes('staffNumber')) {
        const holder = await this.repository.findMemberByStaffNumber(
          corrected.member.staffNumber,
          work.manager,
        );
        if (holder) {
          throw new ConflictError(
            `staff number ${corrected.member.staffNumber} already belongs to a member`,
            'STAFF_NUMBER_TAKEN',
            { field: 'staffNumber' },
          );
        }
      }
      const version = uuidv7();
      await this.repository.recordProfile(work.manager, corrected.member, {
        id: version,
        ...corrected.history,
      });
      await work.publish(memberProfileUpdated(corrected.member, corrected.history.effectiveOn, version));
      const reason = correction.reason?.trim() || null;
      work.audit({
        action: 'MEMBER_PROFILE_CORRECTED',
        entityType: 'Member',
        entityId: member.id,
        branchId: member.branchId,
        before: member,
        after: corrected.member,
        details: { fields: corrected.changed, reason },
      });
      return corrected.member;
    });
  }

  /**
   * 重新入会: a withdrawn member rejoins — in their last branch, or in `branchId` (which the caller must reach
   * too; FORBIDDEN otherwise, as for an admission) — with the status they withdrew from (REINSTATED,
   * MemberReinstated). Counted in their branch's active members, and so in its join rate, again.
   */
  reinstate(
    input: {
      memberId: string;
      branchId?: string | null;
      effectiveOn?: string | null;
      reason?: string | null;
    },
    acting: RequestActing = SYSTEM,
  ): Promise<Member> {
    return this.unitOfWork.run(acting, async (work) => {
      const member = await this.lockedMember(work, input.memberId);
      const toBranchId = input.branchId ?? member.branchId;
      if (toBranchId !== member.branchId) acting.reach.assertBranch(toBranchId);
      // a shared lock keeps the branch from being merged or dissolved while the member rejoins it
      const to = isUuid(toBranchId)
        ? await this.repository.findBranch(toBranchId, work.manager, true)
        : undefined;
      if (!to) throw new NotFoundError('Branch', toBranchId);
      const history = (await this.repository.history(member.id, work.manager)) as MemberHistoryEntry[];
      const reinstated = reinstate(member, history, to, input);
      const version = uuidv7();
      await this.repository.recordChange(work.manager, reinstated.member, {
        id: version,
        ...reinstated.history,
      });
      const reason = input.reason?.trim() || undefined;
      await work.publish(
        memberReinstated(reinstated.member, reinstated.history.effectiveOn, version, {
          fromBranchId: reinstated.fromBranchId,
          reason,
        }),
      );
      work.audit({
        action: 'MEMBER_REINSTATED',
        entityType: 'Member',
        entityId: member.id,
        branchId: reinstated.member.branchId,
        before: member,
        after: reinstated.member,
        details: {
          effectiveOn: reinstated.history.effectiveOn,
          reason: reason ?? null,
          fromBranchId: reinstated.fromBranchId ?? null,
        },
      });
      return reinstated.member;
    });
  }

  /** The member, locked; NOT_FOUND when there is none or when it is out of the caller's reach. */
  private async lockedMember(work: MembershipWork, memberId: string): Promise<Member> {
    const locked = isUuid(memberId)
      ? await this.repository.findMember(memberId, work.manager, true)
      : undefined;
    const member = work.acting.reach.visibleMember(locked, { self: false });
    if (!member) throw new NotFoundError('Member', memberId);
    return member;
  }
}
