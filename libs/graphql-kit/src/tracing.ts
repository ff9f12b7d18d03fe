import type { ApolloServerPlugin } from '@apollo/server';
import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { inSpan, nameRequestSpan } from '@unionfed/telemetry';

/** The span of a root field's resolver: `resolve Mutation.admitMember`. */
export const RESOLVER_SPAN = 'resolve';

/**
 * Gives every root field (Query, Mutation, and federation's `_entities`) a span of its own around its resolver,
 * under the request's span: the command it runs — its unit of work, SQL, events — nests under it. Nested fields are
 * left alone (a roster page resolves hundreds; their SQL is traced anyway, under the root field).
 */
export function withResolverSpans(schema: GraphQLSchema): GraphQLSchema {
  for (const root of [schema.getQueryType(), schema.getMutationType()]) {
    if (!root || !isObjectType(root)) continue;
    for (const field of Object.values(root.getFields())) {
      if (!field.resolve || field.name === '_service') continue;
      field.resolve = traced(`${RESOLVER_SPAN} ${root.name}.${field.name}`, field.resolve);
    }
  }
  return schema;
}

function traced(
  name: string,
  resolve: GraphQLFieldResolver<unknown, unknown>,
): GraphQLFieldResolver<unknown, unknown> {
  return function resolveInSpan(source, args, context, info) {
    return inSpan(name, { attributes: () => ({ 'graphql.field.path': String(info.path.key) }) }, async () =>
      resolve(source, args, context, info),
    );
  };
}

/** Names the request's span after the GraphQL operation it serves (`mutation AdmitMember`), with its type. */
export function operationSpanPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, operationName }) {
          if (operation) nameRequestSpan(operation.operation, operationName ?? undefined);
        },
      };
    },
  };
}
