import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  IdentityRepository,
  type AuditEventInput,
  type AuditEventRow,
  type AuditFilter,
} from '../infrastructure/identity.repository';

/**
 * The audit log (sign-ins, token refreshes, API key use, role grants, refused access). Inside a transaction an
 * event commits with the change it describes; on its own it is written at once, and a failure to write it is
 * logged rather than turned into the caller's error.
 */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger('Audit');

  constructor(private readonly repository: IdentityRepository) {}

  async record(event: AuditEventInput, manager?: EntityManager): Promise<void> {
    if (manager) return this.repository.insertAudit(event, manager);
    try {
      await this.repository.insertAudit(event);
    } catch (error) {
      this.logger.error({ msg: 'could not write audit event', event, error: String(error) });
    }
  }

  list(filter: AuditFilter, first: number, beforeId?: string): Promise<AuditEventRow[]> {
    return this.repository.listAudit(filter, first, beforeId);
  }
}
