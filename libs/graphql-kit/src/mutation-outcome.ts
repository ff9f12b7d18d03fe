import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';

/**
 * A mutation's root field commits before any field below it is resolved: an error below it (a part of the answer
 * the caller may not see, a nested field that failed) never undoes the change. Left as it is, such an answer —
 * often `data: null` once the error propagates — reads as if nothing happened. Every such error is marked
 * `extensions.changeApplied: true` so that callers (the dashboard among them) can say the change was made and
 * only part of its answer is missing. Errors of the root field itself (the change refused or failed) are left
 * alone. Used by every subgraph and by the gateway (where the nested part may come from another subgraph).
 */
export function markAppliedChanges(errors: readonly GraphQLFormattedError[]): GraphQLFormattedError[] {
  return errors.map((error) =>
    error.path && error.path.length > 1
      ? { ...error, extensions: { ...error.extensions, changeApplied: true } }
      : error,
  );
}

export function mutationOutcomePlugin<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, response }) {
          if (operation?.operation !== 'mutation' || response.body.kind !== 'single') return;
          const { singleResult } = response.body;
          if (singleResult.errors?.length) singleResult.errors = markAppliedChanges(singleResult.errors);
        },
      };
    },
  };
}
