import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/**
 * The cost model — simple on purpose, so that callers can compute it by hand:
 *
 * - every field costs 1;
 * - the selection under a field that returns many items is counted once per item: the field's `first`, `last`
 *   or `limit` argument (as sent, from a variable, or the schema's default), else `defaultListSize` for a list;
 * - so nested lists multiply: `campuses { branches { name } }` costs 1 + 20 × (1 + 20 × 1) = 421;
 * - the `edges`/`nodes` lists of a Relay `…Connection` are already counted by the connection field's page size;
 * - a federation `_entities` fetch (the gateway's query plan, at a subgraph) returns one item per representation
 *   it is sent, so what is under it is counted once per representation — the same cost the gateway counted for
 *   the list those entities came from;
 * - introspection (`__schema`, `__type`) is left out of depth, cost and aliases: it is allowed (outside
 *   production) or refused as a whole, and it never reaches a subgraph.
 */
export interface CostModel {
  /** items a list field is assumed to return when no page-size argument says how many */
  defaultListSize: number;
}

export const PAGE_SIZE_ARGUMENTS = ['first', 'last', 'limit'] as const;

export interface OperationMeasure {
  /** the longest chain of nested fields; root fields are at depth 1 */
  depth: number;
  /** see CostModel */
  cost: number;
  /** aliased fields, each fragment counted as often as it is spread */
  aliases: number;
  /** whether the operation selects `__schema` or `__type` */
  introspection: boolean;
  /** entity representations sent to `_entities` fields (a subgraph's share of a query plan) */
  representations: number;
}

const NOTHING: OperationMeasure = { depth: 0, cost: 0, aliases: 0, introspection: false, representations: 0 };
const ENTITIES_FIELD = '_entities';
const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

/**
 * Measures one operation of a document, fragments (named and inline) expanded. Each named fragment is
 * measured once and reused wherever it is spread, so the work is linear in the document however often
 * fragments are spread; a fragment spread inside itself (a cycle, which validation refuses anyway) and an
 * unknown fragment count as nothing, so measuring always ends.
 */
export function measureOperation(input: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables?: Record<string, unknown>;
  model: CostModel;
}): OperationMeasure {
  const { schema, document, operation, model } = input;
  const variables = input.variables ?? {};
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const measuredFragments = new Map<string, OperationMeasure>();
  const fragmentsBeingMeasured = new Set<string>();

  return measureSelections(operation.selectionSet, schema.getRootType(operation.operation) ?? undefined);

  function measureSelections(
    set: SelectionSetNode,
    parentType: GraphQLNamedType | undefined,
  ): OperationMeasure {
    let depth = 0;
    let cost = 0;
    let aliases = 0;
    let introspection = false;
    let representations = 0;
    for (const selection of set.selections) {
      const measured =
        selection.kind === Kind.FIELD
          ? measureField(selection, parentType)
          : selection.kind === Kind.INLINE_FRAGMENT
            ? measureSelections(
                selection.selectionSet,
                selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parentType,
              )
            : measureFragment(selection.name.value);
      depth = Math.max(depth, measured.depth);
      cost = bounded(cost + measured.cost);
      aliases += measured.aliases;
      introspection ||= measured.introspection;
      representations += measured.representations;
    }
    return { depth, cost, aliases, introspection, representations };
  }

  function measureField(field: FieldNode, parentType: GraphQLNamedType | undefined): OperationMeasure {
    const alias = field.alias ? 1 : 0;
    if (INTROSPECTION_FIELDS.has(field.name.value))
      return { ...NOTHING, aliases: alias, introspection: true };
    const definition =
      parentType && (isObjectType(parentType) || isInterfaceType(parentType))
        ? parentType.getFields()[field.name.value]
        : undefined;
    const below = field.selectionSet
      ? measureSelections(field.selectionSet, definition ? getNamedType(definition.type) : undefined)
      : NOTHING;
    const representations = field.name.value === ENTITIES_FIELD ? representationsOf(field) : undefined;
    const items = representations ?? itemsOf(field, definition, parentType);
    return {
      depth: 1 + below.depth,
      cost: bounded(1 + items * below.cost),
      aliases: alias + below.aliases,
      introspection: below.introspection,
      representations: (representations ?? 0) + below.representations,
    };
  }

  function measureFragment(name: string): OperationMeasure {
    const measured = measuredFragments.get(name);
    if (measured) return measured;
    const fragment = fragments.get(name);
    if (!fragment || fragmentsBeingMeasured.has(name)) return NOTHING;
    fragmentsBeingMeasured.add(name);
    const result = measureSelections(
      fragment.selectionSet,
      schema.getType(fragment.typeCondition.name.value),
    );
    fragmentsBeingMeasured.delete(name);
    measuredFragments.set(name, result);
    return result;
  }

  /** how many items the field may return: what the selection under it is multiplied by */
  function itemsOf(
    field: FieldNode,
    definition: GraphQLField<unknown, unknown> | undefined,
    parentType: GraphQLNamedType | undefined,
  ): number {
    if (!definition) return 1;
    const pageArguments = definition.args.filter((argument) =>
      (PAGE_SIZE_ARGUMENTS as readonly string[]).includes(argument.name),
    );
    if (pageArguments.length > 0) {
      const sizes = pageArguments.map((argument) => {
        const sent = field.arguments?.find((node) => node.name.value === argument.name);
        return sent ? pageSizeOf(sent.value) : asPageSize(argument.defaultValue);
      });
      const known = sizes.filter((size): size is number => size !== undefined);
      return known.length > 0 ? Math.max(...known) : model.defaultListSize;
    }
    if (!isListType(getNullableType(definition.type))) return 1;
    const relayList = parentType?.name.endsWith('Connection') && ['edges', 'nodes'].includes(definition.name);
    return relayList ? 1 : model.defaultListSize;
  }

  /** how many representations an `_entities` field is sent (a variable, as the gateway sends them, or a list) */
  function representationsOf(field: FieldNode): number | undefined {
    const sent = field.arguments?.find((node) => node.name.value === 'representations')?.value;
    if (!sent) return undefined;
    if (sent.kind === Kind.LIST) return sent.values.length;
    if (sent.kind !== Kind.VARIABLE) return 1;
    const value = variables[sent.name.value];
    return Array.isArray(value) ? value.length : 1;
  }

  function pageSizeOf(value: ValueNode): number | undefined {
    if (value.kind === Kind.INT) return asPageSize(Number(value.value));
    if (value.kind !== Kind.VARIABLE) return undefined;
    const name = value.name.value;
    if (name in variables) return asPageSize(variables[name]);
    const declared = operation.variableDefinitions?.find((v) => v.variable.name.value === name);
    return declared?.defaultValue ? pageSizeOf(declared.defaultValue) : undefined;
  }
}

/** A usable page size; at least 1, so that a `first: 0` never hides what is under it. */
function asPageSize(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.max(1, value) : undefined;
}

/** Costs grow multiplicatively: keep them finite numbers that compare correctly. */
function bounded(cost: number): number {
  return Math.min(cost, Number.MAX_SAFE_INTEGER);
}
