import type { ForbiddenAttempt } from '@unionfed/auth';

/**
 * The audit log's line for a refused attempt (a GraphQL field or an HTTP route): who, what, why — one format,
 * so that refusals read alike wherever they happen.
 */
export function refusedAccessLine(attempt: ForbiddenAttempt): string {
  return `access refused ${JSON.stringify({
    action: 'ACCESS_REFUSED',
    code: attempt.code,
    field: attempt.field,
    reason: attempt.reason,
    actor: attempt.principal.subject || 'anonymous',
    actorName: attempt.principal.name,
  })}`;
}
