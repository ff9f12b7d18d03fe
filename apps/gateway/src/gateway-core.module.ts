import { Module } from '@nestjs/common';
import { AuditLog } from './application/audit-log';
import { GatewayAuthenticator } from './application/gateway-auth';
import { AccountService } from './application/accounts.service';
import { ApiKeyService } from './application/api-keys.service';
import { InitialAdmin } from './application/initial-admin.service';
import { SessionService } from './application/sessions.service';
import { SigningKeys } from './application/signing-keys';
import { IdentityRepository } from './infrastructure/identity.repository';
import { GatewayUnitOfWork } from './infrastructure/gateway.unit-of-work';

/**
 * Identity: the store, signing keys, sessions (sign-in), account administration, API keys, the initial HQ admin,
 * the audit log, the unit of work every identity change runs in, request authentication.
 */
@Module({
  providers: [
    IdentityRepository,
    SigningKeys,
    AuditLog,
    GatewayUnitOfWork,
    SessionService,
    AccountService,
    ApiKeyService,
    InitialAdmin,
    GatewayAuthenticator,
  ],
  exports: [
    IdentityRepository,
    SigningKeys,
    AuditLog,
    GatewayUnitOfWork,
    SessionService,
    AccountService,
    ApiKeyService,
    InitialAdmin,
    GatewayAuthenticator,
  ],
})
export class GatewayCoreModule {}
