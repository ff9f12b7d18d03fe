import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { INestApplication } from '@nestjs/common';
import type { ParseOptions } from 'graphql';
import { installHttpLimits, OPERATION_LIMIT_DEFAULTS } from '@unionfed/graphql-kit';
import { limitsPlugin, type Caller } from './limits.plugin';
import { PersistedOperations } from './persisted-operations';
import { assertRateLimit, TokenBuckets, type Clock, type RateLimit } from './token-bucket';

export interface GatewayLimitsOptions<TContext extends BaseContext> {
  /** nesting of fields; root fields are at depth 1 (default 10) */
  maxDepth?: number;
  /** see `CostModel` in libs/graphql-kit's operation-measure.ts (default 5,000) */
  maxCost?: number;
  /** items a list field is assumed to return without first/last/limit (default 20) */
  defaultListSize?: number;
  /** aliased fields per operation, fragments expanded (default 30) */
  maxAliases?: number;
  /** lexical tokens per document: the parser gives up beyond this (default 5,000; introspection needs ~200) */
  maxTokens?: number;
  /** operations per batched HTTP request; 0 refuses batching (default 5) */
  maxBatchSize?: number;
  /** request body (default 1 MiB) */
  maxBodyBytes?: number;
  /** whether `__schema` / `__type` may be queried (default: unless NODE_ENV is production) */
  introspection?: boolean;
  /** default bucket of identified callers (default 100, refilled at 10/s); false: no limit */
  rateLimit?: RateLimit | false;
  /** bucket of each client address that `identify` does not know (default 20, refilled at 1/s) */
  anonymousRateLimit?: RateLimit | false;
  /** who is calling: the rate-limit key, an own limit, whether only persisted operations may run */
  identify?: (contextValue: TContext) => Caller | undefined;
  /**
   * the address of an anonymous caller (default: `req.ip` of the context, which is the proxy's address
   * unless express's `trust proxy` is set)
   */
  clientAddress?: (contextValue: TContext) => string | undefined;
  /** the allow-list (default: apps/gateway/persisted-operations/*.graphql) */
  persistedOperations?: PersistedOperations;
  /** where the GraphQL endpoint is mounted (default /graphql) */
  path?: string;
  clock?: Clock;
}

/** The operation limits are the platform's (OPERATION_LIMIT_DEFAULTS, which every subgraph applies too). */
export const LIMIT_DEFAULTS = {
  ...OPERATION_LIMIT_DEFAULTS,
  maxBatchSize: 5,
  rateLimit: { capacity: 100, refillPerSecond: 10 },
  anonymousRateLimit: { capacity: 20, refillPerSecond: 1 },
  path: '/graphql',
} as const;

export interface GatewayLimits<TContext extends BaseContext> {
  /** Spread into the ApolloServer options (`ApolloGatewayDriverConfig.server`). */
  apolloOptions: {
    plugins: ApolloServerPlugin<TContext>[];
    parseOptions: ParseOptions;
    allowBatchedHttpRequests: boolean;
    /**
     * Apollo's own switch stays on: the limits plugin decides (`introspection` option) and answers
     * INTROSPECTION_DISABLED, where Apollo's rule would answer a bare GRAPHQL_VALIDATION_FAILED first.
     */
    introspection: true;
  };
  /** Installs the body-size and batch-size limits on the app before it listens (`ServiceDefinition.configureHttp`). */
  configureHttp: (app: INestApplication) => void;
  persistedOperations: PersistedOperations;
}

/**
 * The gateway's limits on what a caller may ask: depth, cost, aliases, batch and body size, introspection,
 * a rate per caller, and registered operations only for restricted callers (integrations). Every refusal is a
 * GraphQL error with an `extensions.code` (see LimitCode) and the request is never executed.
 */
export function gatewayLimits<TContext extends BaseContext>(
  options: GatewayLimitsOptions<TContext> = {},
): GatewayLimits<TContext> {
  const settings = { ...LIMIT_DEFAULTS, ...definedOnly(options) };
  const { rateLimit, anonymousRateLimit } = settings;
  if (rateLimit) assertRateLimit(rateLimit, 'rateLimit');
  if (anonymousRateLimit) assertRateLimit(anonymousRateLimit, 'anonymousRateLimit');
  const persistedOperations = options.persistedOperations ?? PersistedOperations.fromDirectory();

  const plugin = limitsPlugin<TContext>({
    maxDepth: settings.maxDepth,
    maxCost: settings.maxCost,
    maxAliases: settings.maxAliases,
    maxBatchSize: settings.maxBatchSize,
    costModel: { defaultListSize: settings.defaultListSize },
    introspection: options.introspection ?? process.env.NODE_ENV !== 'production',
    rateLimit,
    anonymousRateLimit,
    identify: options.identify ?? (() => undefined),
    clientAddress: options.clientAddress ?? requestAddress,
    persistedOperations,
    buckets: new TokenBuckets({ clock: options.clock }),
  });
  return {
    apolloOptions: {
      plugins: [plugin],
      parseOptions: { maxTokens: settings.maxTokens },
      allowBatchedHttpRequests: settings.maxBatchSize > 0,
      introspection: true,
    },
    configureHttp: (app) =>
      installHttpLimits(app, {
        path: settings.path,
        maxBodyBytes: settings.maxBodyBytes,
        maxBatchSize: settings.maxBatchSize,
        server: 'gateway',
      }),
    persistedOperations,
  };
}

/** The client address of the express request Nest puts in every GraphQL context as `req`. */
function requestAddress(contextValue: BaseContext): string | undefined {
  const req = (contextValue as { req?: { ip?: string; socket?: { remoteAddress?: string } } }).req;
  return req?.ip ?? req?.socket?.remoteAddress;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
