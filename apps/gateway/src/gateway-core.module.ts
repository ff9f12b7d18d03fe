import { Module } from '@nestjs/common';
import { AuditLog } from './application/audit-log';
import { GatewayAuthenticator } from './application/gateway-auth';
import { IdentityService } from './application/identity.service';
import { SigningKeys } from './application/signing-keys';
import { IdentityRepository } from './infrastructure/identity.repository';
import { GatewayUnitOfWork } from './infrastructure/gateway.unit-of-work';

/**
 * Identity: the store, signing keys, accounts and sessions, API keys, the audit log, the unit of work every
 * identity change runs in, request authentication.
 */
@Module({
  providers: [
    IdentityRepository,
    SigningKeys,
    AuditLog,
    GatewayUnitOfWork,
    IdentityService,
    GatewayAuthenticator,
  ],
  exports: [
    IdentityRepository,
    SigningKeys,
    AuditLog,
    GatewayUnitOfWork,
    IdentityService,
    GatewayAuthenticator,
  ],
})
export class GatewayCoreModule {}
