import { GraphQLError } from 'graphql';
import { ConflictError, InvalidInputError, NotFoundError } from '@unionfed/domain-kit';
import { createErrorFormatter } from './errors';

function format(error: unknown) {
  const unexpected: unknown[] = [];
  const graphQLError =
    error instanceof GraphQLError
      ? error
      : new GraphQLError('boom', { originalError: error as Error, path: ['x'] });
  const formatted = createErrorFormatter((e) => unexpected.push(e))(
    {
      message: graphQLError.message,
      path: ['x'],
      extensions: { ...graphQLError.extensions, stacktrace: ['at secret.ts:1'] },
    },
    graphQLError,
  );
  return { formatted, unexpected };
}

describe('GraphQL error formatting', () => {
  it('gives domain errors their code and reason', () => {
    const { formatted } = format(
      new ConflictError('staff number T1 is taken', 'STAFF_NUMBER_TAKEN', { staffNumber: 'T1' }),
    );
    expect(formatted.extensions).toEqual({
      code: 'CONFLICT',
      reason: 'STAFF_NUMBER_TAKEN',
      staffNumber: 'T1',
    });
    expect(formatted.message).toBe('staff number T1 is taken');
  });

  it('names the field of invalid input', () => {
    const { formatted } = format(
      new InvalidInputError('name must not be empty', 'NAME_REQUIRED', { field: 'name' }),
    );
    expect(formatted.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
  });

  it('maps a missing entity to NOT_FOUND', () => {
    expect(format(new NotFoundError('Branch', 'b-1')).formatted.extensions?.code).toBe('NOT_FOUND');
  });

  it('hides unexpected errors: no message detail, no stack, no SQL', () => {
    const { formatted, unexpected } = format(
      new Error('duplicate key value violates unique constraint "member_pkey"'),
    );
    expect(formatted).toEqual({
      message: 'Internal server error',
      path: ['x'],
      locations: undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(formatted)).not.toMatch(/constraint|stack|secret/);
    expect(unexpected).toHaveLength(1);
  });

  it('passes request validation errors through without the stack trace', () => {
    const { formatted } = format(
      new GraphQLError('Cannot query field "nope"', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    );
    expect(formatted.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
  });
});

describe('GraphQL error formatting at the gateway', () => {
  it('passes a subgraph error with a platform code through, minus any stack trace', () => {
    // @apollo/gateway wraps the subgraph's formatted error (a plain object) as originalError
    const downstream = { message: 'staff number T1 is taken', extensions: { code: 'CONFLICT' } };
    const wrapped = new GraphQLError(downstream.message, {
      originalError: downstream as unknown as Error,
      extensions: { ...downstream.extensions, serviceName: 'membership' },
    });
    const unexpected: unknown[] = [];
    const formatted = createErrorFormatter((e) => unexpected.push(e))(
      { message: wrapped.message, extensions: { ...wrapped.extensions, stacktrace: ['x'] } },
      wrapped,
    );
    expect(formatted.extensions).toEqual({ code: 'CONFLICT', serviceName: 'membership' });
    expect(unexpected).toHaveLength(0);
  });
});
