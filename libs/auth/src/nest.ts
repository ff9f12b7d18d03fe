import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { reachOf, type AccessContext } from './enforce';
import { ANONYMOUS } from './principal';

/** The caller's principal, in a resolver. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const context = GqlExecutionContext.create(ctx).getContext<AccessContext>();
  return context?.principal ?? ANONYMOUS;
});

/** How far the caller reaches for this field (see Reach): narrow the query with it. */
export const CurrentReach = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  const gql = GqlExecutionContext.create(ctx);
  return reachOf(gql.getContext<AccessContext>(), gql.getInfo<GraphQLResolveInfo>());
});
