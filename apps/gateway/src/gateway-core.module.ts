import { Module } from '@nestjs/common';
import { AuditLog } from './application/audit-log';
import { GatewayAuthenticator } from './application/gateway-auth';
import { AccountService } from './application/accounts.service';
import { ApiKeyService } from './application/api-keys.service';
import { InitialAdmin } from './application/initial-admin.service';
import { MemberAccountService } from './application/member-accounts.service';
import { SessionService } from './application/sessions.service';
import { SigningKeys } from './application/signing-keys';
import { IdentityRepository } from './infrastructure/identity.repository';
import { GatewayUnitOfWork } from './infrastructure/gateway.unit-of-work';
import { MemberAccountRepository } from './infrastructure/member-accounts.repository';

/**
 * Identity: the store, signing keys, sessions (sign-in), account administration, members' own accounts, API keys,
 * the initial HQ admin, the audit log, the unit of work every identity change runs in, request authentication.
 */
@Module({
  providers: [
    IdentityRepository,
    MemberAccountRepository,
    SigningKeys,
    AuditLog,
    GatewayUnitOfWork,
    SessionService,
    AccountService,
    ApiKeyService,
    InitialAdmin,
    MemberAccountService,
    GatewayAuthenticator,
  ],
  exports: [
    IdentityRepository,
    MemberAccountRepository,
    SigningKeys,
    AuditLog,
    GatewayUnitOfWork,
    SessionService,
    AccountService,
    ApiKeyService,
    InitialAdmin,
    MemberAccountService,
    GatewayAuthenticator,
  ],
})
export class GatewayCoreModule {}
