import {
  defaultFieldResolver,
  getDirectiveValues,
  GraphQLError,
  isObjectType,
  type GraphQLDirective,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from 'graphql';
import { ANONYMOUS, type Principal } from './principal';
import { decide, Reach, type AccessDecision, type AccessPolicy } from './reach';
import type { Role } from './roles';

/** What every subgraph's GraphQL context carries (libs/graphql-kit builds it). */
export interface AccessContext {
  principal: Principal;
  /** why the credentials sent were refused (the caller is then anonymous) */
  authError?: Error;
}

export interface ForbiddenAttempt {
  principal: Principal;
  /** 'Query.member', 'Mutation.transferMember', 'Member.phone' … */
  field: string;
  code: 'UNAUTHENTICATED' | 'FORBIDDEN';
  reason: string;
  /** the branch the caller tried to reach, when a resolver refused it */
  branchId?: string | null;
}

export interface EnforceOptions {
  /** called for every refusal (audit) */
  onRefused?: (attempt: ForbiddenAttempt) => void;
  /**
   * For entity types whose records belong to a branch: where a record belongs. When another subgraph asks for
   * such an entity by reference (`_entities`), a record outside the caller's reach is refused (FORBIDDEN).
   */
  entityScopes?: Record<string, (entity: never) => { branchId: string; memberId?: string }>;
}

const POLICY = Symbol('unionfed.accessPolicy');
type FieldWithPolicy = GraphQLField<unknown, unknown> & { [POLICY]?: AccessPolicy | null };

/** Federation's own fields: the gateway needs them to plan queries; what they return is guarded field by field. */
const FEDERATION_ROOT_FIELDS = new Set(['_service', '_entities']);

function policyFrom(directive: GraphQLDirective, node: unknown): AccessPolicy | undefined {
  if (!node) return undefined;
  const values = getDirectiveValues(directive, node as Parameters<typeof getDirectiveValues>[1]);
  if (!values) return undefined;
  return {
    roles: (values.roles as Role[] | undefined) ?? [],
    scope: (values.scope as AccessPolicy['scope'] | undefined) ?? 'BRANCH',
    integration: Boolean(values.integration),
  };
}

/** The policy of a field: its own @access, else its type's; undefined when neither declares one. */
export function fieldPolicy(
  schema: GraphQLSchema,
  type: GraphQLObjectType,
  field: GraphQLField<unknown, unknown>,
): AccessPolicy | undefined {
  const directive = schema.getDirective('access');
  if (!directive) return undefined;
  const typeNodes = [type.astNode, ...(type.extensionASTNodes ?? [])];
  return (
    policyFrom(directive, field.astNode) ??
    typeNodes.map((node) => policyFrom(directive, node)).find((policy) => policy !== undefined)
  );
}

/**
 * Decisions of one request, per policy: a page of 20 members asks the same question for every field of every
 * row, and the answer cannot change within a request.
 */
const decisionsOf = new WeakMap<object, Map<AccessPolicy, AccessDecision>>();

function decideOnce(
  context: AccessContext | undefined,
  principal: Principal,
  policy: AccessPolicy,
): AccessDecision {
  if (!context || typeof context !== 'object') return decide(principal, policy);
  let decisions = decisionsOf.get(context);
  if (!decisions) decisionsOf.set(context, (decisions = new Map()));
  let decision = decisions.get(policy);
  if (!decision) decisions.set(policy, (decision = decide(principal, policy)));
  return decision;
}

function refusal(code: 'UNAUTHENTICATED' | 'FORBIDDEN', message: string, reason: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code, reason } });
}

/**
 * Entities this subgraph resolves (types with a @key that is not `resolvable: false`) can be reached from other
 * subgraphs, not only through this one's root fields. A `resolvable: false` stub only hands out references: its
 * owner guards the fields.
 */
export function isEntityType(type: GraphQLObjectType): boolean {
  return [type.astNode, ...(type.extensionASTNodes ?? [])].some((node) =>
    node?.directives?.some(
      (directive) =>
        directive.name.value === 'key' &&
        !directive.arguments?.some(
          (arg) => arg.name.value === 'resolvable' && arg.value.kind === 'BooleanValue' && !arg.value.value,
        ),
    ),
  );
}

type ReferenceResolver = (reference: unknown, context: AccessContext, info: GraphQLResolveInfo) => unknown;
type WithReferenceResolver = GraphQLObjectType & {
  resolveReference?: ReferenceResolver;
  extensions: { apolloSubgraph?: { resolveReference?: ReferenceResolver } };
};

/**
 * Wraps the resolvers of every root field and of every entity type's fields so that the field's @access policy
 * (its own, else its type's) is checked before it runs. Such fields without a policy are refused to everyone
 * (deny by default). Other object types are reached only through those fields. Mutates and returns the schema
 * (NestJS `transformSchema`).
 */
export function enforceAccess(schema: GraphQLSchema, options: EnforceOptions = {}): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name === '_Service') continue;
    const root = type === schema.getQueryType() || type === schema.getMutationType();
    if (!root && !isEntityType(type)) continue;
    const scopeOf = options.entityScopes?.[type.name];
    if (scopeOf) guardReferences(schema, type as WithReferenceResolver, scopeOf, options);
    for (const field of Object.values(type.getFields()) as FieldWithPolicy[]) {
      if (root && field.name === '_entities') {
        guardEntitiesField(field, options);
        continue;
      }
      if (root && FEDERATION_ROOT_FIELDS.has(field.name)) continue;
      const policy = fieldPolicy(schema, type, field) ?? null;
      field[POLICY] = policy;
      const resolve = field.resolve ?? defaultFieldResolver;
      const name = `${type.name}.${field.name}`;
      field.resolve = (source, args, rawContext, info) => {
        const context = rawContext as AccessContext | undefined;
        const principal = context?.principal ?? ANONYMOUS;
        if (!policy) {
          options.onRefused?.({ principal, field: name, code: 'FORBIDDEN', reason: 'NO_POLICY' });
          throw refusal('FORBIDDEN', `${name} declares no access policy`, 'NO_POLICY');
        }
        const decision = decideOnce(context, principal, policy);
        if (!decision.allowed) {
          options.onRefused?.({ principal, field: name, code: decision.code, reason: decision.reason });
          if (decision.code === 'UNAUTHENTICATED' && context?.authError) throw context.authError;
          throw refusal(
            decision.code,
            decision.reason,
            decision.code === 'FORBIDDEN' ? 'ROLE_MISSING' : 'SIGN_IN',
          );
        }
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}

/** No entity is public: anonymous callers cannot fetch any by reference (its fields are guarded one by one). */
function guardEntitiesField(field: GraphQLField<unknown, unknown>, options: EnforceOptions): void {
  const resolve = field.resolve ?? defaultFieldResolver;
  field.resolve = (source, args, rawContext, info) => {
    const context = rawContext as AccessContext | undefined;
    const principal = context?.principal ?? ANONYMOUS;
    if (principal.kind === 'anonymous') {
      options.onRefused?.({
        principal,
        field: 'Query._entities',
        code: 'UNAUTHENTICATED',
        reason: 'Sign in first',
      });
      if (context?.authError) throw context.authError;
      throw refusal('UNAUTHENTICATED', 'Sign in first', 'SIGN_IN');
    }
    return resolve(source, args, rawContext, info);
  };
}

function guardReferences(
  schema: GraphQLSchema,
  type: WithReferenceResolver,
  scopeOf: (entity: never) => { branchId: string; memberId?: string },
  options: EnforceOptions,
): void {
  const policy = [type.astNode, ...(type.extensionASTNodes ?? [])]
    .map((node) =>
      schema.getDirective('access') ? policyFrom(schema.getDirective('access')!, node) : undefined,
    )
    .find((p) => p !== undefined);
  const wrap =
    (resolve: ReferenceResolver): ReferenceResolver =>
    async (reference, context, info) => {
      const entity = await resolve(reference, context, info);
      if (!entity || !policy) return entity;
      const principal = context?.principal ?? ANONYMOUS;
      const decision = decide(principal, policy);
      const { branchId, memberId } = scopeOf(entity as never);
      if (decision.allowed && decision.reach.includesMember(memberId ?? '', branchId)) return entity;
      const code = decision.allowed ? 'FORBIDDEN' : decision.code;
      options.onRefused?.({
        principal,
        field: `${type.name}(reference)`,
        code,
        reason: 'OUT_OF_SCOPE',
        branchId,
      });
      throw refusal(code, `You may not see this ${type.name}`, 'OUT_OF_SCOPE');
    };
  if (type.resolveReference) type.resolveReference = wrap(type.resolveReference);
  const subgraph = type.extensions.apolloSubgraph;
  if (subgraph?.resolveReference) subgraph.resolveReference = wrap(subgraph.resolveReference);
}

/**
 * How far the caller reaches for the field being resolved (resolvers narrow their queries with it). Only
 * meaningful inside a schema passed through enforceAccess, where a refused caller never gets this far.
 */
export function reachOf(context: AccessContext, info: GraphQLResolveInfo): Reach {
  const field = info.parentType.getFields()[info.fieldName] as FieldWithPolicy | undefined;
  const policy = field?.[POLICY];
  if (!policy) return Reach.NOTHING;
  const decision = decideOnce(context, context?.principal ?? ANONYMOUS, policy);
  return decision.allowed ? decision.reach : Reach.NOTHING;
}
