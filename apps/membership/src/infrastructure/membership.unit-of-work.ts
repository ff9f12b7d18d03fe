import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EncodedEvent } from '@unionfed/contracts';
import { AuditTrail, auditSwitchedOff, type AuditEntry, type RequestActing } from '@unionfed/audit';
import { Outbox } from '@unionfed/messaging';
import { UnitOfWork, type ConflictMap, type Work } from '@unionfed/persistence';

/**
 * What each unique constraint of membership's schema means when a racing command violates it: the loser of
 * the race gets CONFLICT with the same reason as a command that saw the taken value first.
 */
export const MEMBERSHIP_CONFLICTS: ConflictMap = {
  campus_code_key: { reason: 'CAMPUS_CODE_TAKEN', message: 'the campus code is taken', field: 'code' },
  branch_code_key: { reason: 'BRANCH_CODE_TAKEN', message: 'the branch code is taken', field: 'code' },
  member_staff_number_key: {
    reason: 'STAFF_NUMBER_TAKEN',
    message: 'the staff number already belongs to a member',
    field: 'staffNumber',
  },
  union_group_active_name: {
    reason: 'GROUP_NAME_TAKEN',
    message: 'the branch already has a union group of this name',
    field: 'name',
  },
  member_transfer_one_pending: {
    reason: 'TRANSFER_ALREADY_PENDING',
    message: 'the member already has a pending transfer request',
  },
};

/** Personal data the audit trail records as changed but never shows (see libs/audit redact). */
export const MEMBERSHIP_REDACTIONS = {
  Member: ['phone', 'email', 'birthDate'],
} as const;

export type MembershipWork = Work<EncodedEvent, AuditEntry, RequestActing>;

/** Membership's unit of work: its outbox, its audit trail, its constraints. Every command runs in it. */
@Injectable()
export class MembershipUnitOfWork extends UnitOfWork<EncodedEvent, AuditEntry> {
  constructor(dataSource: DataSource, outbox: Outbox) {
    super(dataSource, {
      outbox,
      conflicts: MEMBERSHIP_CONFLICTS,
      audit: new AuditTrail({
        redact: MEMBERSHIP_REDACTIONS,
        enabled: !auditSwitchedOff('membership', (message) => new Logger('Audit').warn(message)),
      }),
    });
  }
}
