import { MembershipSchema1763800000100 } from './1763800000100-membership-schema';

export const MEMBERSHIP_MIGRATIONS = [MembershipSchema1763800000100];
