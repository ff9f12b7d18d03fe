import { GraphQLError } from 'graphql';

/**
 * The codes the gateway and every subgraph answer with when they refuse a request before executing it (and
 * TIMEOUT, when a request runs past its execution budget). Each is passed through by the error formatter
 * (errors.ts), so that callers see why and by how much.
 */
export const LimitCode = {
  QUERY_TOO_DEEP: 'QUERY_TOO_DEEP',
  QUERY_TOO_COSTLY: 'QUERY_TOO_COSTLY',
  TOO_MANY_ALIASES: 'TOO_MANY_ALIASES',
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INTROSPECTION_DISABLED: 'INTROSPECTION_DISABLED',
  RATE_LIMITED: 'RATE_LIMITED',
  PERSISTED_QUERY_REQUIRED: 'PERSISTED_QUERY_REQUIRED',
  PERSISTED_QUERY_NOT_FOUND: 'PERSISTED_QUERY_NOT_FOUND',
  /** an `_entities` fetch with more representations than a subgraph takes in one request */
  TOO_MANY_REPRESENTATIONS: 'TOO_MANY_REPRESENTATIONS',
  /** the request ran past its execution budget (a subgraph), or a subgraph did not answer in time (the gateway) */
  TIMEOUT: 'TIMEOUT',
} as const;

export type LimitCode = (typeof LimitCode)[keyof typeof LimitCode];

/** How Apollo Server takes an HTTP status and headers from an error (`extensions.http`, removed from the body). */
interface HttpHead {
  status: number;
  headers: Map<string, string>;
}

/**
 * A refusal: `extensions` carry the code and whatever lets the caller fix the request (the limit and the
 * value measured, or when to retry); `status` becomes the HTTP status of the response.
 */
export function limitError(
  code: LimitCode,
  message: string,
  details: Record<string, unknown>,
  status = 400,
  headers: Record<string, string> = {},
): GraphQLError {
  const http: HttpHead = { status, headers: new Map(Object.entries(headers)) };
  return new GraphQLError(message, { extensions: { code, ...details, http } });
}

/** The same refusal as a response body, for limits enforced before Apollo Server sees the request. */
export function limitErrorBody(
  code: LimitCode | 'UNAUTHENTICATED',
  message: string,
  details: Record<string, unknown>,
): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, ...details } }] });
}
