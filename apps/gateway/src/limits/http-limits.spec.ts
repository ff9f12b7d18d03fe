import type { AddressInfo } from 'node:net';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { createErrorFormatter } from '@unionfed/graphql-kit';
import { gatewayLimits, type GatewayLimitsOptions } from './gateway-limits';
import { PersistedOperations } from './persisted-operations';

/**
 * The limits over real HTTP, in a Nest application wired like the gateway (ApolloDriver instead of the
 * gateway driver, so that a small in-test schema stands in for the subgraphs).
 */
async function startHttpServer(options: GatewayLimitsOptions<{ req: unknown }> = {}, installHttp = true) {
  const resolved: string[] = [];
  const limits = gatewayLimits({ persistedOperations: new PersistedOperations([]), ...options });

  @Module({
    imports: [
      GraphQLModule.forRoot<ApolloDriverConfig>({
        driver: ApolloDriver,
        typeDefs: /* GraphQL */ `
          type Query {
            hello(name: String): String
            boom: String
          }
        `,
        resolvers: {
          Query: {
            hello: (_: unknown, args: { name?: string }) => {
              resolved.push('hello');
              return `hello ${(args.name ?? 'world').length}`;
            },
            boom: () => {
              resolved.push('boom');
              throw new Error('insert into member values ($1): duplicate key value violates "member_pkey"');
            },
          },
        },
        path: '/graphql',
        ...limits.apolloOptions,
        includeStacktraceInErrorResponses: false,
        formatError: createErrorFormatter(() => undefined),
      }),
    ],
  })
  class TestGatewayModule {}

  const app: INestApplication = await NestFactory.create(TestGatewayModule, { logger: false });
  if (installHttp) limits.configureHttp(app);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const post = async (body: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: JSON.parse(text) };
  };
  return { post, resolved, close: () => app.close() };
}

const servers: Array<{ close: () => Promise<void> }> = [];
async function start(...args: Parameters<typeof startHttpServer>) {
  const server = await startHttpServer(...args);
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const operation = (name = 'world') => ({
  query: 'query ($name: String) { hello(name: $name) }',
  variables: { name },
});

describe('gateway limits over HTTP', () => {
  it('refuses a 2 MB body with 413 PAYLOAD_TOO_LARGE as a GraphQL error, without running anything', async () => {
    const { post, resolved } = await start();
    const response = await post(JSON.stringify(operation('x'.repeat(2 * 1024 * 1024))));
    expect(response.status).toBe(413);
    expect(response.json).toEqual({
      errors: [
        {
          message: 'The request body is larger than the 1048576 bytes this gateway accepts',
          extensions: { code: 'PAYLOAD_TOO_LARGE', limit: 1048576, measured: expect.any(Number) },
        },
      ],
    });
    expect(response.json.errors[0].extensions.measured).toBeGreaterThan(2 * 1024 * 1024);
    expect(resolved).toEqual([]);
  });

  it('accepts a body under the limit that is larger than the parser default of 100 kB', async () => {
    const { post, resolved } = await start();
    const response = await post(JSON.stringify(operation('x'.repeat(600 * 1024))));
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ data: { hello: `hello ${600 * 1024}` } });
    expect(resolved).toEqual(['hello']);
  });

  it('refuses a batch of 50 operations with BATCH_TOO_LARGE, without running any', async () => {
    const { post, resolved } = await start();
    const response = await post(JSON.stringify(Array.from({ length: 50 }, () => operation())));
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      errors: [
        {
          message: 'The request batches 50 operations; the limit is 5',
          extensions: { code: 'BATCH_TOO_LARGE', limit: 5, measured: 50 },
        },
      ],
    });
    expect(resolved).toEqual([]);
  });

  it('runs a batch within the limit', async () => {
    const { post, resolved } = await start();
    const response = await post(JSON.stringify([operation('a'), operation('bb'), operation('ccc')]));
    expect(response.status).toBe(200);
    expect(response.json).toEqual([
      { data: { hello: 'hello 1' } },
      { data: { hello: 'hello 2' } },
      { data: { hello: 'hello 3' } },
    ]);
    expect(resolved).toHaveLength(3);
  });

  it('refuses every batch when batching is turned off', async () => {
    const { post, resolved } = await start({ maxBatchSize: 0 });
    const response = await post(JSON.stringify([operation()]));
    expect(response.status).toBe(400);
    expect(response.json.errors[0].extensions).toEqual({ code: 'BATCH_TOO_LARGE', limit: 0, measured: 1 });
    expect(resolved).toEqual([]);
  });

  it('still refuses an oversized batch when the HTTP middleware was not installed', async () => {
    const { post, resolved } = await start({}, false);
    const response = await post(JSON.stringify(Array.from({ length: 50 }, () => operation())));
    const codes = (response.json as Array<{ errors: Array<{ extensions: { code: string } }> }>).map(
      (result) => result.errors[0].extensions.code,
    );
    expect(codes).toEqual(Array.from({ length: 50 }, () => 'BATCH_TOO_LARGE'));
    expect(resolved).toEqual([]);
  });

  it('answers a caller over its rate with 429, a Retry-After header and RATE_LIMITED', async () => {
    let now = 0;
    const { post, resolved } = await start({
      clock: () => now,
      anonymousRateLimit: { capacity: 2, refillPerSecond: 0.5 },
    });
    const body = JSON.stringify(operation());
    expect((await post(body)).status).toBe(200);
    expect((await post(body)).status).toBe(200);
    const refused = await post(body);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(refused.json).toEqual({
      errors: [
        {
          message: 'Too many requests: retry in 2 s',
          extensions: { code: 'RATE_LIMITED', retryAfter: 2, capacity: 2, refillPerSecond: 0.5 },
        },
      ],
    });
    expect(resolved).toEqual(['hello', 'hello']);
    now += 2_000;
    expect((await post(body)).status).toBe(200);
  });

  it('answers an unexpected error without its stack trace or SQL', async () => {
    const { post, resolved } = await start();
    const response = await post(JSON.stringify({ query: '{ boom }' }));
    expect(resolved).toEqual(['boom']);
    expect(response.json.errors).toEqual([
      {
        message: 'Internal server error',
        locations: [{ line: 1, column: 3 }],
        path: ['boom'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(response.text).not.toMatch(/insert|member_pkey|stacktrace|\.ts:\d/i);
  });
});
