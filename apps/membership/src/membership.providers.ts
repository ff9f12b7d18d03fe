import { auditLogResolver } from '@unionfed/audit';
import { httpRoutesOf } from '@unionfed/service-kit';
import { SUBGRAPH_TYPE_PATHS } from './graphql/subgraph';
import type { Member } from './domain/member';
import { MembershipRepository } from './infrastructure/membership.repository';
import { MembershipUnitOfWork } from './infrastructure/membership.unit-of-work';
import { MembershipCommands } from './application/membership.commands';
import {
  BranchResolver,
  CampusResolver,
  MemberResolver,
  MembershipRootResolver,
} from './graphql/membership.resolver';
import { StructureRepository } from './infrastructure/structure.repository';
import { StructureCommands } from './application/structure.commands';
import {
  BranchStructureResolver,
  CommitteeAppointmentResolver,
  MemberGroupResolver,
  StructureRootResolver,
  UnionGroupResolver,
} from './graphql/structure.resolver';
import { RosterImportRepository } from './infrastructure/roster-import.repository';
import { RosterImports } from './application/roster-import';
import { RosterExport } from './application/roster-export';
import { RosterImportResolver } from './graphql/roster-import.resolver';
import { TransferRepository } from './infrastructure/transfer.repository';
import { TransferCommands } from './application/transfer.commands';
import { TransferResolver } from './graphql/transfer.resolver';
import { HeadcountRepository } from './infrastructure/headcount.repository';
import { HeadcountCommands } from './application/headcount.commands';
import {
  BranchHeadcountResolver,
  HeadcountRootResolver,
  StatisticsJoinRateResolver,
} from './graphql/headcount.resolver';
import { MemberRecordCommands } from './application/member-record.commands';
import { MemberRecordResolver } from './graphql/member-record.resolver';
import { SelfServiceResolver } from './graphql/self-service.resolver';

// The service's parts, for MembershipModule and for the tests that serve a part of it (no configuration read here).

/** The subgraph as the service serves it: its SDL, and each Member entity scoped to its branch and itself. */
export const MEMBERSHIP_SUBGRAPH = {
  typePaths: SUBGRAPH_TYPE_PATHS,
  // the roster files (http/roster-files.controller.ts): membership's entries of the gateway's route table
  httpRoutes: httpRoutesOf('membership'),
  entityScopes: { Member: (member: Member) => ({ branchId: member.branchId, memberId: member.id }) },
};

/**
 * Campuses, branches and members: the roster, the lifecycle commands (会籍转移's requests, corrections and
 * reinstatements too), the staff headcounts, their resolvers.
 */
export const MEMBER_PROVIDERS = [
  MembershipUnitOfWork,
  MembershipRepository,
  MembershipCommands,
  TransferRepository,
  TransferCommands,
  TransferResolver,
  MemberRecordCommands,
  MemberRecordResolver,
  // setBranchStaffHeadcount locks the branch as merges do (StructureRepository)
  StructureRepository,
  HeadcountRepository,
  HeadcountCommands,
  HeadcountRootResolver,
  BranchHeadcountResolver,
  StatisticsJoinRateResolver,
  MembershipRootResolver,
  CampusResolver,
  BranchResolver,
  MemberResolver,
  // membershipAuditLog (libs/audit): the audit trail's field, as every service has it
  auditLogResolver('membership'),
  // a member's own record (myMembership)
  SelfServiceResolver,
];

/** Union groups, committees, merges and dissolutions (with MEMBER_PROVIDERS: StructureRepository is there). */
export const STRUCTURE_PROVIDERS = [
  StructureCommands,
  StructureRootResolver,
  CommitteeAppointmentResolver,
  UnionGroupResolver,
  BranchStructureResolver,
  MemberGroupResolver,
];

/** Roster imports and exports (with RosterFilesController for the files). */
export const ROSTER_FILE_PROVIDERS = [
  RosterImportRepository,
  RosterImports,
  RosterExport,
  RosterImportResolver,
];
