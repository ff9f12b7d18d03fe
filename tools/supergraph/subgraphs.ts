import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@unionfed/infra';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { DOMAIN_SERVICES, SERVICES, type DomainServiceName } from '../../libs/service-kit/src/topology';
import { SUBGRAPH_TYPE_PATHS as membership } from '../../apps/membership/src/graphql/subgraph';
import { SUBGRAPH_TYPE_PATHS as finance } from '../../apps/finance/src/graphql/subgraph';
import { SUBGRAPH_TYPE_PATHS as congress } from '../../apps/congress/src/graphql/subgraph';
import { SUBGRAPH_TYPE_PATHS as activities } from '../../apps/activities/src/graphql/subgraph';
import { SUBGRAPH_TYPE_PATHS as welfare } from '../../apps/welfare/src/graphql/subgraph';

const TYPE_PATHS: Record<DomainServiceName, string[]> = {
  membership,
  finance,
  congress,
  activities,
  welfare,
};

export const SUPERGRAPH_PATH = join(repoRoot(), 'apps', 'gateway', 'supergraph.graphql');

/** A subgraph's SDL exactly as the app serves it: its SDL files, concatenated. */
export function subgraphSdl(name: DomainServiceName): string {
  return TYPE_PATHS[name].map((path) => readFileSync(path, 'utf8')).join('\n');
}

/**
 * Composes the supergraph from every subgraph's SDL (Apollo Federation 2). URLs are the local defaults; the
 * gateway replaces them from SUBGRAPH_URL_* where set.
 */
export function composeSupergraph(): string {
  const result = composeServices(
    DOMAIN_SERVICES.map((name) => ({
      name,
      url: `http://127.0.0.1:${SERVICES[name].port}/graphql`,
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
