import type { GraphQLError } from 'graphql';
import { LimitCode, limitError } from './limit-errors';
import type { CostModel, OperationMeasure } from './operation-measure';

/** What one operation may ask for, measured by `measureOperation`. */
export interface OperationLimits {
  /** nesting of fields; root fields are at depth 1 */
  maxDepth: number;
  /** see CostModel in operation-measure.ts */
  maxCost: number;
  /** aliased fields per operation, fragments expanded */
  maxAliases: number;
  costModel: CostModel;
}

/**
 * The limits every server of the platform applies — the gateway to its callers, each subgraph to whoever
 * reaches its port (the gateway's query plans included). Body and token limits act before this (HTTP, parser).
 */
export const OPERATION_LIMIT_DEFAULTS = {
  maxDepth: 10,
  maxCost: 5_000,
  defaultListSize: 20,
  maxAliases: 30,
  /** lexical tokens per document: the parser gives up beyond this (introspection needs ~200) */
  maxTokens: 5_000,
  /** request body: what the gateway accepts from a caller */
  maxBodyBytes: 1024 * 1024,
} as const;

/** The first limit the measured operation is over, as the refusal to throw; undefined when it is within all. */
export function operationOverLimits(
  measured: OperationMeasure,
  limits: OperationLimits,
): GraphQLError | undefined {
  if (measured.depth > limits.maxDepth) {
    return limitError(
      LimitCode.QUERY_TOO_DEEP,
      `The operation is nested ${measured.depth} fields deep; the limit is ${limits.maxDepth}`,
      { limit: limits.maxDepth, measured: measured.depth },
    );
  }
  if (measured.aliases > limits.maxAliases) {
    return limitError(
      LimitCode.TOO_MANY_ALIASES,
      `The operation uses ${measured.aliases} aliases; the limit is ${limits.maxAliases}`,
      { limit: limits.maxAliases, measured: measured.aliases },
    );
  }
  if (measured.cost > limits.maxCost) {
    return limitError(
      LimitCode.QUERY_TOO_COSTLY,
      `The operation may cost ${measured.cost}; the limit is ${limits.maxCost} ` +
        '(each field 1, the fields under a list once per item: first/last/limit, else a page of ' +
        `${limits.costModel.defaultListSize})`,
      { limit: limits.maxCost, measured: measured.cost },
    );
  }
  return undefined;
}
