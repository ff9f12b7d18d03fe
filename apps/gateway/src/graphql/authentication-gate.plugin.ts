import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { fieldPolicy } from '@unionfed/auth';
import { DomainError } from '@unionfed/domain-kit';
import type { GatewayContext } from '../gateway.module';

/** The root fields an operation selects (through fragments too). */
function rootFields(
  selectionSet: SelectionSetNode,
  fragments: Record<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): string[] {
  const names: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.push(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT)
      names.push(...rootFields(selection.selectionSet, fragments, seen));
    else if (!seen.has(selection.name.value) && fragments[selection.name.value]) {
      seen.add(selection.name.value);
      names.push(...rootFields(fragments[selection.name.value].selectionSet, fragments, seen));
    }
  }
  return names;
}

/**
 * Credentials that were sent but are not valid (an expired or forged token, a revoked API key) end the request
 * at the gateway with the reason — unless it only uses PUBLIC fields (signing in again, refreshing). Everything
 * else is decided by the subgraphs, field by field.
 */
export function authenticationGate(schema: () => GraphQLSchema): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, document }) {
          const error = contextValue.authError;
          if (!error || !operation) return;
          const api = schema();
          const root: GraphQLObjectType | null | undefined =
            operation.operation === 'mutation' ? api.getMutationType() : api.getQueryType();
          if (!root) return;
          const fragments = Object.fromEntries(
            document.definitions
              .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
              .map((d) => [d.name.value, d]),
          );
          const allPublic = rootFields(operation.selectionSet, fragments).every((name) => {
            const field = root.getFields()[name];
            return name === '__typename' || (field && fieldPolicy(api, root, field)?.scope === 'PUBLIC');
          });
          if (allPublic) return;
          const reason = error instanceof DomainError ? error.reason : 'TOKEN_INVALID';
          const details = error instanceof DomainError ? error.details : {};
          throw new GraphQLError(error.message, {
            extensions: { code: 'UNAUTHENTICATED', reason, ...details, http: { status: 401 } },
          });
        },
      };
    },
  };
}
