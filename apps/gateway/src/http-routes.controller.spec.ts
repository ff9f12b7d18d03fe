import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { generateSigningKey, type SigningKey } from '@unionfed/auth';
import { GATEWAY_SIGNATURE_HEADER, GatewaySignatureVerifier, STREAMED_BODY } from '@unionfed/graphql-kit';
import { traceRequests } from '@unionfed/telemetry';
import { HTTP_ROUTES, type HttpRoute } from '@unionfed/service-kit';
import { recordSpans, type SpanRecorder } from '@unionfed/testing';
import { httpRoutesController } from './http-routes.controller';
import { SigningKeys } from './application/signing-keys';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** The table as it is, plus what finance's payroll import would add — and an entry naming no service. */
const TABLE: HttpRoute[] = [
  ...HTTP_ROUTES,
  {
    method: 'POST',
    gatewayPath: '/uploads/payroll',
    service: 'finance',
    servicePath: '/payroll/imports',
    headers: ['x-file-name'],
    streamed: true,
  },
  {
    method: 'GET',
    gatewayPath: '/downloads/nowhere',
    service: 'nowhere' as never,
    servicePath: '/nowhere',
    headers: [],
    streamed: false,
  },
];

describe('the gateway’s HTTP routes (the route table’s pass-through)', () => {
  let membership: Server;
  let received: Received[] = [];
  let answer: (res: import('node:http').ServerResponse) => void;
  let app: INestApplication;
  let gateway: string;
  const saved = {
    membership: process.env.SUBGRAPH_URL_MEMBERSHIP,
    finance: process.env.SUBGRAPH_URL_FINANCE,
  };
  let recorder: SpanRecorder;

  let key: SigningKey;
  @Module({
    controllers: [httpRoutesController(TABLE)],
    providers: [{ provide: SigningKeys, useValue: { signingKey: () => key } }],
  })
  class TestModule {}
  /** whether a request membership received carries the gateway's signature of exactly that request */
  const signed = (request: Received, body: '' | typeof STREAMED_BODY) =>
    new GatewaySignatureVerifier({ jwks: { keys: [key.publicJwk] } }).verifies(
      String(request.headers[GATEWAY_SIGNATURE_HEADER]),
      { method: request.method, path: request.url, body },
    );

  beforeAll(async () => {
    recorder = recordSpans();
    key = await generateSigningKey();
    membership = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
        answer(res);
      });
    });
    await new Promise<void>((resolve) => membership.listen(0, '127.0.0.1', resolve));
    process.env.SUBGRAPH_URL_MEMBERSHIP = `http://127.0.0.1:${(membership.address() as AddressInfo).port}/graphql`;
    // finance's routes reach the same stand-in: what it received says which path was asked for
    process.env.SUBGRAPH_URL_FINANCE = process.env.SUBGRAPH_URL_MEMBERSHIP;
    app = await NestFactory.create(TestModule, { logger: false });
    app.use(traceRequests()); // as the gateway serves every route: in the request's span
    await app.listen(0, '127.0.0.1');
    gateway = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  beforeEach(() => {
    received = [];
  });

  afterAll(async () => {
    await app?.close();
    await new Promise((resolve) => membership?.close(resolve));
    process.env.SUBGRAPH_URL_MEMBERSHIP = saved.membership;
    process.env.SUBGRAPH_URL_FINANCE = saved.finance;
    await recorder?.stop();
  });

  it('streams an upload to membership’s import endpoint with the caller’s token, and passes the answer back', async () => {
    answer = (res) => {
      res.writeHead(202, {
        'content-type': 'application/json; charset=utf-8',
        'x-internal': 'not for callers',
      });
      res.end(JSON.stringify({ jobId: 'j-1' }));
    };
    const file = Buffer.alloc(3 * 1024 * 1024, '工号,姓名\n');
    const response = await fetch(`${gateway}/uploads/roster?mode=apply&onInvalid=abort`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer t0ken',
        'content-type': 'text/csv',
        'x-file-name': encodeURIComponent('花名册.csv'),
        'x-roster-mapping': '{"SN":"staffNumber"}',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        cookie: 'session=secret',
        'x-other': 'not for membership',
      },
      body: file,
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ jobId: 'j-1' });
    expect(response.headers.get('x-internal')).toBeNull();
    expect(received).toHaveLength(1);
    expect(await signed(received[0], STREAMED_BODY)).toBe(true);
    const [upstream] = received;
    expect(upstream).toMatchObject({ method: 'POST', url: '/roster/imports?mode=apply&onInvalid=abort' });
    expect(upstream.body.equals(file)).toBe(true);
    expect(upstream.headers).toMatchObject({
      authorization: 'Bearer t0ken',
      'content-type': 'text/csv',
      'x-file-name': encodeURIComponent('花名册.csv'),
      'x-roster-mapping': '{"SN":"staffNumber"}',
    });
    expect(upstream.headers.cookie).toBeUndefined();
    expect(upstream.headers['x-other']).toBeUndefined();
    // the same trace: the gateway's request span, whose parent is the caller's
    const [request] = recorder.named('POST /uploads/roster');
    expect(request.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(upstream.headers.traceparent).toBe(
      `00-0af7651916cd43dd8448eb211c80319c-${request.spanContext().spanId}-01`,
    );
  });

  it('passes a download through with its filters, and its file headers back', async () => {
    const csv = Buffer.from('\uFEFF工号,姓名\r\nT1,陈静\r\n');
    answer = (res) => {
      res.writeHead(200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': 'attachment; filename="roster-20261122.csv"',
      });
      res.end(csv);
    };
    const response = await fetch(`${gateway}/downloads/roster?format=csv&gender=MALE`, {
      headers: { authorization: 'Bearer t0ken' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="roster-20261122.csv"');
    expect(Buffer.from(await response.arrayBuffer()).equals(csv)).toBe(true);
    expect(received).toMatchObject([{ method: 'GET', url: '/roster/export?format=csv&gender=MALE' }]);
    expect(await signed(received[0], '')).toBe(true);
  });

  it('sends no body on a route that takes none, whatever the caller sent', async () => {
    answer = (res) => res.end('ok');
    const response = await fetch(`${gateway}/downloads/roster?format=csv`, {
      method: 'GET',
      headers: { authorization: 'Bearer t0ken', 'content-type': 'text/csv', 'x-file-name': 'a.csv' },
    });
    expect(response.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0].body.length).toBe(0);
    expect(received[0].headers['content-type']).toBeUndefined();
    expect(received[0].headers['x-file-name']).toBeUndefined();
  });

  it('forwards a route of another service by its table entry alone (finance’s payroll import)', async () => {
    answer = (res) => {
      res.writeHead(202, { 'content-type': 'application/json; charset=utf-8' });
      res.end('{"jobId":"p-1"}');
    };
    const response = await fetch(`${gateway}/uploads/payroll?month=2026-11`, {
      method: 'POST',
      headers: { authorization: 'Bearer t0ken', 'content-type': 'text/csv', 'x-roster-mapping': '{}' },
      body: '工号,应发\nT1,1500.00\n',
    });
    expect(response.status).toBe(202);
    expect(received).toMatchObject([{ method: 'POST', url: '/payroll/imports?month=2026-11' }]);
    expect(received[0].body.toString()).toBe('工号,应发\nT1,1500.00\n');
    expect(received[0].headers['x-roster-mapping']).toBeUndefined(); // membership's header, not finance's
    expect(await signed(received[0], STREAMED_BODY)).toBe(true);
  });

  it('answers 502 in JSON for a table entry whose service the topology does not know', async () => {
    const response = await fetch(`${gateway}/downloads/nowhere`, {
      headers: { authorization: 'Bearer t0ken' },
    });
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      error: expect.objectContaining({ code: 'BAD_GATEWAY', reason: 'SERVICE_UNKNOWN' }),
    });
    expect(received).toEqual([]);
  });

  it('passes membership’s refusals through as they are', async () => {
    answer = (res) => {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      res.end('{"error":{"code":"UNAUTHENTICATED"}}');
    };
    const response = await fetch(`${gateway}/downloads/roster`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual({ error: { code: 'UNAUTHENTICATED' } });
  });

  it('answers 502 in JSON when membership cannot be reached', async () => {
    process.env.SUBGRAPH_URL_MEMBERSHIP = 'http://127.0.0.1:9/graphql';
    try {
      const response = await fetch(`${gateway}/uploads/roster?mode=apply`, { method: 'POST', body: 'a,b\n' });
      expect(response.status).toBe(502);
      expect(await response.json()).toEqual({
        error: {
          code: 'BAD_GATEWAY',
          reason: 'MEMBERSHIP_UNAVAILABLE',
          message: 'The membership service cannot be reached; try again shortly',
          messageZh: '会籍服务暂时无法访问，请稍后重试',
        },
      });
    } finally {
      process.env.SUBGRAPH_URL_MEMBERSHIP = `http://127.0.0.1:${(membership.address() as AddressInfo).port}/graphql`;
    }
  });
});
