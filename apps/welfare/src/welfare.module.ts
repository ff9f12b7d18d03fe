import { Module } from '@nestjs/common';
import { ServiceCoreModule } from '@unionfed/service-kit';
import { subgraphModule } from '@unionfed/graphql-kit';
import { DIRECTORY_ENTITIES, DirectoryModule, DirectoryTables1763800000050 } from '@unionfed/directory';
import { SUBGRAPH_TYPE_PATHS } from './graphql/subgraph';

@Module({
  imports: [
    ServiceCoreModule.forRoot({
      service: 'welfare',
      entities: [...DIRECTORY_ENTITIES],
      migrations: [DirectoryTables1763800000050],
    }),
    DirectoryModule.forService('welfare'),
    subgraphModule({ typePaths: SUBGRAPH_TYPE_PATHS }),
  ],
})
export class WelfareModule {}
