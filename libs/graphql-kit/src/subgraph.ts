import { Logger, type DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { ApolloFederationDriver, type ApolloFederationDriverConfig } from '@nestjs/apollo';
import { createErrorFormatter } from './errors';

export interface SubgraphOptions {
  /** the subgraph's SDL file(s): the schema is written schema-first and checked in */
  typePaths: string[];
}

/**
 * A service's Apollo Federation 2 subgraph at /graphql. Errors are formatted into the platform's codes; stack
 * traces never leave the process.
 */
export function subgraphModule(options: SubgraphOptions): DynamicModule {
  const logger = new Logger('GraphQL');
  return GraphQLModule.forRoot<ApolloFederationDriverConfig>({
    driver: ApolloFederationDriver,
    typePaths: options.typePaths,
    path: '/graphql',
    playground: false,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter((error) =>
      logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error)),
    ),
    context: ({ req }: { req: unknown }) => ({ req }),
  });
}
