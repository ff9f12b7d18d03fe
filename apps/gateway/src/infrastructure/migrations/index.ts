import { IdentitySchema1763900000100 } from './1763900000100-identity-schema';
import { OidcLogin1763900000300 } from './1763900000300-oidc-login';
import { SignInThrottle1763900000400 } from './1763900000400-sign-in-throttle';

export const GATEWAY_MIGRATIONS = [
  IdentitySchema1763900000100,
  OidcLogin1763900000300,
  SignInThrottle1763900000400,
];
