import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { ApolloFederationDriver, type ApolloFederationDriverConfig } from '@nestjs/apollo';
import type { ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
} from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import {
  ACCESS_SCHEMA_PATH,
  AUTH_OFF,
  authenticate,
  authenticationSwitchedOff,
  enforceAccess,
  verifierFromEnvironment,
  type Authentication,
  type EnforceOptions,
  type ForbiddenAttempt,
  type TokenVerifier,
} from '@unionfed/auth';
import { createErrorFormatter } from './errors';
import { answerPreloadedFields } from './preloaded';
import { checkInputs, DateScalar } from './inputs';
import { mutationOutcomePlugin } from './mutation-outcome';
import { MoneyScalar } from './money';
import { join } from 'node:path';
import { traceRequests } from '@unionfed/telemetry';
import { operationSpanPlugin, withResolverSpans } from './tracing';
import { GatewaySignatureVerifier, gatewaySignatureCheck } from './gateway-signature';
import {
  SUBGRAPH_HTTP_ACCESS,
  SubgraphHttpGuard,
  type SubgraphHttpAccess,
  type SubgraphHttpRoute,
} from './http/http-access';
import { SubgraphHttpRoutesCheck } from './http/http-routes-check';
import { refusedAccessLine } from './refused-access';
import { requestBudgetMs, requestDeadline, withDeadlines } from './limits/deadline';
import {
  installSubgraphBodyLimit,
  SUBGRAPH_LIMIT_DEFAULTS,
  subgraphLimitsPlugin,
  type SubgraphLimits,
} from './limits/subgraph-limits';

const GRAPHQL_PATH = '/graphql';

export interface SubgraphOptions {
  /** the subgraph's SDL file(s): the schema is written schema-first and checked in */
  typePaths: string[];
  /** entity types whose records belong to a branch, and how to tell which (see enforceAccess) */
  entityScopes?: EnforceOptions['entityScopes'];
  /** the limits on what one request may ask (default SUBGRAPH_LIMIT_DEFAULTS) */
  limits?: Partial<SubgraphLimits>;
  /** the execution budget of one request (default UNIONFED_REQUEST_BUDGET_MS, else 8 s) */
  requestBudgetMs?: number;
  /** whether only requests the gateway signed are served (default: when NODE_ENV is production) */
  requireGatewaySignature?: boolean;
  /**
   * The service's own HTTP routes that the gateway forwards (e.g. membership's roster files): take them from the
   * gateway's route table (libs/service-kit `httpRoutesOf(service)`). Each is served by a controller route
   * declared with `@HttpAccess`, whose guard checks the gateway's signature, the token and the policy as the
   * GraphQL endpoint does; routes and declarations must agree or the service does not start.
   */
  httpRoutes?: readonly SubgraphHttpRoute[];
}

export interface SubgraphContext extends Authentication {
  req: { headers: Record<string, string | string[] | undefined> };
}

/** The platform's own scalars (Date, Money), in every subgraph (see inputs.ts, money.ts). */
export const SCALARS_SCHEMA_PATH = join(__dirname, 'scalars.graphql');

/** The SDL files a subgraph is built from: its own plus the shared @access directive and scalars. */
export function subgraphTypePaths(typePaths: string[]): string[] {
  return [...typePaths, ACCESS_SCHEMA_PATH, SCALARS_SCHEMA_PATH];
}

/** The resolvers of the shared scalars, for every schema built from subgraphTypePaths. */
export const SCALAR_RESOLVERS = { Date: DateScalar, Money: MoneyScalar };

/**
 * Every subgraph answer is `Cache-Control: no-store`. Apollo's cache-control plugin would come to the same
 * answer (no subgraph declares @cacheControl hints, so every answer is uncacheable), but it does so with a hook
 * on every field of every answer — a few hundred calls for a roster page — so it is switched off and this
 * plugin sets the header (unless something else has set one).
 */
const NO_STORE: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (!response.http.headers.has('cache-control'))
          response.http.headers.set('cache-control', 'no-store');
      },
    };
  },
};

@Module({})
class SubgraphModule {}

/**
 * A service's Apollo Federation 2 subgraph at /graphql. Every request's bearer token is verified here (the
 * gateway's word is not taken for it) and every field's @access policy is enforced before its resolver runs.
 * Fields whose parent carries a preloaded value (withPreloaded) answer with it instead of calling the resolver.
 * Errors are formatted into the platform's codes; stack traces never leave the process.
 *
 * The port is guarded as the gateway's is: the gateway's signature (required in production), a body limit,
 * the operation limits (depth, aliases, cost, tokens, entity representations) before anything runs, and an
 * execution budget after which no resolver runs and the request's SQL is cancelled.
 *
 * Tracing: every request on /graphql and the `httpRoutes` runs in a span continuing the caller's W3C trace
 * context, named after its operation; each root field's resolver has a span under it (tracing.ts).
 */
export function subgraphModule(options: SubgraphOptions): DynamicModule {
  const limits: SubgraphLimits = { ...SUBGRAPH_LIMIT_DEFAULTS, ...options.limits };
  const budgetMs = options.requestBudgetMs ?? requestBudgetMs();
  const signatureRequired = options.requireGatewaySignature ?? process.env.NODE_ENV === 'production';
  const signatures = GatewaySignatureVerifier.fromEnvironment();
  // one token verifier (and its cache) for the GraphQL endpoint and the HTTP routes
  const tokens = verifierFromEnvironment();
  // UNIONFED_AUTH=off (benchmarks; refused in production): every request is an HQ admin, nothing is verified
  const authOff = authenticationSwitchedOff('this subgraph', (message) =>
    new Logger('GraphQL').warn(message),
  );
  const httpAccess: SubgraphHttpAccess = {
    signatures,
    signatureRequired,
    tokens,
    authOff,
    routes: options.httpRoutes ?? [],
  };
  return {
    module: SubgraphModule,
    // any module's controllers may declare @HttpAccess routes
    global: true,
    imports: [graphqlModule(options, limits, tokens, authOff), DiscoveryModule],
    providers: [
      {
        // runs while the application is created, before Nest installs its own body parser (see
        // installSubgraphBodyLimit); the GraphQL route itself is registered later, behind these
        provide: 'SUBGRAPH_HTTP_GUARDS',
        inject: [HttpAdapterHost],
        useFactory: (host: HttpAdapterHost) => {
          installSubgraphBodyLimit(host, GRAPHQL_PATH, limits.maxBodyBytes);
          const adapter = host.httpAdapter as unknown as { use(path: string, handler: unknown): void };
          // the request's span, continuing the gateway's trace context (`traceparent`): before the signature
          // check and the deadline, so that what they refuse is traced too
          for (const path of [GRAPHQL_PATH, ...httpAccess.routes.map((route) => route.path)])
            adapter.use(path, traceRequests());
          adapter.use(
            GRAPHQL_PATH,
            gatewaySignatureCheck({ verifier: signatures, required: signatureRequired }),
          );
          adapter.use(GRAPHQL_PATH, requestDeadline(budgetMs));
          return true;
        },
      },
      { provide: SUBGRAPH_HTTP_ACCESS, useValue: httpAccess },
      SubgraphHttpGuard,
      SubgraphHttpRoutesCheck,
    ],
    exports: [SUBGRAPH_HTTP_ACCESS, SubgraphHttpGuard],
  };
}

function graphqlModule(
  options: SubgraphOptions,
  limits: SubgraphLimits,
  verifier: TokenVerifier,
  authOff: boolean,
): DynamicModule {
  const logger = new Logger('GraphQL');
  const audit = new Logger('Audit');
  const onRefused = (attempt: ForbiddenAttempt): void => audit.warn(refusedAccessLine(attempt));
  return GraphQLModule.forRoot<ApolloFederationDriverConfig>({
    driver: ApolloFederationDriver,
    typePaths: subgraphTypePaths(options.typePaths),
    resolvers: SCALAR_RESOLVERS,
    path: GRAPHQL_PATH,
    playground: false,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // a variable that is not of its type (a Date that is no day) is the caller's mistake, answered 200 with
    // BAD_USER_INPUT: the gateway relays a subgraph's errors, while a 400 would reach its caller as an internal one
    status400ForVariableCoercionErrors: false,
    parseOptions: { maxTokens: limits.maxTokens },
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      // no Apollo federated traces (ftv1): the platform traces with OpenTelemetry, and a request asking for
      // `apollo-federation-include-trace` gets no per-field timings and error details in its response
      ApolloServerPluginInlineTraceDisabled(),
      NO_STORE,
      operationSpanPlugin(),
      subgraphLimitsPlugin(limits),
      mutationOutcomePlugin(),
    ],
    formatError: createErrorFormatter((error) =>
      logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error)),
    ),
    // the deadline is checked first, then access, then the arguments (inputs.ts), then the resolver; preloaded
    // values replace a resolver's call, never the checks around it
    transformSchema: (schema: GraphQLSchema) =>
      withResolverSpans(
        withDeadlines(
          enforceAccess(checkInputs(answerPreloadedFields(schema)), {
            onRefused,
            entityScopes: options.entityScopes,
          }),
        ),
      ),
    context: async ({ req }: Pick<SubgraphContext, 'req'>): Promise<SubgraphContext> => ({
      req,
      ...(authOff ? AUTH_OFF : await authenticate(verifier, req.headers.authorization)),
    }),
  });
}
