/**
 * The platform's services, their default ports and databases: one place that the launcher (npm start),
 * the test harness, docker-compose.yml and the Kubernetes manifests agree on.
 */
export const DOMAIN_SERVICES = ['membership', 'finance', 'congress', 'activities', 'welfare'] as const;
export type DomainServiceName = (typeof DOMAIN_SERVICES)[number];
export type ServiceName = DomainServiceName | 'gateway';

export interface ServiceSpec {
  name: ServiceName;
  /** default HTTP port; GraphQL at /graphql, health at /health/live and /health/ready */
  port: number;
  /** its own PostgreSQL database (the gateway's holds accounts, sessions, API keys and the audit log) */
  database?: string;
}

export const SERVICES: Record<ServiceName, ServiceSpec> = {
  gateway: { name: 'gateway', port: 4000, database: 'unionfed_gateway' },
  membership: { name: 'membership', port: 4101, database: 'unionfed_membership' },
  finance: { name: 'finance', port: 4102, database: 'unionfed_finance' },
  congress: { name: 'congress', port: 4103, database: 'unionfed_congress' },
  activities: { name: 'activities', port: 4104, database: 'unionfed_activities' },
  welfare: { name: 'welfare', port: 4105, database: 'unionfed_welfare' },
};

/** The order the launcher starts them in: producers first, the gateway last (it needs every subgraph). */
export const START_ORDER: ServiceName[] = [
  'membership',
  'finance',
  'congress',
  'activities',
  'welfare',
  'gateway',
];

/** Environment variable through which the gateway is told where a subgraph lives, e.g. SUBGRAPH_URL_MEMBERSHIP. */
export function subgraphUrlVariable(name: DomainServiceName): string {
  return `SUBGRAPH_URL_${name.toUpperCase()}`;
}
