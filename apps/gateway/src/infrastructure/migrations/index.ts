import { AUDIT_MIGRATIONS } from '@unionfed/audit';
import { IdentitySchema1763900000100 } from './1763900000100-identity-schema';
import { OidcLogin1763900000300 } from './1763900000300-oidc-login';
import { SignInThrottle1763900000400 } from './1763900000400-sign-in-throttle';
import { AuditIntoSharedTrail1764700000100 } from './1764700000100-audit-into-shared-trail';

export const GATEWAY_MIGRATIONS = [
  IdentitySchema1763900000100,
  OidcLogin1763900000300,
  SignInThrottle1763900000400,
  // the shared audit trail (libs/audit), then the gateway's audit_event moved into it
  ...AUDIT_MIGRATIONS,
  AuditIntoSharedTrail1764700000100,
];
