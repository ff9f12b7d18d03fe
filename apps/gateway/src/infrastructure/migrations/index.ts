import { IdentitySchema1763900000100 } from './1763900000100-identity-schema';

export const GATEWAY_MIGRATIONS = [IdentitySchema1763900000100];
