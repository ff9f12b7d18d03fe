import 'reflect-metadata';
import { join } from 'node:path';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Args, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { DataSource } from 'typeorm';
import { generateSigningKey } from '@unionfed/auth';
import { createDataSource } from '@unionfed/persistence';
import { createTestDatabase, createTestIssuer, type TestIssuer } from '@unionfed/testing';
import { GATEWAY_SIGNATURE_HEADER, signGatewayRequest, subgraphModule } from '../src';

interface GraphqlResponse {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

const BUDGET_MS = 1_000;
/** which `touched` fields ran, in order */
const touched: string[] = [];

@Resolver('Query')
class SlowQueryResolver {
  constructor(private readonly dataSource: DataSource) {}
  @Query() ping() {
    return 'pong';
  }
  @Query() async slow(@Args('seconds') seconds: number) {
    await this.dataSource.query('SELECT pg_sleep($1)', [seconds]);
    return { label: `slow ${seconds}` };
  }
}

@Resolver('Slow')
class SlowResolver {
  constructor(private readonly dataSource: DataSource) {}
  @ResolveField() async andThen(@Args('seconds') seconds: number) {
    await this.dataSource.query('SELECT pg_sleep($1)', [seconds]);
    return { label: `then ${seconds}` };
  }
  @ResolveField() touched() {
    touched.push('touched');
    return true;
  }
}

@Module({})
class SlowSubgraphModule {}

async function startSlowSubgraph(dataSource: DataSource): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(
    {
      module: SlowSubgraphModule,
      imports: [subgraphModule({ typePaths: [join(__dirname, 'slow.graphql')], requestBudgetMs: BUDGET_MS })],
      providers: [{ provide: DataSource, useValue: dataSource }, SlowQueryResolver, SlowResolver],
    },
    { logger: false },
  );
  await app.listen(0, '127.0.0.1');
  return { app, url: `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/graphql` };
}

/** A subgraph served by libs/graphql-kit's subgraphModule against a real PostgreSQL database. */
describe('a subgraph’s deadlines and gateway signature (real PostgreSQL, HTTP)', () => {
  let database: { url: string; name: string; drop(): Promise<void> };
  let dataSource: DataSource;
  let issuer: TestIssuer;
  let app: INestApplication;
  let url: string;

  const post = async (target: string, query: string, headers: Record<string, string> = {}, body?: string) => {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: body ?? JSON.stringify({ query }),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: (await response.json()) as GraphqlResponse };
  };
  const sleepsInDatabase = async () =>
    (
      (await dataSource.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
        [database.name],
      )) as { n: number }[]
    )[0].n;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    process.env.UNIONFED_JWKS = issuer.env.UNIONFED_JWKS;
    database = await createTestDatabase('subgraph_guards');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: [],
      applicationName: 'subgraph-guards-test',
      timeouts: { statement: 4_000 },
    });
    await dataSource.initialize();
    ({ app, url } = await startSlowSubgraph(dataSource));
  });

  afterAll(async () => {
    await app?.close();
    await dataSource?.destroy();
    await database?.drop();
    delete process.env.UNIONFED_JWKS;
  });

  it('sets statement_timeout and idle_in_transaction_session_timeout on every connection of the pool', async () => {
    const [settings] = (await dataSource.query(
      "SELECT current_setting('statement_timeout') AS statement, " +
        "current_setting('idle_in_transaction_session_timeout') AS idle",
    )) as { statement: string; idle: string }[];
    expect(settings).toEqual({ statement: '4s', idle: '30s' });
  });

  it('answers a request whose SQL runs past the budget with TIMEOUT at the budget, and cancels that SQL', async () => {
    const started = Date.now();
    const { body } = await post(url, '{ slow(seconds: 3) { touched } }');
    const took = Date.now() - started;
    expect(body.errors?.map((error) => error.extensions?.code)).toEqual(['TIMEOUT']);
    expect(body.errors?.[0].message).toBe(
      `The request ran past its execution budget of ${BUDGET_MS} ms and was stopped`,
    );
    expect(JSON.stringify(body)).not.toMatch(/pg_sleep|stack|at /);
    expect(took).toBeGreaterThanOrEqual(BUDGET_MS - 50);
    expect(took).toBeLessThan(BUDGET_MS + 1_000);
    // PostgreSQL was asked to cancel the statement: it is gone long before its 3 s
    const deadline = Date.now() + 1_000;
    while ((await sleepsInDatabase()) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(await sleepsInDatabase()).toBe(0);
  });

  it('runs no resolver once the budget has passed', async () => {
    touched.length = 0;
    const { body } = await post(url, '{ slow(seconds: 0.7) { andThen(seconds: 0.7) { touched } touched } }');
    expect(body.errors?.map((error) => error.extensions?.code)).toContain('TIMEOUT');
    // the first level finished in time, the second ran into the deadline: nothing under it ran
    await new Promise((r) => setTimeout(r, 800));
    expect(touched).toEqual(['touched']);
  });

  it('answers the next request at once after a request that timed out', async () => {
    await post(url, '{ slow(seconds: 3) { touched } }');
    const started = Date.now();
    const { body } = await post(url, '{ ping slow(seconds: 0.05) { touched } }');
    expect(body).toEqual({ data: { ping: 'pong', slow: { touched: true } } });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('answers a request asking for Apollo federated traces without them (no per-field timings or error details)', async () => {
    const { body } = await post(url, '{ ping }', { 'apollo-federation-include-trace': 'ftv1' });
    expect(body).toEqual({ data: { ping: 'pong' } });
  });

  describe('in production (NODE_ENV=production)', () => {
    let production: { app: INestApplication; url: string };
    const body = JSON.stringify({ query: '{ ping }' });
    const signed = async (key = issuer.key, signedBody = body) => ({
      [GATEWAY_SIGNATURE_HEADER]: await signGatewayRequest(key, {
        method: 'POST',
        path: '/graphql',
        body: signedBody,
      }),
    });

    beforeAll(async () => {
      const nodeEnv = process.env.NODE_ENV;
      process.env.NODE_ENV = 'production';
      try {
        production = await startSlowSubgraph(dataSource);
      } finally {
        process.env.NODE_ENV = nodeEnv;
      }
    });
    afterAll(() => production?.app.close());

    it('serves a request the gateway signed', async () => {
      const response = await post(production.url, '', await signed(), body);
      expect(response).toEqual({ status: 200, body: { data: { ping: 'pong' } } });
    });

    it('refuses an unsigned request with 401 UNAUTHENTICATED and a plain message', async () => {
      const response = await post(production.url, '', {}, body);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        errors: [
          {
            message: 'This service only answers requests forwarded by the gateway',
            extensions: { code: 'UNAUTHENTICATED', reason: 'GATEWAY_SIGNATURE_INVALID' },
          },
        ],
      });
    });

    it('refuses a request signed with another key, or whose body is not the one signed', async () => {
      const otherKey = await generateSigningKey();
      const forged = await post(production.url, '', await signed(otherKey), body);
      expect(forged.status).toBe(401);
      expect(forged.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      const tampered = await post(
        production.url,
        '',
        await signed(issuer.key, body),
        JSON.stringify({ query: '{ slow(seconds: 0.01) { touched } }' }),
      );
      expect(tampered.status).toBe(401);
    });

    it('outside production serves an unsigned request but still refuses a wrongly signed one', async () => {
      expect((await post(url, '{ ping }')).body).toEqual({ data: { ping: 'pong' } });
      const forged = await post(url, '', await signed(await generateSigningKey()), body);
      expect(forged.status).toBe(401);
    });
  });
});
