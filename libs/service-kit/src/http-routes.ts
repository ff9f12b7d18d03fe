import { DOMAIN_SERVICES, SERVICES, subgraphUrlVariable, type DomainServiceName } from './topology';

/**
 * One HTTP route the gateway forwards to a service (files: GraphQL is not made for them). The gateway serves
 * `gatewayPath` and streams the request to `servicePath` of `service`, signed like every GraphQL request it
 * forwards; the service authenticates the caller and decides (its route's `@HttpAccess`).
 */
export interface HttpRoute {
  method: 'GET' | 'POST';
  /** where callers send it, e.g. /uploads/roster */
  gatewayPath: string;
  service: DomainServiceName;
  /** where the service serves it, e.g. /roster/imports; the query string goes along as it came */
  servicePath: string;
  /**
   * request headers of the route's own passed on, beside those every route passes (authorization, accept,
   * and for a streamed body content-type and content-length)
   */
  headers: readonly string[];
  /**
   * true: the request body streams through to the service, never buffered (an upload; the hop's signature
   * covers method, path and time). false: the route takes no body (a download; its answer streams back).
   */
  streamed: boolean;
}

/**
 * The gateway's HTTP routes: one entry each, the only place a file route is declared. The gateway serves them
 * (apps/gateway http-routes.controller.ts) and each service takes its own from here as its subgraph's
 * `httpRoutes` (httpRoutesOf), which its `@HttpAccess` routes must match, or it does not start. Finance's
 * payroll import or the annual report's export is one more entry (and the service's route).
 */
export const HTTP_ROUTES: readonly HttpRoute[] = [
  {
    method: 'POST',
    gatewayPath: '/uploads/roster',
    service: 'membership',
    servicePath: '/roster/imports',
    headers: ['x-file-name', 'x-roster-mapping'],
    streamed: true,
  },
  {
    method: 'GET',
    gatewayPath: '/downloads/roster',
    service: 'membership',
    servicePath: '/roster/export',
    headers: [],
    streamed: false,
  },
];

/** A service's routes of the table, as its subgraph declares them (`subgraphModule({ httpRoutes })`). */
export function httpRoutesOf(
  service: DomainServiceName,
  routes: readonly HttpRoute[] = HTTP_ROUTES,
): { method: HttpRoute['method']; path: string; streamed: boolean }[] {
  return routes
    .filter((route) => route.service === service)
    .map(({ method, servicePath, streamed }) => ({ method, path: servicePath, streamed }));
}

/**
 * Where a service's HTTP routes are: its subgraph URL (SUBGRAPH_URL_<NAME>, where the gateway sends its
 * GraphQL) without `/graphql`, else the topology's default port. A name the topology does not know throws.
 */
export function serviceBaseUrl(service: DomainServiceName, env: NodeJS.ProcessEnv = process.env): string {
  if (!(DOMAIN_SERVICES as readonly string[]).includes(service)) {
    throw new Error(`no service '${service}' in the topology`);
  }
  const subgraph = env[subgraphUrlVariable(service)];
  if (subgraph) return subgraph.replace(/\/graphql\/?$/, '').replace(/\/$/, '');
  return `http://127.0.0.1:${SERVICES[service].port}`;
}
