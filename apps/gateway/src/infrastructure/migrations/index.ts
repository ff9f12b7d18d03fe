import { AUDIT_MIGRATIONS } from '@unionfed/audit';
import { DIRECTORY_MIGRATIONS } from '@unionfed/directory';
import { MESSAGING_MIGRATIONS } from '@unionfed/messaging';
import { IdentitySchema1763900000100 } from './1763900000100-identity-schema';
import { OidcLogin1763900000300 } from './1763900000300-oidc-login';
import { SignInThrottle1763900000400 } from './1763900000400-sign-in-throttle';
import { AuditIntoSharedTrail1764700000100 } from './1764700000100-audit-into-shared-trail';
import { AccountDisabledReason1764900000100 } from './1764900000100-account-disabled-reason';

export const GATEWAY_MIGRATIONS = [
  // the inbox and dead letters of the gateway's consumers, and its copy of the membership directory (member
  // accounts are checked against it); older than the identity schema, so a gateway upgraded from before runs
  // them first among the pending ones
  ...MESSAGING_MIGRATIONS,
  ...DIRECTORY_MIGRATIONS,
  IdentitySchema1763900000100,
  OidcLogin1763900000300,
  SignInThrottle1763900000400,
  // the shared audit trail (libs/audit), then the gateway's audit_event moved into it
  ...AUDIT_MIGRATIONS,
  AuditIntoSharedTrail1764700000100,
  AccountDisabledReason1764900000100,
];
