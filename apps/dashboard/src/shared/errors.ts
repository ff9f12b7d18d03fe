import { CombinedGraphQLErrors, ServerError } from '@apollo/client/errors';

/** What went wrong, in the terms a page shows: one of the platform's codes, or the network. */
export interface Problem {
  code: string;
  reason?: string;
  field?: string;
  message: string;
  /** the Chinese message an HTTP route answers (messageZh) */
  messageZh?: string;
  retryAfter?: number;
}

export const NETWORK = 'NETWORK';

/** The first problem of an Apollo error, a GraphQL answer's errors, or an HTTP route's error body. */
export function problemOf(error: unknown): Problem {
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0];
    const extensions = (first?.extensions ?? {}) as Record<string, unknown>;
    return {
      code: typeof extensions.code === 'string' ? extensions.code : 'INTERNAL_SERVER_ERROR',
      reason: typeof extensions.reason === 'string' ? extensions.reason : undefined,
      field: typeof extensions.field === 'string' ? extensions.field : undefined,
      message: first?.message ?? '',
      retryAfter: typeof extensions.retryAfter === 'number' ? extensions.retryAfter : undefined,
    };
  }
  if (ServerError.is(error)) {
    const code =
      error.statusCode === 401 ? 'UNAUTHENTICATED' : error.statusCode === 403 ? 'FORBIDDEN' : 'SERVER';
    return { code, message: error.message };
  }
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string')
    return error as Problem;
  return { code: NETWORK, message: error instanceof Error ? error.message : String(error) };
}

/** The error of an HTTP route's JSON answer (`{ error: { code, reason, message, messageZh, field } }`). */
export async function problemOfResponse(response: Response): Promise<Problem> {
  try {
    const body = (await response.json()) as { error?: Problem };
    if (body.error?.code) return body.error;
  } catch {
    // not JSON: described by its status below
  }
  const code = response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : 'SERVER';
  return { code, message: `HTTP ${response.status}` };
}
