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

/** Where a record of an entity type belongs: its branch (null: the federation's own), and the member it is. */
export interface EntityScope {
  branchId: string | null;
  memberId?: string;
}

export interface EnforceOptions {
  /** called for every refusal (audit) */
  onRefused?: (attempt: ForbiddenAttempt) => void;
  /**
   * For entity types whose records belong to a branch (their type's @access has scope BRANCH): where a record
   * belongs. Every such entity type this subgraph resolves must be named here — the schema is refused otherwise.
   * A record outside the caller's reach is, when asked for by reference (`_entities`), answered as one that is
   * not there (null, audited); and none of its fields answers, however the record was reached.
   */
  entityScopes?: Record<string, (entity: never) => EntityScope>;
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

/** The policy an entity type declares on the type itself: what a reference to one of its records is checked against. */
function typePolicy(schema: GraphQLSchema, type: GraphQLObjectType): AccessPolicy | undefined {
  const directive = schema.getDirective('access');
  if (!directive) return undefined;
  return [type.astNode, ...(type.extensionASTNodes ?? [])]
    .map((node) => policyFrom(directive, node))
    .find((policy) => policy !== undefined);
}

interface EntityGuard {
  policy: AccessPolicy;
  scopeOf?: (entity: never) => EntityScope;
}

type Allowed = AccessDecision & { allowed: true };

/**
 * The reference guard of every entity type this subgraph resolves. Deny by default, at start-up: an entity type
 * without a policy of its own, or holding branch data without saying where each record belongs, stops the
 * schema from being built — so a new entity cannot be served unguarded.
 */
function entityGuards(schema: GraphQLSchema, options: EnforceOptions): Map<string, EntityGuard> {
  const guards = new Map<string, EntityGuard>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || !isEntityType(type)) continue;
    const policy = typePolicy(schema, type);
    if (!policy) {
      throw new Error(
        `entity type ${type.name} declares no @access policy on the type: its references are checked against it`,
      );
    }
    const scopeOf = options.entityScopes?.[type.name];
    if (policy.scope === 'BRANCH' && !scopeOf) {
      throw new Error(
        `entity type ${type.name} holds branch data (@access scope BRANCH): name in entityScopes where each record belongs`,
      );
    }
    guards.set(type.name, { policy, scopeOf });
  }
  return guards;
}

/** Whether an allowed caller reaches a record (a record of no branch is the federation's: HQ only). */
function reaches(decision: Allowed, scope: EntityScope): boolean {
  return decision.reach.includesMember(scope.memberId ?? '', scope.branchId);
}

/**
 * Wraps the resolvers of every root field and of every entity type's fields so that the field's @access policy
 * (its own, else its type's) is checked before it runs. Such fields without a policy are refused to everyone
 * (deny by default). Fields of a record of branch data (entityScopes) answer only within the caller's reach,
 * however the record was reached; `_entities` screens every reference (see guardEntitiesField). Other object
 * types are reached only through those fields. Mutates and returns the schema (NestJS `transformSchema`).
 */
export function enforceAccess(schema: GraphQLSchema, options: EnforceOptions = {}): GraphQLSchema {
  const guards = entityGuards(schema, options);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__') || type.name === '_Service') continue;
    const root = type === schema.getQueryType() || type === schema.getMutationType();
    if (!root && !isEntityType(type)) continue;
    const scopeOf = guards.get(type.name)?.scopeOf;
    for (const field of Object.values(type.getFields()) as FieldWithPolicy[]) {
      if (root && field.name === '_entities') {
        guardEntitiesField(field, guards, options);
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
        if (
          scopeOf &&
          source &&
          typeof source === 'object' &&
          !recordReached(source, policy, decision, scopeOf)
        ) {
          options.onRefused?.({ principal, field: name, code: 'FORBIDDEN', reason: 'OUT_OF_SCOPE' });
          throw refusal('FORBIDDEN', 'You may not see this record', 'OUT_OF_SCOPE');
        }
        if (root && options.onRefused && context && typeof context === 'object')
          quietAudits.set(context, options.onRefused);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}

/** Per record and policy, whether the caller reaches it: a roster page asks once per row, not once per field. */
const reachedRecords = new WeakMap<object, Map<AccessPolicy, boolean>>();

function recordReached(
  record: object,
  policy: AccessPolicy,
  decision: Allowed,
  scopeOf: (entity: never) => EntityScope,
): boolean {
  if (decision.reach.all) return true;
  let byPolicy = reachedRecords.get(record);
  if (!byPolicy) reachedRecords.set(record, (byPolicy = new Map()));
  let reached = byPolicy.get(policy);
  if (reached === undefined) byPolicy.set(policy, (reached = reaches(decision, scopeOf(record as never))));
  return reached;
}

/** The audit hook of each request, for refusals that its answer does not show (see recordQuietRefusal). */
const quietAudits = new WeakMap<object, NonNullable<EnforceOptions['onRefused']>>();

/**
 * Audits a refusal the answer does not show: a resolver that answers a record out of the caller's reach as one
 * that is not there (null, NOT_FOUND) calls this, so the attempt is on record all the same.
 */
export function recordQuietRefusal(context: AccessContext, field: string, branchId?: string | null): void {
  const audit = context && typeof context === 'object' ? quietAudits.get(context) : undefined;
  audit?.({
    principal: context?.principal ?? ANONYMOUS,
    field,
    code: 'FORBIDDEN',
    reason: 'OUT_OF_SCOPE',
    branchId,
  });
}

interface Representation {
  __typename: string;
}

/**
 * `_entities` goes through the same decision as the type's fields, reference by reference (batched ones
 * included): anonymous callers are asked to sign in; a reference to a type whose policy the caller does not meet
 * is refused without the record being looked up; a record out of the caller's reach answers null — as a record
 * that is not there does — and the attempt is audited. References to types this subgraph does not resolve go
 * to the federation library, which refuses them.
 */
function guardEntitiesField(
  field: GraphQLField<unknown, unknown>,
  guards: Map<string, EntityGuard>,
  options: EnforceOptions,
): void {
  const resolve = field.resolve ?? defaultFieldResolver;
  field.resolve = async (source, args, rawContext, info) => {
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
    const representations = (args as { representations?: Representation[] }).representations ?? [];
    const answers: unknown[] = new Array(representations.length).fill(null);
    const forwarded: { index: number; guard?: EntityGuard; decision?: Allowed }[] = [];
    representations.forEach((representation, index) => {
      const guard = guards.get(representation?.__typename);
      if (!guard) return void forwarded.push({ index });
      const decision = decideOnce(context, principal, guard.policy);
      if (decision.allowed) return void forwarded.push({ index, guard, decision });
      options.onRefused?.({
        principal,
        field: `${representation.__typename}(reference)`,
        code: decision.code,
        reason: decision.reason,
      });
      answers[index] = refusal(decision.code, decision.reason, 'ROLE_MISSING');
    });
    const resolved = forwarded.length
      ? ((await resolve(
          source,
          { ...args, representations: forwarded.map(({ index }) => representations[index]) },
          rawContext,
          info,
        )) as unknown[])
      : [];
    await Promise.all(
      forwarded.map(async ({ index, guard, decision }, position) => {
        let entity: unknown;
        try {
          entity = await resolved[position];
        } catch (error) {
          answers[index] = error;
          return;
        }
        if (!guard?.scopeOf || !decision || entity == null || entity instanceof Error) {
          answers[index] = entity ?? null;
          return;
        }
        const scope = guard.scopeOf(entity as never);
        if (reaches(decision, scope)) {
          answers[index] = entity;
          return;
        }
        options.onRefused?.({
          principal,
          field: `${representations[index].__typename}(reference)`,
          code: 'FORBIDDEN',
          reason: 'OUT_OF_SCOPE',
          branchId: scope.branchId,
        });
        answers[index] = null;
      }),
    );
    return answers;
  };
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
  if (!decision.allowed) return Reach.NOTHING;
  const name = `${info.parentType.name}.${info.fieldName}`;
  return decision.reach.auditing((branchId) => recordQuietRefusal(context, name, branchId));
}
