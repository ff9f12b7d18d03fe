import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import {
  LimitCode,
  limitError,
  measureOperation,
  operationOverLimits,
  type CostModel,
} from '@unionfed/graphql-kit';
import type { PersistedOperations } from './persisted-operations';
import { TokenBuckets, type RateLimit } from './token-bucket';

/** Who is calling, as far as the limits are concerned. */
export interface Caller {
  /** whose budget the request spends, e.g. `apikey:<id>` or `user:<id>` */
  rateKey: string;
  /** this caller's bucket instead of the default for identified callers */
  limit?: RateLimit;
  /** only registered (persisted) operations: integrations' API keys */
  persistedOnly?: boolean;
}

export interface LimitsPluginSettings<TContext extends BaseContext> {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  /** operations per batched HTTP request (the HTTP middleware refuses larger batches before this plugin) */
  maxBatchSize: number;
  costModel: CostModel;
  introspection: boolean;
  /** the bucket of identified callers (`identify` returned a caller without its own `limit`) */
  rateLimit: RateLimit | false;
  /** the bucket of each client address that `identify` does not know */
  anonymousRateLimit: RateLimit | false;
  identify: (contextValue: TContext) => Caller | undefined;
  clientAddress: (contextValue: TContext) => string | undefined;
  persistedOperations: PersistedOperations;
  buckets: TokenBuckets;
}

/**
 * Refuses abusive operations before they run, so that no subgraph is ever asked. Refusals are thrown from
 * `didResolveOperation`, the hook whose errors Apollo Server answers as they are (code and HTTP status
 * included) without executing; by then the document has been parsed (bounded by `parseOptions.maxTokens`)
 * and validated. The rate limit takes its token when the request starts, so invalid requests spend budget too.
 */
export function limitsPlugin<TContext extends BaseContext>(
  settings: LimitsPluginSettings<TContext>,
): ApolloServerPlugin<TContext> {
  const { persistedOperations } = settings;
  return {
    async requestDidStart({ request, contextValue, requestIsBatched }) {
      const caller = settings.identify(contextValue);
      let refusal = requestIsBatched ? batchRefusal(contextValue, settings.maxBatchSize) : undefined;
      refusal ??= rateRefusal(settings, caller, contextValue);

      // APQ-style request for a registered operation: its text comes from the allow-list, not from a cache
      // the caller may have filled, and Apollo's own APQ handling is not involved
      const hash: unknown = request.extensions?.persistedQuery?.sha256Hash;
      const askedByHash = typeof hash === 'string' && request.query === undefined ? hash : undefined;
      const registered = askedByHash === undefined ? undefined : persistedOperations.get(askedByHash);
      if (registered) {
        request.query = registered.body;
        const { persistedQuery: _registeredHash, ...extensions } = request.extensions ?? {};
        request.extensions = extensions;
      }

      return {
        async didResolveOperation({ source, document, operation, schema, request: { variables } }) {
          if (refusal) throw refusal;
          if (caller?.persistedOnly && !persistedOperations.hasDocument(source)) {
            throw notRegistered(askedByHash);
          }
          if (!operation) return; // Apollo Server answers that itself, without executing
          const measured = measureOperation({
            schema,
            document,
            operation,
            variables,
            model: settings.costModel,
          });
          if (measured.introspection && !settings.introspection) {
            throw limitError(
              LimitCode.INTROSPECTION_DISABLED,
              'Introspection is disabled on this gateway',
              {},
            );
          }
          const overLimit = operationOverLimits(measured, settings);
          if (overLimit) throw overLimit;
        },
      };
    },
  };
}

/** A restricted caller's document is not on the allow-list: it sent an unknown hash, or free text. */
function notRegistered(sha256Hash: string | undefined): GraphQLError {
  return sha256Hash === undefined
    ? limitError(
        LimitCode.PERSISTED_QUERY_REQUIRED,
        'This caller may only run registered operations: send extensions.persistedQuery.sha256Hash',
        {},
      )
    : limitError(LimitCode.PERSISTED_QUERY_NOT_FOUND, 'No operation is registered under this hash', {
        sha256Hash,
      });
}

function rateRefusal<TContext extends BaseContext>(
  settings: LimitsPluginSettings<TContext>,
  caller: Caller | undefined,
  contextValue: TContext,
): GraphQLError | undefined {
  const limit = caller ? (caller.limit ?? settings.rateLimit) : settings.anonymousRateLimit;
  if (!limit) return undefined;
  const key = caller
    ? `caller:${caller.rateKey}`
    : `address:${settings.clientAddress(contextValue) ?? 'unknown'}`;
  const taken = settings.buckets.take(key, limit);
  if (taken.allowed) return undefined;
  return limitError(
    LimitCode.RATE_LIMITED,
    `Too many requests: retry in ${taken.retryAfterSeconds} s`,
    { retryAfter: taken.retryAfterSeconds, capacity: limit.capacity, refillPerSecond: limit.refillPerSecond },
    429,
    { 'retry-after': String(taken.retryAfterSeconds) },
  );
}

/**
 * A second line behind the HTTP middleware (installed by `configureHttp`), should it be missing: the batch is
 * visible here only as the parsed body of the request the context was built from.
 */
function batchRefusal(contextValue: BaseContext, maxBatchSize: number): GraphQLError | undefined {
  const body = (contextValue as { req?: { body?: unknown } }).req?.body;
  if (!Array.isArray(body) || body.length <= maxBatchSize) return undefined;
  return limitError(
    LimitCode.BATCH_TOO_LARGE,
    `The request batches ${body.length} operations; the limit is ${maxBatchSize}`,
    { limit: maxBatchSize, measured: body.length },
  );
}
