import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import {
  ANONYMOUS,
  fieldPolicy,
  reachOf,
  Reach,
  type AccessContext,
  type AccessPolicy,
  type Principal,
} from '@unionfed/auth';
import { SYSTEM_ACTING, type Acting } from '@unionfed/persistence';

/**
 * Who acts in a request, as a subgraph's commands take it: the audit trail's actor and role, and the reach its
 * access checks use inside the unit of work (after the locked read). (The trace is the active span's.)
 */
export interface RequestActing extends Acting {
  principal: Principal;
  reach: Reach;
}

/** The platform itself (seeds, tests of the write path): reaches everything, audited as "system". */
export const SYSTEM: RequestActing = Object.freeze({
  ...SYSTEM_ACTING,
  principal: ANONYMOUS,
  reach: Reach.EVERYTHING,
});

/**
 * The acting principal of a request for a field with `policy`: the grant that allowed it (an HQ grant before a
 * branch's, as `decide` prefers it) names the role used.
 */
export function actingOf(
  principal: Principal,
  reach: Reach,
  policy: AccessPolicy | undefined,
): RequestActing {
  const grants = policy ? principal.grants.filter((g) => policy.roles.includes(g.role)) : [];
  const grant = grants.find((g) => g.branchId === null && g.role !== 'MEMBER') ?? grants[0];
  return {
    actorId: principal.subject,
    actorName: principal.name,
    role: grant?.role ?? (principal.kind === 'integration' ? 'INTEGRATION' : null),
    roleBranchId: grant?.branchId ?? null,
    principal,
    reach,
  };
}

/**
 * `@CurrentActing()` in a resolver: the principal, and the reach and role of this field — read from the request
 * once, and handed to the command, whose unit of work carries them to the audit trail.
 */
export const CurrentActing = createParamDecorator((_data: unknown, ctx: ExecutionContext): RequestActing => {
  const gql = GqlExecutionContext.create(ctx);
  const context = gql.getContext<AccessContext>();
  const info = gql.getInfo<GraphQLResolveInfo>();
  const field = info.parentType.getFields()[info.fieldName];
  const policy = field ? fieldPolicy(info.schema, info.parentType, field) : undefined;
  return actingOf(context?.principal ?? ANONYMOUS, reachOf(context, info), policy);
});
