import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { ConflictError, NotFoundError } from '@unionfed/domain-kit';
import { inTransaction, uuidv7 } from '@unionfed/persistence';
import { Outbox, type OutboxContext } from '@unionfed/messaging';
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
import { branchOpened, memberJoined, memberStatusChanged, memberTransferred } from '../infrastructure/events';
import { closeAppointmentsOnLeaving } from './structure.commands';

const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(error: unknown, constraintPart: string): boolean {
  const driverError = (error as QueryFailedError & { driverError?: { code?: string; constraint?: string } })
    .driverError;
  return (
    error instanceof QueryFailedError &&
    driverError?.code === UNIQUE_VIOLATION &&
    !!driverError.constraint?.includes(constraintPart)
  );
}

/**
 * Membership's write path. Each command changes state and writes its integration events to the outbox in ONE
 * transaction: either both happen or neither.
 */
@Injectable()
export class MembershipCommands {
  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: MembershipRepository,
    private readonly outbox: Outbox,
  ) {}

  async openCampus(input: { code: string; name: string }): Promise<Campus> {
    const campus = openCampus(uuidv7(), input);
    if (await this.repository.findCampusByCode(campus.code)) {
      throw new ConflictError(`campus code ${campus.code} is taken`, 'CAMPUS_CODE_TAKEN', {
        code: campus.code,
      });
    }
    await inTransaction(this.dataSource, (manager) => this.repository.insertCampus(manager, campus));
    return campus;
  }

  async openBranch(
    input: { campusId: string; code: string; name: string; kind: string; staffHeadcount: number },
    context: OutboxContext = {},
  ): Promise<Branch> {
    try {
      return await inTransaction(this.dataSource, async (manager) => {
        const campus = await this.repository.findCampus(input.campusId, manager);
        if (!campus) throw new NotFoundError('Campus', input.campusId);
        const branch = openBranch(uuidv7(), campus, input);
        if (await this.repository.findBranchByCode(branch.code, manager)) {
          throw new ConflictError(`branch code ${branch.code} is taken`, 'BRANCH_CODE_TAKEN', {
            code: branch.code,
          });
        }
        await this.repository.insertBranch(manager, branch);
        await this.outbox.add(manager, branchOpened(branch, new Date()), context);
        return branch;
      });
    } catch (error) {
      if (isUniqueViolation(error, 'code')) {
        throw new ConflictError(`branch code ${input.code} is taken`, 'BRANCH_CODE_TAKEN', {
          code: input.code,
        });
      }
      throw error;
    }
  }

  async admitMember(
    input: AdmitMemberInput & { branchId: string },
    context: OutboxContext = {},
  ): Promise<Member> {
    const staffNumber = normaliseStaffNumber(input.staffNumber);
    try {
      return await inTransaction(this.dataSource, async (manager) => {
        // a shared lock keeps the branch from being dissolved or merged while members join it
        const branch = await this.repository.findBranch(input.branchId, manager, true);
        if (!branch) throw new NotFoundError('Branch', input.branchId);
        if (await this.repository.findMemberByStaffNumber(staffNumber, manager))
          throw staffNumberTaken(staffNumber);
        const ids = { id: uuidv7(), memberNumber: await this.repository.nextMemberNumber(manager) };
        const { member, history } = admitMember(ids, branch, input);
        const version = uuidv7();
        await this.repository.insertMember(manager, member, { id: version, ...history });
        await this.outbox.add(manager, memberJoined(member, version), context);
        return member;
      });
    } catch (error) {
      // two admissions of the same staff number racing: the unique index decides, the loser gets CONFLICT
      if (isUniqueViolation(error, 'staff_number')) throw staffNumberTaken(staffNumber);
      throw error;
    }
  }

  /** 退休 / 退会 / 去世: changes the member's status, writes the history entry and the event. */
  changeStatus(
    memberId: string,
    change: StatusChange,
    input: { effectiveOn?: string | null; reason?: string | null },
    context: OutboxContext = {},
  ): Promise<Member> {
    return inTransaction(this.dataSource, async (manager) => {
      const member = await this.repository.findMember(memberId, manager, true);
      if (!member) throw new NotFoundError('Member', memberId);
      const { member: changed, history } = changeStatus(member, change, input);
      const version = uuidv7();
      await this.repository.recordChange(manager, changed, { id: version, ...history });
      const reason = typeof history.details.reason === 'string' ? history.details.reason : undefined;
      await this.outbox.add(
        manager,
        memberStatusChanged(changed, change, history.effectiveOn, version, reason),
        context,
      );
      // a member who is no longer active holds no committee role (主席, 委员, 组长 …) from that day on
      await closeAppointmentsOnLeaving(manager, this.outbox, member, change, history.effectiveOn, context);
      return changed;
    });
  }
}

/**
 * 会籍转移's move (on acceptance of a request): the member's record in its new branch with the TRANSFERRED entry,
 * MemberTransferred, and the end of their committee and group-leader terms in the branch they leave — in the
 * caller's transaction, after it locked the member and the target branch. `history` is the domain's entry.
 */
export async function recordTransfer(
  manager: EntityManager,
  repository: MembershipRepository,
  outbox: Outbox,
  before: Member,
  moved: { member: Member; history: Omit<MemberHistoryEntry, 'id'> },
  transferId: string,
  context: OutboxContext = {},
): Promise<void> {
  const { member, history } = moved;
  const version = uuidv7();
  await repository.recordChange(manager, member, { id: version, ...history });
  await outbox.add(
    manager,
    memberTransferred(member, before.branchId, history.effectiveOn, version, transferId),
    context,
  );
  // nor a role on the committee of the branch they left
  await closeAppointmentsOnLeaving(manager, outbox, before, 'TRANSFERRED', history.effectiveOn, context);
}

type StatusChange = 'RETIRED' | 'WITHDRAWN' | 'DECEASED';

function staffNumberTaken(staffNumber: string): ConflictError {
  return new ConflictError(`staff number ${staffNumber} already belongs to a member`, 'STAFF_NUMBER_TAKEN', {
    staffNumber,
  });
}
