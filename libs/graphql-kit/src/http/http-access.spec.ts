import 'reflect-metadata';
import type { ServerResponse } from 'node:http';
import { Controller, Get, Module, Post, Res, type INestApplication } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { generateSigningKey, verifierFromEnvironment } from '@unionfed/auth';
import { ConflictError, InvalidInputError } from '@unionfed/domain-kit';
import { createTestIssuer, hq, inBranch, type TestIssuer } from '@unionfed/testing';
import {
  GATEWAY_SIGNATURE_HEADER,
  GatewaySignatureVerifier,
  signGatewayRequest,
  STREAMED_BODY,
} from '../gateway-signature';
import {
  HttpAccess,
  HttpCaller,
  SUBGRAPH_HTTP_ACCESS,
  SubgraphHttpGuard,
  type SubgraphHttpAccess,
  type SubgraphHttpRoute,
} from './http-access';
import { SubgraphHttpRoutesCheck } from './http-routes-check';

const BRANCH_A = '0190a000-0000-7000-8000-00000000000a';
const BRANCH_B = '0190a000-0000-7000-8000-00000000000b';

const ROUTES: SubgraphHttpRoute[] = [
  { method: 'GET', path: '/files/report', streamed: false },
  { method: 'POST', path: '/files/upload', streamed: true },
];

/** A service's file routes, as a service writes them: the policy declared, the caller taken, errors thrown. */
@Controller('files')
class FilesController {
  @Get('report')
  @HttpAccess({
    roles: ['ADMIN', 'FINANCE_AUDITOR'],
    forbidden: {
      message: 'Only admins and auditors read reports',
      messageZh: '只有管理员和审计委员可以查看报表',
    },
  })
  report(@HttpCaller() caller: HttpCaller, @Res() res: ServerResponse): void {
    caller.reach.assertBranch(BRANCH_A); // branch reach checked where the data is
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ subject: caller.principal.subject, all: caller.reach.all }));
  }

  @Post('upload')
  @HttpAccess({ roles: ['ADMIN'], scope: 'FEDERATION' })
  upload(@Res() res: ServerResponse): void {
    const kind = res.req.headers['x-fail'];
    if (kind === 'input')
      throw new InvalidInputError('month must be YYYY-MM', 'INVALID_MONTH', { field: 'month', secret: 'x' });
    if (kind === 'conflict') throw new ConflictError('the month is closed', 'MONTH_CLOSED');
    if (kind === 'bug') throw new Error('relation "payroll" does not exist at Parser.parse');
    res.statusCode = 202;
    res.end();
  }
}

describe('the guard and error filter of a subgraph’s HTTP routes', () => {
  let issuer: TestIssuer;
  const apps: INestApplication[] = [];

  async function serve(access: Partial<SubgraphHttpAccess> = {}, controllers: unknown[] = [FilesController]) {
    @Module({
      imports: [DiscoveryModule],
      controllers: controllers as never[],
      providers: [
        {
          provide: SUBGRAPH_HTTP_ACCESS,
          useValue: {
            signatures: new GatewaySignatureVerifier({ jwks: issuer.jwks as never }),
            signatureRequired: true,
            tokens: verifierFromEnvironment(issuer.env),
            authOff: false,
            routes: ROUTES,
            ...access,
          } satisfies SubgraphHttpAccess,
        },
        SubgraphHttpGuard,
        SubgraphHttpRoutesCheck,
      ],
    })
    class FilesModule {}
    const app = await NestFactory.create(FilesModule, { logger: false });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return (await app.getUrl()).replace('[::1]', '127.0.0.1');
  }

  const signature = async (method: string, path: string, key = issuer.key) => ({
    [GATEWAY_SIGNATURE_HEADER]: await signGatewayRequest(key, {
      method,
      path,
      body: method === 'GET' ? '' : STREAMED_BODY,
    }),
  });
  const call = async (base: string, method: string, path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(await signature(method, path)), ...headers },
      ...(method === 'POST' ? { body: 'a,b\n' } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: text ? JSON.parse(text) : null };
  };
  const as = async (grants: Parameters<TestIssuer['bearer']>[0]) => ({
    authorization: await issuer.bearer(grants, { subject: 'the-caller' }),
  });

  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('serves a request the gateway signed to a caller the policy names, handing the handler its principal and reach', async () => {
    const base = await serve();
    const answer = await call(
      base,
      'GET',
      '/files/report?year=2026',
      await as([inBranch('ADMIN', BRANCH_A)]),
    );
    expect(answer).toMatchObject({ status: 200, body: { subject: 'the-caller', all: false } });
  });

  it('refuses a request the gateway did not sign where signatures are required, and a wrong signature anywhere', async () => {
    const base = await serve();
    const unsigned = await fetch(`${base}/files/report`, { headers: await as([hq('ADMIN')]) });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toEqual({
      error: {
        code: 'UNAUTHENTICATED',
        reason: 'GATEWAY_SIGNATURE_INVALID',
        message: 'This service only answers requests forwarded by the gateway',
        messageZh: '此服务只接受经网关转发的请求',
      },
    });
    const relaxed = await serve({ signatureRequired: false });
    expect((await fetch(`${relaxed}/files/report`, { headers: await as([hq('ADMIN')]) })).status).toBe(200);
    const forged = await fetch(`${relaxed}/files/report`, {
      headers: {
        ...(await as([hq('ADMIN')])),
        ...(await signature('GET', '/files/report', await generateSigningKey())),
      },
    });
    expect(forged.status).toBe(401);
    // a signature of another path (or query) is not this request's
    const moved = await fetch(`${base}/files/report?year=2025`, {
      headers: { ...(await as([hq('ADMIN')])), ...(await signature('GET', '/files/report?year=2026')) },
    });
    expect(moved.status).toBe(401);
  });

  it('asks an anonymous caller to sign in and refuses a bad token, in the platform’s error shape', async () => {
    const base = await serve();
    const anonymous = await call(base, 'GET', '/files/report');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(anonymous.body).toEqual({
      error: { code: 'UNAUTHENTICATED', reason: 'SIGN_IN', message: 'Sign in first', messageZh: '请先登录' },
    });
    const forged = await call(base, 'GET', '/files/report', { authorization: 'Bearer not.a.token' });
    expect(forged.status).toBe(401);
    expect(forged.body.error).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  });

  it('refuses roles the policy does not name with its own wording, and branch grants on a federation route', async () => {
    const base = await serve();
    const viewer = await call(base, 'GET', '/files/report', await as([hq('VIEWER')]));
    expect(viewer).toMatchObject({
      status: 403,
      body: {
        error: {
          code: 'FORBIDDEN',
          reason: 'ROLE_MISSING',
          message: 'Only admins and auditors read reports',
          messageZh: '只有管理员和审计委员可以查看报表',
        },
      },
    });
    const branchAdmin = await call(base, 'POST', '/files/upload', await as([inBranch('ADMIN', BRANCH_A)]));
    expect(branchAdmin.status).toBe(403);
    expect((await call(base, 'POST', '/files/upload', await as([hq('ADMIN')]))).status).toBe(202);
  });

  it('answers what a handler throws with its kind’s status, never a stack trace or a 500 for bad input', async () => {
    const base = await serve();
    const admin = await as([hq('ADMIN')]);
    const outOfReach = await call(base, 'GET', '/files/report', await as([inBranch('ADMIN', BRANCH_B)]));
    expect(outOfReach.status).toBe(403);
    expect(outOfReach.body.error).toMatchObject({ code: 'FORBIDDEN', reason: 'OUT_OF_SCOPE' });
    expect(outOfReach.text).not.toContain(BRANCH_A);
    const input = await call(base, 'POST', '/files/upload', { ...admin, 'x-fail': 'input' });
    expect(input).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'BAD_USER_INPUT',
          reason: 'INVALID_MONTH',
          message: 'month must be YYYY-MM',
          messageZh: '请求参数不正确',
          field: 'month',
        },
      },
    });
    expect(input.body.error.secret).toBeUndefined();
    expect((await call(base, 'POST', '/files/upload', { ...admin, 'x-fail': 'conflict' })).status).toBe(409);
    const bug = await call(base, 'POST', '/files/upload', { ...admin, 'x-fail': 'bug' });
    expect(bug).toEqual(
      expect.objectContaining({
        status: 500,
        body: {
          error: {
            code: 'INTERNAL_SERVER_ERROR',
            reason: 'INTERNAL',
            message: 'Internal server error',
            messageZh: '服务器内部错误',
          },
        },
      }),
    );
    expect(bug.text).not.toMatch(/payroll|Parser/);
  });

  it('does not start when a guarded route is not among the declared routes, or a declared one is not served', async () => {
    await expect(serve({ routes: ROUTES.slice(0, 1) })).rejects.toThrow(
      /POST \/files\/upload is served with @HttpAccess but is not in httpRoutes/,
    );
    await expect(
      serve({ routes: [...ROUTES, { method: 'GET', path: '/files/missing', streamed: false }] }),
    ).rejects.toThrow(/GET \/files\/missing is in httpRoutes but no @HttpAccess route serves it/);
  });
});
