import { ApolloClient, HttpLink, InMemoryCache } from '@apollo/client';
import { authFetch } from '../auth/session';

/**
 * The one GraphQL client: same-origin /graphql through authFetch (the session's token, refreshed when due).
 * Lists are connections paged on the server, so the cache keeps each page as asked (no merging of pages).
 */
export function createApolloClient(): ApolloClient {
  return new ApolloClient({
    link: new HttpLink({ uri: '/graphql', fetch: authFetch }),
    cache: new InMemoryCache({
      typePolicies: {
        Viewer: { keyFields: false },
        MembershipStatistics: { keyFields: false },
      },
    }),
    defaultOptions: {
      watchQuery: { fetchPolicy: 'cache-and-network' },
    },
  });
}
