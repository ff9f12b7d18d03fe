import { SUBGRAPH_TYPE_PATHS } from './graphql/subgraph';
import { Module } from '@nestjs/common';
import type { Member } from './domain/member';
import { ServiceCoreModule } from '@unionfed/service-kit';
import { subgraphModule } from '@unionfed/graphql-kit';
import { MEMBERSHIP_ENTITIES } from './infrastructure/entities';
import { MEMBERSHIP_MIGRATIONS } from './infrastructure/migrations';
import { MembershipRepository } from './infrastructure/membership.repository';
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
import { RosterFilesController } from './http/roster-files.controller';

@Module({
  imports: [
    ServiceCoreModule.forRoot({
      service: 'membership',
      entities: MEMBERSHIP_ENTITIES,
      migrations: MEMBERSHIP_MIGRATIONS,
    }),
    subgraphModule({
      typePaths: SUBGRAPH_TYPE_PATHS,
      entityScopes: { Member: (member: Member) => ({ branchId: member.branchId, memberId: member.id }) },
    }),
  ],
  providers: [
    MembershipRepository,
    MembershipCommands,
    MembershipRootResolver,
    CampusResolver,
    BranchResolver,
    MemberResolver,
    StructureRepository,
    StructureCommands,
    StructureRootResolver,
    CommitteeAppointmentResolver,
    UnionGroupResolver,
    BranchStructureResolver,
    MemberGroupResolver,
    RosterImportRepository,
    RosterImports,
    RosterExport,
    RosterImportResolver,
  ],
  controllers: [RosterFilesController],
})
export class MembershipModule {}
