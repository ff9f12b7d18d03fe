import type { ApolloServerPlugin } from '@apollo/server';
import type { HttpAdapterHost } from '@nestjs/core';
import { LimitCode, limitError } from './limit-errors';
import { payloadTooLarge } from './http-limits';
import { measureOperation } from './operation-measure';
import { OPERATION_LIMIT_DEFAULTS, operationOverLimits } from './operation-limits';

/**
 * A subgraph's limits: the gateway's operation limits (depth, cost, aliases), so that its port is no easier to
 * abuse than the gateway's, with room for what the gateway adds when it forwards a query plan:
 * - tokens: a plan's fetch carries `__typename` and key fields the caller did not write;
 * - body: the forwarded body is the gateway's own encoding (entity representations, variables repeated in
 *   them), so a subgraph takes four times the 1 MiB the gateway takes from a caller — whatever the gateway
 *   accepted is never refused here;
 * - representations: an `_entities` fetch has one per entity the plan resolves here; each is counted in the
 *   cost (see operation-measure.ts) and their number is bounded too.
 */
export const SUBGRAPH_LIMIT_DEFAULTS = {
  maxDepth: OPERATION_LIMIT_DEFAULTS.maxDepth,
  maxCost: OPERATION_LIMIT_DEFAULTS.maxCost,
  defaultListSize: OPERATION_LIMIT_DEFAULTS.defaultListSize,
  maxAliases: OPERATION_LIMIT_DEFAULTS.maxAliases,
  maxTokens: 2 * OPERATION_LIMIT_DEFAULTS.maxTokens,
  maxBodyBytes: 4 * OPERATION_LIMIT_DEFAULTS.maxBodyBytes,
  maxRepresentations: 1_000,
} as const;

export type SubgraphLimits = { -readonly [K in keyof typeof SUBGRAPH_LIMIT_DEFAULTS]: number };

/** Refuses, before anything runs, an operation over the subgraph's limits (the gateway's refusal codes). */
export function subgraphLimitsPlugin(limits: SubgraphLimits = SUBGRAPH_LIMIT_DEFAULTS): ApolloServerPlugin {
  const costModel = { defaultListSize: limits.defaultListSize };
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, schema, request: { variables } }) {
          if (!operation) return;
          const measured = measureOperation({ schema, document, operation, variables, model: costModel });
          if (measured.representations > limits.maxRepresentations) {
            throw limitError(
              LimitCode.TOO_MANY_REPRESENTATIONS,
              `The operation sends ${measured.representations} entity representations; the limit is ` +
                `${limits.maxRepresentations}`,
              { limit: limits.maxRepresentations, measured: measured.representations },
            );
          }
          const overLimit = operationOverLimits(measured, { ...limits, costModel });
          if (overLimit) throw overLimit;
        },
      };
    },
  };
}

/** Keeps the raw body next to the parsed one: the gateway's signature covers the bytes it sent. */
export interface RequestWithRawBody {
  rawBody?: Buffer;
}

/**
 * The body limit of a subgraph, installed on the app's express instance while the subgraph module is created —
 * before Nest registers its default JSON parser (100 kB, whose refusal the gateway could only relay as an
 * INTERNAL_SERVER_ERROR), which is then left out. A body over the limit is answered 413 PAYLOAD_TOO_LARGE.
 */
export function installSubgraphBodyLimit(
  host: HttpAdapterHost,
  path: string,
  maxBodyBytes: number = SUBGRAPH_LIMIT_DEFAULTS.maxBodyBytes,
): void {
  const adapter = host.httpAdapter as unknown as {
    useBodyParser(type: 'json', rawBody: boolean, options: { limit: number }): void;
    use(path: string, handler: unknown): void;
  };
  adapter.useBodyParser('json', true, { limit: maxBodyBytes });
  adapter.use(path, payloadTooLarge(maxBodyBytes, 'service'));
}
