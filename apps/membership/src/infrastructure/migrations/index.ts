import { AUDIT_MIGRATIONS } from '@unionfed/audit';
import { MembershipSchema1763800000100 } from './1763800000100-membership-schema';
import { FederationStructure1763800000300 } from './1763800000300-federation-structure';
import { RosterImport1763800000400 } from './1763800000400-roster-import';
import { RosterQueryIndexes1763800000410 } from './1763800000410-roster-query-indexes';
import { RosterCountIndexes1763800000420 } from './1763800000420-roster-count-indexes';
import { MemberTransfers1763800000500 } from './1763800000500-member-transfers';
import { HeadcountsAndNameSearch1764800000000 } from './1764800000000-headcounts-and-name-search';

export const MEMBERSHIP_MIGRATIONS = [
  MembershipSchema1763800000100,
  FederationStructure1763800000300,
  RosterImport1763800000400,
  RosterQueryIndexes1763800000410,
  RosterCountIndexes1763800000420,
  MemberTransfers1763800000500,
  // the audit trail (libs/audit): every command writes its rows in its own transaction
  ...AUDIT_MIGRATIONS,
  HeadcountsAndNameSearch1764800000000,
];
