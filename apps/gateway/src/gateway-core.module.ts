import { Module } from '@nestjs/common';
import { AuditLog } from './application/audit-log';
import { GatewayAuthenticator } from './application/gateway-auth';
import { IdentityService } from './application/identity.service';
import { SigningKeys } from './application/signing-keys';
import { IdentityRepository } from './infrastructure/identity.repository';

/** Identity: the store, signing keys, accounts and sessions, API keys, the audit log, request authentication. */
@Module({
  providers: [IdentityRepository, SigningKeys, AuditLog, IdentityService, GatewayAuthenticator],
  exports: [IdentityRepository, SigningKeys, AuditLog, IdentityService, GatewayAuthenticator],
})
export class GatewayCoreModule {}
