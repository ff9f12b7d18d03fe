import { Injectable } from '@nestjs/common';
import type { AuditEntry } from '@unionfed/audit';
import { UnitOfWork, type Acting, type ConflictMap } from '@unionfed/persistence';
import type { Principal } from '@unionfed/auth';
import { AuditLog } from '../application/audit-log';
import { IdentityRepository } from './identity.repository';

/** The identity schema's unique constraints, as the loser of a race hears of them. */
export const GATEWAY_CONFLICTS: ConflictMap = {
  account_username_key: { reason: 'USERNAME_TAKEN', message: 'the username is taken', field: 'username' },
  account_member_id_key: {
    reason: 'MEMBER_ALREADY_LINKED',
    message: 'That member is linked to another account',
    field: 'memberId',
  },
  api_key_prefix_key: { reason: 'API_KEY_PREFIX_TAKEN', message: 'try again: the key prefix is taken' },
};

const SYSTEM_ACTING_GATEWAY: Acting = { actorId: '', actorName: '', role: null, roleBranchId: null };

/**
 * The acting principal of an identity change: who, and the grant used — of the roles that may make it (ADMIN
 * unless told), an HQ one before one of `branchId` before any other branch's.
 */
export function actingFor(
  principal: Principal | undefined,
  { roles = ['ADMIN'], branchId }: { roles?: readonly string[]; branchId?: string } = {},
): Acting {
  if (!principal || principal.kind === 'anonymous') return SYSTEM_ACTING_GATEWAY;
  const usable = principal.grants.filter((g) => roles.includes(g.role));
  const grant =
    usable.find((g) => g.branchId === null) ??
    usable.find((g) => branchId !== undefined && g.branchId === branchId) ??
    usable[0];
  return {
    actorId: principal.subject,
    actorName: principal.name,
    role: grant?.role ?? null,
    roleBranchId: grant?.branchId ?? null,
  };
}

/** The gateway's unit of work: every identity change runs in it, with its audit rows in the same transaction. */
@Injectable()
export class GatewayUnitOfWork extends UnitOfWork<never, AuditEntry> {
  constructor(repository: IdentityRepository, audit: AuditLog) {
    super(repository.dataSource, { audit: audit.trail, conflicts: GATEWAY_CONFLICTS });
  }
}
