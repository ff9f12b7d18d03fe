import { SUBGRAPH_TYPE_PATHS } from './graphql/subgraph';
import { Module } from '@nestjs/common';
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

@Module({
  imports: [
    ServiceCoreModule.forRoot({
      service: 'membership',
      entities: MEMBERSHIP_ENTITIES,
      migrations: MEMBERSHIP_MIGRATIONS,
    }),
    subgraphModule({ typePaths: SUBGRAPH_TYPE_PATHS }),
  ],
  providers: [
    MembershipRepository,
    MembershipCommands,
    MembershipRootResolver,
    CampusResolver,
    BranchResolver,
    MemberResolver,
  ],
})
export class MembershipModule {}
