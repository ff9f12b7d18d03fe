import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Logger, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { ApolloGatewayDriver, type ApolloGatewayDriverConfig } from '@nestjs/apollo';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { createErrorFormatter } from '@unionfed/graphql-kit';
import { childTraceparent, isTraceparent, newTraceparent } from '@unionfed/messaging';
import {
  HealthController,
  MetricsController,
  ProcessMetrics,
  subgraphUrlVariable,
  type DomainServiceName,
} from '@unionfed/service-kit';

/** Headers the gateway passes on to every subgraph as they came: the caller's credentials and trace state. */
const FORWARDED_HEADERS = ['authorization', 'tracestate'];

interface GatewayContext {
  req?: { headers?: Record<string, string | string[] | undefined> };
  /** the request's trace: the caller's W3C traceparent, or a new trace started here */
  traceparent: string;
}

/** The supergraph composed at build time (tools/supergraph) and checked in. */
export const SUPERGRAPH_PATH = join(__dirname, '..', 'supergraph.graphql');

function subgraphUrl(name: string, composedUrl: string): string {
  return process.env[subgraphUrlVariable(name as DomainServiceName)] ?? composedUrl;
}

const logger = new Logger('Gateway');

/**
 * A thin gateway: serves the checked-in supergraph, forwards credentials and trace context, and masks errors.
 * Policy lives in the subgraphs, where the data is.
 */
@Module({
  imports: [
    GraphQLModule.forRoot<ApolloGatewayDriverConfig>({
      driver: ApolloGatewayDriver,
      server: {
        path: '/graphql',
        introspection: process.env.NODE_ENV !== 'production',
        includeStacktraceInErrorResponses: false,
        formatError: createErrorFormatter((error) =>
          logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error)),
        ),
        context: ({ req }: Pick<GatewayContext, 'req'>): GatewayContext => {
          const incoming = req?.headers?.traceparent;
          return {
            req,
            traceparent: isTraceparent(typeof incoming === 'string' ? incoming : undefined)
              ? (incoming as string)
              : newTraceparent(),
          };
        },
      },
      gateway: {
        supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8'),
        buildService: ({ name, url }) =>
          new RemoteGraphQLDataSource<GatewayContext>({
            url: subgraphUrl(name, url ?? ''),
            willSendRequest({ request, context }) {
              if (context.traceparent)
                request.http?.headers.set('traceparent', childTraceparent(context.traceparent));
              for (const header of FORWARDED_HEADERS) {
                const value = context.req?.headers?.[header];
                if (typeof value === 'string') request.http?.headers.set(header, value);
              }
            },
          }),
      },
    }),
  ],
  controllers: [HealthController, MetricsController],
  providers: [ProcessMetrics],
})
export class GatewayModule {}
