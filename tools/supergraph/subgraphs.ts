import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@unionfed/infra';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { subgraphTypePaths } from '@unionfed/graphql-kit';
import { DOMAIN_SERVICES, SERVICES, type DomainServiceName } from '../../libs/service-kit/src/topology';
import { SUBGRAPH_TYPE_PATHS as membership } from '../../apps/membership/src/graphql/subgraph';
import { SUBGRAPH_TYPE_PATHS as finance } from '../../apps/finance/src/graphql/subgraph';
import { SUBGRAPH_TYPE_PATHS as congress } from '../../apps/congress/src/graphql/subgraph';
import { SUBGRAPH_TYPE_PATHS as activities } from '../../apps/activities/src/graphql/subgraph';
import { SUBGRAPH_TYPE_PATHS as welfare } from '../../apps/welfare/src/graphql/subgraph';
import { SUBGRAPH_TYPE_PATHS as identity } from '../../apps/gateway/src/graphql/subgraph';

/** The identity subgraph runs inside the gateway process (its URL is never called). */
type SubgraphName = DomainServiceName | 'identity';

const TYPE_PATHS: Record<SubgraphName, string[]> = {
  membership,
  finance,
  congress,
  activities,
  welfare,
  identity,
};

const SUBGRAPHS: SubgraphName[] = [...DOMAIN_SERVICES, 'identity'];

function subgraphUrl(name: SubgraphName): string {
  return name === 'identity'
    ? `http://127.0.0.1:${SERVICES.gateway.port}/identity`
    : `http://127.0.0.1:${SERVICES[name].port}/graphql`;
}

export const SUPERGRAPH_PATH = join(repoRoot(), 'apps', 'gateway', 'supergraph.graphql');

/** A subgraph's SDL exactly as the app serves it: its SDL files, concatenated. */
export function subgraphSdl(name: SubgraphName): string {
  return subgraphTypePaths(TYPE_PATHS[name])
    .map((path) => readFileSync(path, 'utf8'))
    .join('\n');
}

/**
 * Composes the supergraph from every subgraph's SDL (Apollo Federation 2). URLs are the local defaults; the
 * gateway replaces them from SUBGRAPH_URL_* where set.
 */
export function composeSupergraph(): string {
  const result = composeServices(
    SUBGRAPHS.map((name) => ({
      name,
      url: subgraphUrl(name),
      typeDefs: parse(subgraphSdl(name)),
    })),
  );
  if (result.errors) {
    throw new Error(
      `supergraph composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`,
    );
  }
  return `${result.supergraphSdl.trim()}\n`;
}
