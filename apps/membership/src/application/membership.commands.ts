import { Injectable } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import { ConflictError, NotFoundError } from '@unionfed/domain-kit';
import { inTransaction, uuidv7 } from '@unionfed/persistence';
import { Outbox, type OutboxContext } from '@unionfed/messaging';
import { admitMember, type AdmitMemberInput, type Member, normaliseStaffNumber } from '../domain/member';
import { openBranch, openCampus, type Branch, type Campus } from '../domain/structure';
import { MembershipRepository } from '../infrastructure/membership.repository';
import { branchOpened, memberJoined } from '../infrastructure/events';

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
        await this.repository.insertMember(manager, member, { id: uuidv7(), ...history });
        await this.outbox.add(manager, memberJoined(member), context);
        return member;
      });
    } catch (error) {
      // two admissions of the same staff number racing: the unique index decides, the loser gets CONFLICT
      if (isUniqueViolation(error, 'staff_number')) throw staffNumberTaken(staffNumber);
      throw error;
    }
  }
}

function staffNumberTaken(staffNumber: string): ConflictError {
  return new ConflictError(`staff number ${staffNumber} already belongs to a member`, 'STAFF_NUMBER_TAKEN', {
    staffNumber,
  });
}
