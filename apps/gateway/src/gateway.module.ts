import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, Module } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApolloGatewayDriver, type ApolloGatewayDriverConfig } from '@nestjs/apollo';
import { LocalGraphQLDataSource } from '@apollo/gateway';
import type { ApolloServerPlugin } from '@apollo/server';
import { buildSchema } from 'graphql';
import type { Principal } from '@unionfed/auth';
import { createErrorFormatter, mutationOutcomePlugin, operationSpanPlugin } from '@unionfed/graphql-kit';
import { MessagingModule } from '@unionfed/messaging';
import {
  DIRECTORY_ENTITIES,
  DirectoryAdministration,
  DirectoryConsumer,
  DirectoryModule,
} from '@unionfed/directory';
import { createDataSource, migrate } from '@unionfed/persistence';
import { traceRequests } from '@unionfed/telemetry';
import {
  HealthController,
  MetricsController,
  ProcessMetrics,
  serviceConfig,
  serviceConsumers,
  subgraphUrlVariable,
  type DomainServiceName,
} from '@unionfed/service-kit';
import { AuditLog } from './application/audit-log';
import { GatewayCoreModule } from './gateway-core.module';
import { CampusSsoModule } from './campus-sso.module';
import { GatewayAuthenticator, type RequestIdentity, type IncomingRequest } from './application/gateway-auth';
import { AccountService } from './application/accounts.service';
import { ApiKeyService } from './application/api-keys.service';
import { InitialAdmin } from './application/initial-admin.service';
import { MemberAccountsConsumer } from './application/member-accounts.consumer';
import { MemberAccountService } from './application/member-accounts.service';
import { SessionService } from './application/sessions.service';
import { SigningKeys } from './application/signing-keys';
import { identitySchema } from './graphql/identity.schema';
import { authenticationGate } from './graphql/authentication-gate.plugin';
import { gatewayLimits, type RateLimit } from './limits';
import { JwksController } from './graphql/jwks.controller';
import { HttpRoutesController } from './http-routes.controller';
import { MemberAccountSheetController } from './http/member-account-sheet.controller';
import { SubgraphDataSource, subgraphFetch, subgraphTimeoutMs } from './subgraph-data-source';
import { GATEWAY_MIGRATIONS } from './infrastructure/migrations';

export interface GatewayContext extends RequestIdentity {
  req?: IncomingRequest;
}

/** The supergraph composed at build time (tools/supergraph) and checked in. */
export const SUPERGRAPH_PATH = join(__dirname, '..', 'supergraph.graphql');

/** The subgraph the gateway serves itself, in process. */
export const IDENTITY_SUBGRAPH = 'identity';

function subgraphUrl(name: string, composedUrl: string): string {
  return process.env[subgraphUrlVariable(name as DomainServiceName)] ?? composedUrl;
}

const logger = new Logger('Gateway');

/** "capacity/refillPerSecond" from the environment, e.g. UNIONFED_RATE_LIMIT=300/30. */
function rateFromEnv(value: string | undefined, fallback: RateLimit): RateLimit {
  const match = value?.match(/^(\d+)\/(\d+(?:\.\d+)?)$/);
  return match ? { capacity: Number(match[1]), refillPerSecond: Number(match[2]) } : fallback;
}

/**
 * What a caller may ask of the gateway: depth, cost, aliases, batch and body size, introspection outside
 * production, a token bucket per API key / user / anonymous address, and registered operations only for API keys.
 */
export const limits = gatewayLimits<GatewayContext>({
  identify: ({ principal, rateKey }) =>
    principal.kind === 'anonymous' ? undefined : { rateKey, persistedOnly: principal.kind === 'integration' },
  clientAddress: ({ address }) => address,
  rateLimit: rateFromEnv(process.env.UNIONFED_RATE_LIMIT, { capacity: 300, refillPerSecond: 30 }),
  anonymousRateLimit: rateFromEnv(process.env.UNIONFED_ANONYMOUS_RATE_LIMIT, {
    capacity: 30,
    refillPerSecond: 2,
  }),
});

/** Every FORBIDDEN answer (from any subgraph) goes into the audit log with who asked. */
function refusedAccessAudit(audit: AuditLog): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue, operationName }) {
          if (response.body.kind !== 'single') return;
          const refused = (response.body.singleResult.errors ?? []).filter(
            (error) => error.extensions?.code === 'FORBIDDEN',
          );
          const principal: Principal | undefined = contextValue.principal;
          for (const error of refused) {
            await audit.record({
              action: 'ACCESS_REFUSED',
              outcome: 'REFUSED',
              actorId: principal?.subject || null,
              actorName: principal?.name ?? null,
              address: contextValue.address,
              entity: error.path?.join('.') ?? null,
              branchId: typeof error.extensions?.branchId === 'string' ? error.extensions.branchId : null,
              details: {
                operationName: operationName ?? null,
                reason: error.extensions?.reason ?? null,
                message: error.message,
              },
            });
          }
        },
      };
    },
  };
}

/** The gateway's copy of the membership directory (its identity subgraph answers `gatewayDirectory` itself). */
const DIRECTORY = DirectoryModule.forService('gateway', { resolvers: false });

/**
 * The gateway: authenticates (local accounts, API keys), serves the checked-in supergraph — including its own
 * identity subgraph, in process — forwards verified credentials and trace context, audits refused access, and
 * masks errors. Field policies are enforced in the subgraphs, where the data is. It consumes membership's events
 * (publishing none): its copy of the membership directory, which member accounts are checked against.
 *
 * Every request runs in a span that continues the caller's W3C trace context (a new trace when it sent none);
 * each subgraph call is a client span whose context goes to the subgraph as `traceparent` (subgraphFetch).
 */
@Module({
  imports: [
    GatewayCoreModule,
    CampusSsoModule,
    TypeOrmModule.forRootAsync({
      useFactory: () => ({}),
      dataSourceFactory: async () => {
        const dataSource = createDataSource({
          url: serviceConfig('gateway').databaseUrl,
          entities: [...DIRECTORY_ENTITIES],
          migrations: GATEWAY_MIGRATIONS,
          applicationName: 'gateway',
        });
        await migrate(dataSource);
        return dataSource;
      },
    }),
    MessagingModule.forService({ service: 'gateway', publishes: false }),
    // the directory first: a member's own account follows what it then says of them
    serviceConsumers('gateway', [DirectoryConsumer, MemberAccountsConsumer], [GatewayCoreModule]),
    DIRECTORY,
    GraphQLModule.forRootAsync<ApolloGatewayDriverConfig>({
      driver: ApolloGatewayDriver,
      imports: [GatewayCoreModule, DIRECTORY],
      inject: [
        SessionService,
        AccountService,
        ApiKeyService,
        InitialAdmin,
        MemberAccountService,
        SigningKeys,
        AuditLog,
        GatewayAuthenticator,
        DirectoryAdministration,
      ],
      useFactory: async (
        sessions: SessionService,
        accounts: AccountService,
        apiKeys: ApiKeyService,
        initialAdmin: InitialAdmin,
        memberAccounts: MemberAccountService,
        keys: SigningKeys,
        audit: AuditLog,
        authenticator: GatewayAuthenticator,
        directory: DirectoryAdministration,
      ): Promise<ApolloGatewayDriverConfig> => {
        await keys.load();
        await initialAdmin.ensure();
        const supergraphSdl = readFileSync(SUPERGRAPH_PATH, 'utf8');
        const timeoutMs = subgraphTimeoutMs();
        // the supergraph as a plain schema: every field with its @access policy (the API schema drops them)
        const policies = buildSchema(supergraphSdl, { assumeValidSDL: true });
        const localIdentity = identitySchema({
          sessions,
          accounts,
          memberAccounts,
          apiKeys,
          audit,
          keys,
          directory,
          onApiKeyRevoked: () => authenticator.forgetApiKeys(),
        });
        return {
          server: {
            path: '/graphql',
            includeStacktraceInErrorResponses: false,
            ...limits.apolloOptions,
            formatError: createErrorFormatter((error) =>
              logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error)),
            ),
            plugins: [
              ...limits.apolloOptions.plugins,
              operationSpanPlugin(),
              authenticationGate(() => policies),
              refusedAccessAudit(audit),
              // a refused part below a mutation may come from another subgraph: marked here too
              mutationOutcomePlugin(),
            ],
            context: async ({ req }: { req: IncomingRequest }): Promise<GatewayContext> => ({
              req,
              ...(await authenticator.identify(req)),
            }),
          },
          gateway: {
            supergraphSdl,
            buildService: ({ name, url }) =>
              name === IDENTITY_SUBGRAPH
                ? new LocalGraphQLDataSource(localIdentity)
                : new SubgraphDataSource({
                    url: subgraphUrl(name, url ?? ''),
                    fetcher: subgraphFetch(() => keys.signingKey(), timeoutMs, name),
                    willSendRequest({ request, context }) {
                      if (context.forwardAuthorization)
                        request.http?.headers.set('authorization', context.forwardAuthorization);
                    },
                  }),
          },
        };
      },
    }),
  ],
  controllers: [
    HealthController,
    MetricsController,
    JwksController,
    HttpRoutesController,
    MemberAccountSheetController,
  ],
  providers: [
    ProcessMetrics,
    {
      // while the application is created, before any body parser: every route runs in the request's span (the
      // probes, polled every few seconds, in none)
      provide: 'GATEWAY_TRACE_REQUESTS',
      inject: [HttpAdapterHost],
      useFactory: (host: HttpAdapterHost) => {
        (host.httpAdapter as unknown as { use(handler: unknown): void }).use(
          traceRequests({ except: ['/health', '/metrics'] }),
        );
        return true;
      },
    },
  ],
})
export class GatewayModule {}
