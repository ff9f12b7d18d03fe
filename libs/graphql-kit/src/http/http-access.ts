import type { IncomingMessage } from 'node:http';
import {
  applyDecorators,
  createParamDecorator,
  Inject,
  Injectable,
  Logger,
  SetMetadata,
  UseFilters,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  AUTH_OFF,
  authenticate,
  decide,
  type AccessPolicy,
  type AccessScope,
  type Principal,
  type Reach,
  type Role,
  type TokenVerifier,
} from '@unionfed/auth';
import { ForbiddenError } from '@unionfed/domain-kit';
import { GATEWAY_SIGNATURE_HEADER, STREAMED_BODY, type GatewaySignatureVerifier } from '../gateway-signature';
import { refusedAccessLine } from '../refused-access';
import { HttpErrorFilter } from './http-error.filter';
import { HttpRefusal } from './http-errors';

/**
 * An HTTP route of a subgraph that the gateway forwards (libs/service-kit's HTTP_ROUTES table names them; a
 * subgraph takes its own from it as `httpRoutes`).
 */
export interface SubgraphHttpRoute {
  method: 'GET' | 'POST';
  /** where the service serves it, e.g. /roster/imports */
  path: string;
  /**
   * the request body streams through the gateway (an upload): the hop's signature covers method, path and time
   * (STREAMED_BODY); otherwise the route takes no body and the signature covers the empty one
   */
  streamed: boolean;
}

/** What the guard of a subgraph's HTTP routes checks with: the same verifiers and switches as its GraphQL. */
export interface SubgraphHttpAccess {
  signatures: GatewaySignatureVerifier;
  /** refuse requests without the gateway's signature (production) */
  signatureRequired: boolean;
  tokens: TokenVerifier;
  /** UNIONFED_AUTH=off (benchmarks): every request is AUTH_OFF's HQ admin */
  authOff: boolean;
  routes: readonly SubgraphHttpRoute[];
}

/** Provided by subgraphModule (libs/graphql-kit subgraph.ts). */
export const SUBGRAPH_HTTP_ACCESS = Symbol('unionfed.subgraphHttpAccess');

/** A route's @HttpAccess: the @access directive's policy, and how its refusal reads. */
export interface HttpAccessPolicy {
  roles: readonly Role[];
  /** as @access: BRANCH unless told */
  scope?: AccessScope;
  /** as @access: API keys are refused unless told */
  integration?: boolean;
  /** what a signed-in caller without one of the roles is told (default: the decision's reason) */
  forbidden?: { message: string; messageZh: string };
}

const HTTP_ACCESS = 'unionfed:httpAccess';
const CALLER = Symbol('unionfed.httpCaller');

/** The allowed caller of a route: who, how far they reach for it, and the policy that let them in. */
export interface HttpCaller {
  principal: Principal;
  /** narrow the route's data with it, and check the branches it names (`reach.assertBranch`) */
  reach: Reach;
  policy: AccessPolicy;
}

type GuardedRequest = IncomingMessage & { originalUrl?: string; [CALLER]?: HttpCaller };

/** The @access policy of a route's declaration (the same defaults as the directive). */
export function accessPolicyOf(policy: HttpAccessPolicy): AccessPolicy {
  return { roles: policy.roles, scope: policy.scope ?? 'BRANCH', integration: policy.integration ?? false };
}

/** The route's @HttpAccess declaration, if it has one (the routes check reads it too). */
export function httpAccessOf(handler: object): HttpAccessPolicy | undefined {
  return Reflect.getMetadata(HTTP_ACCESS, handler) as HttpAccessPolicy | undefined;
}

const pathOf = (req: GuardedRequest) => (req.originalUrl ?? req.url ?? '/').split('?')[0];

/**
 * The guard of a subgraph's HTTP routes, as its GraphQL endpoint is guarded: the gateway's signature of the
 * request (required in production, and wrong ones refused everywhere: the route is meant to be reached through
 * the gateway), the bearer token verified into a Principal, and the route's policy decided with @access's
 * semantics. Refusals are audited; the allowed caller is handed to the handler (`@HttpCaller()`).
 */
@Injectable()
export class SubgraphHttpGuard implements CanActivate {
  private readonly audit = new Logger('Audit');

  constructor(
    private readonly reflector: Reflector,
    @Inject(SUBGRAPH_HTTP_ACCESS) private readonly access: SubgraphHttpAccess,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<GuardedRequest>();
    const action = `${req.method} ${pathOf(req)}`;
    const declared = this.reflector.getAllAndOverride<HttpAccessPolicy | undefined>(HTTP_ACCESS, [
      context.getHandler(),
      context.getClass(),
    ]);
    // deny by default, as a GraphQL field without @access is (only a bare @UseGuards gets here without one)
    if (!declared) throw new ForbiddenError(`${action} declares no access policy`, 'NO_POLICY');
    await this.checkGatewaySignature(req);
    const { principal, authError } = this.access.authOff
      ? AUTH_OFF
      : await authenticate(this.access.tokens, req.headers.authorization);
    if (authError) throw authError;
    const policy = accessPolicyOf(declared);
    const decision = decide(principal, policy);
    if (!decision.allowed) {
      this.audit.warn(
        refusedAccessLine({ principal, field: action, code: decision.code, reason: decision.reason }),
      );
      if (decision.code === 'UNAUTHENTICATED') {
        throw new HttpRefusal(401, 'UNAUTHENTICATED', 'SIGN_IN', decision.reason, '请先登录', {
          'www-authenticate': 'Bearer',
        });
      }
      throw new HttpRefusal(
        403,
        'FORBIDDEN',
        'ROLE_MISSING',
        declared.forbidden?.message ?? decision.reason,
        declared.forbidden?.messageZh ?? '您没有权限使用此功能',
      );
    }
    req[CALLER] = { principal, reach: decision.reach, policy };
    return true;
  }

  /** The request is the gateway's, of exactly this method and path, and recent (gateway-signature.ts). */
  private async checkGatewaySignature(req: GuardedRequest): Promise<void> {
    const header = req.headers[GATEWAY_SIGNATURE_HEADER];
    const signature = Array.isArray(header) ? header[0] : header;
    if (!signature) {
      if (!this.access.signatureRequired) return; // tests and developers call a service directly
      throw signatureRefused('This service only answers requests forwarded by the gateway');
    }
    const path = pathOf(req);
    const route = this.access.routes.find((r) => r.method === req.method && r.path === path);
    const valid =
      route !== undefined &&
      (await this.access.signatures.verifies(signature, {
        method: req.method ?? 'GET',
        path: req.originalUrl ?? req.url ?? '',
        body: route.streamed ? STREAMED_BODY : '',
      }));
    if (!valid) throw signatureRefused('The gateway signature of this request is not valid');
  }
}

function signatureRefused(message: string): HttpRefusal {
  return new HttpRefusal(
    401,
    'UNAUTHENTICATED',
    'GATEWAY_SIGNATURE_INVALID',
    message,
    '此服务只接受经网关转发的请求',
  );
}

/**
 * Declares who may use a subgraph's HTTP route, with the @access directive's semantics (roles, scope,
 * integration), and guards it: SubgraphHttpGuard checks the gateway's signature, the token and the policy,
 * HttpErrorFilter answers whatever the route throws in the platform's error shape. The route must be one of
 * the subgraph's `httpRoutes` (the service does not start otherwise).
 *
 *   @Get('export') @HttpAccess({ roles: ['ADMIN', 'MEMBERSHIP_OFFICER'] })
 *   export(@HttpCaller() caller: HttpCaller, @Res() res: ServerResponse) { … caller.reach … }
 */
export function HttpAccess(policy: HttpAccessPolicy): MethodDecorator {
  return applyDecorators(
    SetMetadata(HTTP_ACCESS, policy),
    UseGuards(SubgraphHttpGuard),
    UseFilters(HttpErrorFilter),
  );
}

/** The allowed caller of an @HttpAccess route: principal, reach, policy. */
export const HttpCaller = createParamDecorator((_data: unknown, ctx: ExecutionContext): HttpCaller => {
  const caller = ctx.switchToHttp().getRequest<GuardedRequest>()[CALLER];
  // only SubgraphHttpGuard sets it: a handler reading it without @HttpAccess is a mistake, not a caller
  if (!caller) throw new Error('@HttpCaller() is for routes declared with @HttpAccess');
  return caller;
});
