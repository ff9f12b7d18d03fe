import type { Provider, Type } from '@nestjs/common';
import { serveSubgraph, type ServedSubgraph, type TestIssuer } from '@unionfed/testing';
import type { MembershipDatabase } from './membership-database';
import { MEMBER_PROVIDERS, MEMBERSHIP_SUBGRAPH } from '../src/membership.providers';

/**
 * The membership subgraph served over HTTP (libs/testing serveSubgraph) as the app declares it, against
 * `database`: the roster's resolvers and `providers` (e.g. the structure's), `controllers` for its file routes.
 */
export function serveMembership(
  database: MembershipDatabase,
  issuer: TestIssuer,
  { providers = [], controllers = [] }: { providers?: Provider[]; controllers?: Type<unknown>[] } = {},
): Promise<ServedSubgraph> {
  return serveSubgraph({
    service: 'membership',
    subgraph: MEMBERSHIP_SUBGRAPH,
    issuer,
    dataSource: database.dataSource,
    providers: [...MEMBER_PROVIDERS, ...providers],
    controllers,
  });
}
