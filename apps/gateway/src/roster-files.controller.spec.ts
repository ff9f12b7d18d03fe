import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { generateSigningKey, type SigningKey } from '@unionfed/auth';
import { GATEWAY_SIGNATURE_HEADER, GatewaySignatureVerifier, STREAMED_BODY } from '@unionfed/graphql-kit';
import { traceRequests } from '@unionfed/telemetry';
import { recordSpans, type SpanRecorder } from '@unionfed/testing';
import { membershipBaseUrl, RosterFilesController } from './roster-files.controller';
import { SigningKeys } from './application/signing-keys';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

describe('the gateway’s roster file pass-through', () => {
  let membership: Server;
  let received: Received[] = [];
  let answer: (res: import('node:http').ServerResponse) => void;
  let app: INestApplication;
  let gateway: string;
  const saved = process.env.SUBGRAPH_URL_MEMBERSHIP;
  let recorder: SpanRecorder;

  let key: SigningKey;
  @Module({
    controllers: [RosterFilesController],
    providers: [{ provide: SigningKeys, useValue: { signingKey: () => key } }],
  })
  class TestModule {}
  /** whether a request membership received carries the gateway's signature of exactly that request */
  const signed = (request: Received) =>
    new GatewaySignatureVerifier({ jwks: { keys: [key.publicJwk] } }).verifies(
      String(request.headers[GATEWAY_SIGNATURE_HEADER]),
      { method: request.method, path: request.url, body: request.method === 'GET' ? '' : STREAMED_BODY },
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
    process.env.SUBGRAPH_URL_MEMBERSHIP = saved;
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
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        cookie: 'session=secret',
      },
      body: file,
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ jobId: 'j-1' });
    expect(response.headers.get('x-internal')).toBeNull();
    expect(received).toHaveLength(1);
    expect(await signed(received[0])).toBe(true);
    const [upstream] = received;
    expect(upstream).toMatchObject({ method: 'POST', url: '/roster/imports?mode=apply&onInvalid=abort' });
    expect(upstream.body.equals(file)).toBe(true);
    expect(upstream.headers).toMatchObject({
      authorization: 'Bearer t0ken',
      'content-type': 'text/csv',
      'x-file-name': encodeURIComponent('花名册.csv'),
    });
    expect(upstream.headers.cookie).toBeUndefined();
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
    expect(await signed(received[0])).toBe(true);
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

  it('finds membership where the gateway sends its GraphQL, or at the topology’s default port', () => {
    expect(membershipBaseUrl({ SUBGRAPH_URL_MEMBERSHIP: 'http://membership:4101/graphql' })).toBe(
      'http://membership:4101',
    );
    expect(membershipBaseUrl({})).toBe('http://127.0.0.1:4101');
  });
});
