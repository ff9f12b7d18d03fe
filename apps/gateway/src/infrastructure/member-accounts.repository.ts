import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { DirectoryMember } from '../domain/member-accounts';

const MEMBER_COLUMNS = `m.member_id AS id, m.branch_id AS "branchId", m.staff_number AS "staffNumber", m.name, m.status`;

/**
 * Member accounts against the gateway's copy of the membership directory (libs/directory's `member_directory`,
 * fed by membership's events): who a member is, in which branch, whether they are still a member — read with the
 * locks that keep an account's creation and its member's leaving in order.
 */
@Injectable()
export class MemberAccountRepository {
  constructor(readonly dataSource: DataSource) {}

  private q(manager?: EntityManager) {
    return (sql: string, params: unknown[] = []) =>
      (manager ?? this.dataSource.manager).query(sql, params) as Promise<never[]>;
  }

  /**
   * A member of the directory. `SHARE` while an account is made for them: a leaving event's handler, which locks
   * the row FOR UPDATE first, then waits for the account and disables it — or is waited for, and the member is
   * seen as gone.
   */
  async member(
    memberId: string,
    manager?: EntityManager,
    lock?: 'SHARE' | 'UPDATE',
  ): Promise<DirectoryMember | undefined> {
    const rows = await this.q(manager)(
      `SELECT ${MEMBER_COLUMNS} FROM member_directory m WHERE m.member_id = $1${lock ? ` FOR ${lock}` : ''}`,
      [memberId],
    );
    return rows[0];
  }

  async branchKnown(branchId: string, manager?: EntityManager): Promise<boolean> {
    const rows = await this.q(manager)(`SELECT 1 FROM branch_directory WHERE branch_id = $1`, [branchId]);
    return rows.length > 0;
  }

  /**
   * One member-account change of a branch at a time (a bulk run and a single creation, or two bulk runs): the
   * second waits and then sees what the first made, instead of failing on the member's unique account.
   */
  async lockBranch(manager: EntityManager, branchId: string): Promise<void> {
    await this.q(manager)(`SELECT pg_advisory_xact_lock(hashtext('member-accounts'), hashtext($1))`, [
      branchId,
    ]);
  }

  /** The branch's active members who have no account, by staff number, their rows locked (SHARE) as `member`. */
  async activeMembersWithoutAccount(manager: EntityManager, branchId: string): Promise<DirectoryMember[]> {
    return this.q(manager)(
      `SELECT ${MEMBER_COLUMNS} FROM member_directory m
        WHERE m.branch_id = $1 AND m.status = 'ACTIVE'
          AND NOT EXISTS (SELECT 1 FROM account a WHERE a.member_id = m.member_id)
        ORDER BY m.staff_number NULLS LAST, m.member_id
        FOR SHARE OF m`,
      [branchId],
    );
  }
}
