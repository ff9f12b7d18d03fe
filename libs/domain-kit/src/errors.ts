/**
 * One error type per failure kind. The domain and application layers throw these; the GraphQL layer turns each
 * kind into its `extensions.code` (see @unionfed/graphql-kit). They carry no framework types.
 */
export type ErrorKind =
  'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'RATE_LIMITED';

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
  /** machine-readable reason, e.g. STAFF_NUMBER_TAKEN */
  readonly reason: string;
  /** details safe to show the caller (field names, ids) */
  readonly details: Record<string, unknown>;

  constructor(message: string, reason: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.reason = reason;
    this.details = details;
  }
}

/** The input breaks a rule; `field` names the input field when there is one. */
export class InvalidInputError extends DomainError {
  readonly kind = 'BAD_USER_INPUT' as const;
  constructor(message: string, reason: string, details: { field?: string } & Record<string, unknown> = {}) {
    super(message, reason, details);
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'NOT_FOUND' as const;
  constructor(entity: string, id: string) {
    super(`${entity} ${id} does not exist`, `${entity.toUpperCase()}_NOT_FOUND`, { entity, id });
  }
}

export class ConflictError extends DomainError {
  readonly kind = 'CONFLICT' as const;
}

export class ForbiddenError extends DomainError {
  readonly kind = 'FORBIDDEN' as const;
}

/** The caller is not signed in, or its credentials are not valid (expired, altered, unknown key). */
export class UnauthenticatedError extends DomainError {
  readonly kind = 'UNAUTHENTICATED' as const;
}

/** Too many attempts: the caller may try again after `retryAfter` seconds (in `details`). */
export class RateLimitedError extends DomainError {
  readonly kind = 'RATE_LIMITED' as const;
  constructor(message: string, reason: string, details: { retryAfter: number } & Record<string, unknown>) {
    super(message, reason, details);
  }
}
