import 'reflect-metadata';
import { Module, type INestApplication, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { Outbox } from '@unionfed/messaging';
import { subgraphModule } from '@unionfed/graphql-kit';
import type { MembershipDatabase } from './membership-database';
import { MEMBER_PROVIDERS, MEMBERSHIP_SUBGRAPH } from '../src/membership.providers';

@Module({})
class MembershipSubgraphTestModule {}

/**
 * The membership subgraph served over HTTP as the app serves it — the SDL files, @access enforcement, token
 * verification (keys from UNIONFED_JWKS, set before this is called), error codes — against `database` (the outbox
 * is written, not relayed): the roster's resolvers and `more` (e.g. the structure's), on a free local port.
 */
export async function startMembershipSubgraph(
  database: MembershipDatabase,
  more: Provider[] = [],
): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(
    {
      module: MembershipSubgraphTestModule,
      imports: [subgraphModule(MEMBERSHIP_SUBGRAPH)],
      providers: [
        { provide: DataSource, useValue: database.dataSource },
        { provide: Outbox, useValue: new Outbox('/unionfed/membership') },
        ...MEMBER_PROVIDERS,
        ...more,
      ],
    },
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  return { app, url: `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/graphql` };
}
