import { Module } from '@nestjs/common';
import { ServiceCoreModule } from '@unionfed/service-kit';
import { subgraphModule } from '@unionfed/graphql-kit';
import { MEMBERSHIP_ENTITIES } from './infrastructure/entities';
import { MEMBERSHIP_MIGRATIONS } from './infrastructure/migrations';
import { RosterFilesController } from './http/roster-files.controller';
import {
  MEMBER_PROVIDERS,
  MEMBERSHIP_SUBGRAPH,
  ROSTER_FILE_PROVIDERS,
  STRUCTURE_PROVIDERS,
} from './membership.providers';

@Module({
  imports: [
    ServiceCoreModule.forRoot({
      service: 'membership',
      entities: MEMBERSHIP_ENTITIES,
      migrations: MEMBERSHIP_MIGRATIONS,
    }),
    subgraphModule(MEMBERSHIP_SUBGRAPH),
  ],
  providers: [...MEMBER_PROVIDERS, ...STRUCTURE_PROVIDERS, ...ROSTER_FILE_PROVIDERS],
  controllers: [RosterFilesController],
})
export class MembershipModule {}
