import { Injectable, Logger } from '@nestjs/common';
import { Reach } from '@unionfed/auth';
import { AuditTrail, listAuditLog, type AuditEntry, type RedactionRules } from '@unionfed/audit';
import { SYSTEM_ACTING, type Work } from '@unionfed/persistence';
import {
  IdentityRepository,
  type AuditEventInput,
  type AuditEventRow,
  type AuditFilter,
} from '../infrastructure/identity.repository';

/**
 * What the gateway's audit rows never hold, by entity type: the one-time passwords on an account's record of
 * creation or reset (the row keeps that one was issued — "[REDACTED]" — never the value).
 */
export const GATEWAY_REDACTIONS: RedactionRules = { Account: ['oneTimePassword', 'password'] };

/** Events recorded on their own name their actor themselves (or have none: an unknown caller). */
const NOBODY = { ...SYSTEM_ACTING, actorName: '' };

/** The gateway's unit of work: identity changes and their audit rows (no outbox: the gateway publishes nothing). */
export type GatewayWork = Work<never, AuditEntry>;

/** An identity event as the shared audit trail stores it (libs/audit's audit_log). */
export function auditEntry(event: AuditEventInput): AuditEntry {
  return {
    action: event.action,
    outcome: event.outcome,
    // none named: the unit of work's acting principal
    actorId: event.actorId,
    actorName: event.actorName,
    address: event.address ?? null,
    entityType: event.entity ?? null,
    entityId: event.entityId ?? null,
    branchId: event.branchId ?? null,
    details: event.details ?? {},
  };
}

/**
 * The gateway's audit log (sign-ins, token refreshes, API key use, role grants, refused access), kept in the
 * shared audit trail (libs/audit). Inside a unit of work an event commits with the change it describes
 * (`within`); on its own it is written at once (`record`), and a failure to write it is logged rather than turned
 * into the caller's error.
 */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger('Audit');
  /** what the gateway's unit of work writes its entries with */
  readonly trail = new AuditTrail({ redact: GATEWAY_REDACTIONS });

  constructor(private readonly repository: IdentityRepository) {}

  /** Records the event in the unit of work's transaction: it commits, or rolls back, with the change. */
  within(work: GatewayWork, event: AuditEventInput): void {
    work.audit(auditEntry(event));
  }

  /** Records an event on its own (sign-in failures, refusals: they stay whatever the request's outcome). */
  async record(event: AuditEventInput): Promise<void> {
    try {
      await this.trail.write(this.repository.dataSource.manager, NOBODY, [auditEntry(event)]);
    } catch (error) {
      this.logger.error({ msg: 'could not write audit event', event, error: String(error) });
    }
  }

  /** Newest first; `auditLog` is HQ's (scope FEDERATION), so the whole trail is within reach. */
  async list(filter: AuditFilter, first: number, beforeId?: string): Promise<AuditEventRow[]> {
    const rows = await listAuditLog(this.repository.dataSource, Reach.EVERYTHING, filter, first, beforeId);
    return rows.map((row) => ({
      id: row.id,
      at: row.occurredAt,
      action: row.action,
      outcome: row.outcome as AuditEventRow['outcome'],
      actorId: row.actorId || null,
      actorName: row.actorName || null,
      address: row.address,
      entity: row.entityType,
      entityId: row.entityId,
      branchId: row.branchId,
      details: row.details,
    }));
  }
}
