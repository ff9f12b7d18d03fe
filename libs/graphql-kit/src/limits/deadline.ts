import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { cancellingStatementsOn } from '@unionfed/persistence';
import { LimitCode, limitError } from './limit-errors';

/** A subgraph request's execution budget (UNIONFED_REQUEST_BUDGET_MS): the gateway waits a little longer. */
export const REQUEST_BUDGET_DEFAULT_MS = 8_000;

export function requestBudgetMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = env.UNIONFED_REQUEST_BUDGET_MS;
  if (value === undefined || value === '') return REQUEST_BUDGET_DEFAULT_MS;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new Error(
      `UNIONFED_REQUEST_BUDGET_MS must be a positive whole number of milliseconds, got '${value}'`,
    );
  return parsed;
}

interface Deadline {
  signal: AbortSignal;
  budgetMs: number;
  /** rejects when the budget is spent; only ever awaited in a race */
  expired: Promise<never>;
}

const currentDeadline = new AsyncLocalStorage<Deadline>();

function timeoutError(budgetMs: number) {
  return limitError(
    LimitCode.TIMEOUT,
    `The request ran past its execution budget of ${budgetMs} ms and was stopped`,
    { limit: budgetMs },
    503,
  );
}

/**
 * Express middleware for the GraphQL path: the request gets `budgetMs` from when its body has been read. The
 * rest of its handling runs inside the deadline, so that when it passes every statement the request still has
 * in PostgreSQL is cancelled (libs/persistence, cancellingStatementsOn) and resolvers see it (withDeadlines).
 */
export function requestDeadline(budgetMs: number) {
  return function requestDeadlineHandler(
    _req: IncomingMessage,
    res: ServerResponse,
    next: (error?: unknown) => void,
  ): void {
    const controller = new AbortController();
    const expired = new Promise<never>((_resolve, reject) =>
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), {
        once: true,
      }),
    );
    expired.catch(() => undefined); // awaited only by the resolvers that race it
    const timer = setTimeout(() => controller.abort(timeoutError(budgetMs)), budgetMs);
    timer.unref();
    const finished = () => clearTimeout(timer);
    res.once('finish', finished);
    res.once('close', finished);
    const deadline: Deadline = { signal: controller.signal, budgetMs, expired };
    currentDeadline.run(deadline, () => cancellingStatementsOn(controller.signal, () => next()));
  };
}

/**
 * Makes every resolver of the schema keep the request's deadline: once it has passed, no further resolver
 * runs (its field answers TIMEOUT), and a resolver still waiting when it passes (on SQL, which is cancelled
 * then) is answered TIMEOUT at once instead of being waited for. Fields without a resolver of their own read
 * a property of their parent and are left as they are.
 */
export function withDeadlines(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (resolve) field.resolve = keepingDeadline(resolve);
    }
  }
  return schema;
}

function keepingDeadline(
  resolve: GraphQLFieldResolver<unknown, unknown>,
): GraphQLFieldResolver<unknown, unknown> {
  return function resolveWithinDeadline(source, args, context, info) {
    const deadline = currentDeadline.getStore();
    if (!deadline) return resolve(source, args, context, info);
    if (deadline.signal.aborted) throw timeoutError(deadline.budgetMs);
    const result = resolve(source, args, context, info);
    if (!(result instanceof Promise)) return result;
    return Promise.race([result, deadline.expired]);
  };
}
