import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DomainError } from '@unionfed/domain-kit';
import { LimitCode } from './limits/limit-errors';

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

/** Codes that graphql-js / Apollo raise themselves for malformed requests: safe to pass through as they are. */
const REQUEST_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
  // the refusals of abusive requests and the execution budget's TIMEOUT (limits/, gateway and subgraphs)
  ...Object.values(LimitCode),
]);

function domainErrorOf(error: unknown): DomainError | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof DomainError) return current;
    current = (current as { originalError?: unknown }).originalError;
  }
  return undefined;
}

/**
 * Turns whatever a resolver threw into an error in the caller's terms: domain errors keep their message and get
 * their `extensions.code`; anything unexpected becomes INTERNAL_SERVER_ERROR with a generic message (logged in
 * full by `onUnexpected`) — never a stack trace or SQL.
 */
export function createErrorFormatter(onUnexpected: (error: unknown) => void) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const domain = domainErrorOf(error);
    if (domain) {
      return {
        message: domain.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { ...domain.details, code: domain.kind, reason: domain.reason },
      };
    }
    const code = formatted.extensions?.code;
    // an exception thrown by code (not a GraphQL error, nor a subgraph's error relayed by the gateway, which
    // arrives as a plain object) is never passed through as it is
    const original = (error as GraphQLError | undefined)?.originalError;
    const thrownByCode = original instanceof Error && !(original instanceof GraphQLError);
    const knownCode =
      typeof code === 'string' &&
      (REQUEST_ERROR_CODES.has(code) || (code in ErrorCode && code !== 'INTERNAL_SERVER_ERROR'));
    if (knownCode && !thrownByCode) {
      const { stacktrace: _s, exception: _e, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    onUnexpected(error);
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
