import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApolloServer, type GraphQLRequest } from '@apollo/server';
import { ApolloGateway } from '@apollo/gateway';
import { getIntrospectionQuery, GraphQLError, type FormattedExecutionResult } from 'graphql';
import { createErrorFormatter } from '@unionfed/graphql-kit';
import { gatewayLimits, type GatewayLimitsOptions } from './gateway-limits';
import { LimitCode } from '@unionfed/graphql-kit';
import type { Caller } from './limits.plugin';
import { PersistedOperations, sha256 } from './persisted-operations';

interface TestContext {
  caller?: Caller;
  req?: { ip?: string };
}

const typeDefs = /* GraphQL */ `
  type Query {
    hello: String
    campuses: [Campus!]!
    branch(id: ID!): Branch
    members(first: Int = 20, after: String): MemberConnection!
    boom: String
  }
  type Campus {
    id: ID!
    name: String!
    branches: [Branch!]!
    headquarters: Branch!
  }
  type Branch {
    id: ID!
    name: String!
    campus: Campus!
    members(first: Int = 20, after: String): MemberConnection!
  }
  type MemberConnection {
    edges: [MemberEdge!]!
    totalCount: Int!
  }
  type MemberEdge {
    node: Member!
  }
  type Member {
    id: ID!
    name: String!
    branch: Branch!
  }
`;

const REGISTERED = new PersistedOperations([
  { source: 'CampusNames.graphql', text: 'query CampusNames { campuses { name } }' },
]);
const [CAMPUS_NAMES] = REGISTERED.list();

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };
const SECRET_SQL = 'select * from member where staff_number = $1: relation "member" does not exist';
const stopAfterTest: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stopAfterTest.splice(0).map((stop) => stop()));
});

/** A real Apollo Server over a small schema, configured like the gateway; records which resolvers ran. */
async function startServer(options: GatewayLimitsOptions<TestContext> = {}) {
  const resolved: string[] = [];
  const campus = { id: 'c1', name: '主校区' };
  const branch = { id: 'b1', name: '计算机学院分工会', campus };
  const resolvers = {
    Query: {
      hello: () => (resolved.push('hello'), 'world'),
      campuses: () => (resolved.push('campuses'), [campus]),
      branch: () => (resolved.push('branch'), branch),
      members: () => (resolved.push('members'), { edges: [], totalCount: 0 }),
      boom: () => {
        resolved.push('boom');
        throw new Error(SECRET_SQL);
      },
    },
    Campus: { branches: () => [], headquarters: () => branch },
    Branch: { members: () => ({ edges: [], totalCount: 0 }) },
  };
  const limits = gatewayLimits<TestContext>({
    persistedOperations: REGISTERED,
    identify: (context) => context.caller,
    ...options,
  });
  const server = new ApolloServer<TestContext>({
    typeDefs,
    resolvers,
    ...limits.apolloOptions,
    formatError: createErrorFormatter(() => undefined),
    // on purpose: the formatter alone must keep stack traces out of responses
    includeStacktraceInErrorResponses: true,
    logger: silentLogger,
  });
  await server.start();
  stopAfterTest.push(() => server.stop());
  const run = async (request: GraphQLRequest | string, contextValue: TestContext = {}) => {
    const response = await server.executeOperation(
      typeof request === 'string' ? { query: request } : request,
      { contextValue },
    );
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    const result: FormattedExecutionResult = response.body.singleResult;
    return { ...result, status: response.http.status, headers: response.http.headers };
  };
  return { run, resolved };
}

function codesOf(result: FormattedExecutionResult): unknown[] {
  return (result.errors ?? []).map((error) => error.extensions?.code);
}

function nested(levels: number): string {
  // branch { campus { headquarters { campus { … name } } } }: one field per level, no lists (cost = depth)
  let selection = 'name';
  for (let level = levels - 1; level >= 1; level--) {
    const field = level === 1 ? 'branch(id: "b1")' : level % 2 === 0 ? 'campus' : 'headquarters';
    selection = `${field} { ${selection} }`;
  }
  return `{ ${selection} }`;
}

const restricted: TestContext = { caller: { rateKey: 'apikey:stats', persistedOnly: true } };

describe('gateway limits: depth, cost, aliases, parsing', () => {
  it('lets an ordinary query through and runs it', async () => {
    const { run, resolved } = await startServer();
    const result = await run(nested(10));
    expect(result.errors).toBeUndefined();
    expect(resolved).toEqual(['branch']);
  });

  it('refuses a query nested deeper than 10 with QUERY_TOO_DEEP, before any resolver runs', async () => {
    const { run, resolved } = await startServer();
    const result = await run(nested(11));
    expect(codesOf(result)).toEqual(['QUERY_TOO_DEEP']);
    expect(result.errors?.[0].extensions).toMatchObject({ limit: 10, measured: 11 });
    expect(result.data).toBeUndefined();
    expect(result.status).toBe(400);
    expect(resolved).toEqual([]);
  });

  it('finds depth hidden in named and inline fragments', async () => {
    const { run, resolved } = await startServer();
    const result = await run(`
      query Hidden { branch(id: "b1") { ...A } }
      fragment A on Branch { campus { ... on Campus { headquarters { ...B } } } }
      fragment B on Branch { campus { headquarters { ...C } } }
      fragment C on Branch { campus { ... { headquarters { campus { headquarters { campus { name } } } } } } }
    `);
    expect(codesOf(result)).toEqual(['QUERY_TOO_DEEP']);
    expect(result.errors?.[0].extensions?.measured).toBe(11);
    expect(resolved).toEqual([]);
  });

  it('refuses a fragment cycle at validation, without looping', async () => {
    const { run, resolved } = await startServer();
    const result = await run(`
      { branch(id: "b1") { ...A } }
      fragment A on Branch { campus { branches { ...B } } }
      fragment B on Branch { ...A }
    `);
    expect(codesOf(result)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(resolved).toEqual([]);
  });

  it('refuses an alias flood with TOO_MANY_ALIASES', async () => {
    const { run, resolved } = await startServer();
    const flood = Array.from({ length: 200 }, (_, i) => `a${i}: hello`).join(' ');
    const result = await run(`{ ${flood} }`);
    expect(codesOf(result)).toEqual(['TOO_MANY_ALIASES']);
    expect(result.errors?.[0].extensions).toMatchObject({ limit: 30, measured: 200 });
    expect(resolved).toEqual([]);
  });

  it('counts aliases in a fragment each time it is spread', async () => {
    const { run } = await startServer();
    const eight = Array.from({ length: 8 }, (_, i) => `a${i}: name`).join(' ');
    const spreads = Array.from({ length: 4 }, (_, i) => `c${i}: campuses { ...Eight }`).join(' ');
    const result = await run(`{ ${spreads} } fragment Eight on Campus { ${eight} }`);
    expect(codesOf(result)).toEqual(['TOO_MANY_ALIASES']);
    expect(result.errors?.[0].extensions?.measured).toBe(4 + 4 * 8);
  });

  it('refuses a wide list query with QUERY_TOO_COSTLY', async () => {
    const { run, resolved } = await startServer();
    const result = await run(
      '{ campuses { branches { members(first: 100) { edges { node { name branch { name } } } } } } }',
    );
    expect(codesOf(result)).toEqual(['QUERY_TOO_COSTLY']);
    // node: 1 + 1 + (1 + 1) = 4; edges 1 + 4; members 1 + 100 × 5; branches 1 + 20 × 501; campuses 1 + 20 × 10021
    expect(result.errors?.[0].extensions).toMatchObject({ limit: 5000, measured: 200_421 });
    expect(resolved).toEqual([]);
  });

  it('counts a page size sent as a variable', async () => {
    const { run, resolved } = await startServer();
    const query = 'query Page($n: Int) { members(first: $n) { edges { node { name } } } }';
    expect(codesOf(await run({ query, variables: { n: 10 } }))).toEqual([]);
    const result = await run({ query, variables: { n: 1_000_000 } });
    expect(codesOf(result)).toEqual(['QUERY_TOO_COSTLY']);
    expect(resolved).toEqual(['members']);
  });

  it('refuses a document of thousands of tokens while parsing', async () => {
    const { run, resolved } = await startServer();
    const result = await run(`{ ${'hello '.repeat(6000)} }`);
    expect(codesOf(result)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(result.errors?.[0].message).toMatch(/more tha.? 5000 tokens/);
    expect(resolved).toEqual([]);
  });
});

describe('gateway limits: introspection', () => {
  const nodeEnv = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = nodeEnv;
  });

  it('refuses __schema and __type in production with INTROSPECTION_DISABLED, even inside fragments', async () => {
    process.env.NODE_ENV = 'production';
    const { run, resolved } = await startServer();
    for (const query of [
      '{ __schema { types { name } } }',
      '{ hello ...T } fragment T on Query { t: __type(name: "Member") { fields { name } } }',
    ]) {
      const result = await run(query);
      expect(codesOf(result)).toEqual(['INTROSPECTION_DISABLED']);
    }
    expect(resolved).toEqual([]);
    expect(codesOf(await run('{ __typename hello }'))).toEqual([]);
  });

  it('answers the full introspection query outside production, whatever its depth', async () => {
    process.env.NODE_ENV = 'development';
    const { run } = await startServer();
    const result = await run(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    expect(result.errors).toBeUndefined();
    expect(result.data).toHaveProperty('__schema');
  });
});

describe('gateway limits: rate', () => {
  function fakeClock() {
    let now = 0;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  }

  it('refuses a caller over its budget with RATE_LIMITED, retryAfter and 429 + Retry-After', async () => {
    const clock = fakeClock();
    const { run, resolved } = await startServer({
      clock: clock.now,
      rateLimit: { capacity: 2, refillPerSecond: 0.25 },
    });
    const caller: TestContext = { caller: { rateKey: 'user:u1' } };
    expect(codesOf(await run('{ hello }', caller))).toEqual([]);
    expect(codesOf(await run('{ hello }', caller))).toEqual([]);
    const refused = await run('{ hello }', caller);
    expect(codesOf(refused)).toEqual(['RATE_LIMITED']);
    expect(refused.errors?.[0].extensions).toMatchObject({ retryAfter: 4, capacity: 2 });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('4');
    expect(resolved).toEqual(['hello', 'hello']);

    expect(codesOf(await run('{ hello }', { caller: { rateKey: 'user:u2' } }))).toEqual([]);
    clock.advance(4_000);
    expect(codesOf(await run('{ hello }', caller))).toEqual([]);
  });

  it('gives each caller the limit identify returns for it', async () => {
    const { run } = await startServer({ clock: fakeClock().now });
    const integration: TestContext = {
      caller: { rateKey: 'apikey:k1', limit: { capacity: 1, refillPerSecond: 1 } },
    };
    expect(codesOf(await run('{ hello }', integration))).toEqual([]);
    expect(codesOf(await run('{ hello }', integration))).toEqual(['RATE_LIMITED']);
  });

  it('limits anonymous callers per client address', async () => {
    const { run } = await startServer({
      clock: fakeClock().now,
      anonymousRateLimit: { capacity: 1, refillPerSecond: 0.1 },
    });
    expect(codesOf(await run('{ hello }', { req: { ip: '10.0.0.1' } }))).toEqual([]);
    expect(codesOf(await run('{ hello }', { req: { ip: '10.0.0.1' } }))).toEqual(['RATE_LIMITED']);
    expect(codesOf(await run('{ hello }', { req: { ip: '10.0.0.2' } }))).toEqual([]);
  });
});

describe('gateway limits: persisted operations', () => {
  const byHash = (sha256Hash: string): GraphQLRequest => ({
    extensions: { persistedQuery: { version: 1, sha256Hash } },
  });

  it('runs a registered operation sent by its hash alone', async () => {
    const { run, resolved } = await startServer();
    const result = await run(byHash(CAMPUS_NAMES.id), restricted);
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ campuses: [{ name: '主校区' }] });
    expect(resolved).toEqual(['campuses']);
  });

  it('refuses a free-form query from a restricted caller with PERSISTED_QUERY_REQUIRED', async () => {
    const { run, resolved } = await startServer();
    const result = await run('{ campuses { name branches { name } } }', restricted);
    expect(codesOf(result)).toEqual(['PERSISTED_QUERY_REQUIRED']);
    expect(resolved).toEqual([]);
  });

  it('accepts the registered text itself from a restricted caller', async () => {
    const { run } = await startServer();
    expect(codesOf(await run(CAMPUS_NAMES.body, restricted))).toEqual([]);
  });

  it('answers an unknown hash from a restricted caller with PERSISTED_QUERY_NOT_FOUND', async () => {
    const { run, resolved } = await startServer();
    const result = await run(byHash(sha256('{ campuses { branches { name } } }')), restricted);
    expect(codesOf(result)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(resolved).toEqual([]);
  });

  it('does not let a restricted caller run a document registered through automatic persisted queries', async () => {
    const { run, resolved } = await startServer();
    const query = '{ campuses { name branches { name } } }';
    expect(codesOf(await run({ ...byHash(sha256(query)), query }, restricted))).toEqual([
      'PERSISTED_QUERY_REQUIRED',
    ]);
    // anyone else may register it in Apollo's APQ cache …
    expect(codesOf(await run({ ...byHash(sha256(query)), query }))).toEqual([]);
    // … but that does not put it on the allow-list
    expect(codesOf(await run(byHash(sha256(query)), restricted))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(resolved).toEqual(['campuses']);
  });

  it('lets unrestricted callers send free-form queries', async () => {
    const { run } = await startServer();
    expect(codesOf(await run('{ campuses { name } }', { caller: { rateKey: 'user:u1' } }))).toEqual([]);
  });
});

describe('gateway limits: errors', () => {
  it('never answers an unexpected error with its stack trace or SQL', async () => {
    const { run, resolved } = await startServer();
    const result = await run('{ boom }');
    expect(resolved).toEqual(['boom']);
    expect(result.errors).toEqual([
      {
        message: 'Internal server error',
        path: ['boom'],
        locations: [{ line: 1, column: 3 }],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(JSON.stringify(result)).not.toMatch(/select|relation|stacktrace|\.ts:\d/i);
  });

  it('passes every limit code through the error formatter, without a stack trace', () => {
    const format = createErrorFormatter(() => undefined);
    for (const code of Object.values(LimitCode)) {
      const error = new GraphQLError('refused', { extensions: { code, limit: 1, measured: 2 } });
      const formatted = format(
        { message: 'refused', extensions: { ...error.extensions, stacktrace: ['x'] } },
        error,
      );
      expect(formatted.extensions).toEqual({ code, limit: 1, measured: 2 });
    }
  });
});

describe('gateway limits in front of the real supergraph', () => {
  const SUPERGRAPH_PATH = join(__dirname, '..', '..', 'supergraph.graphql');

  async function startGateway() {
    const subgraphRequests: string[] = [];
    const gateway = new ApolloGateway({
      supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8'),
      logger: silentLogger,
      buildService: ({ name }) => ({
        process: async ({ request }) => {
          subgraphRequests.push(`${name}: ${request.query}`);
          return {
            data: {
              membershipStatistics: {
                scope: 'FEDERATION',
                staffHeadcount: 10,
                activeMembers: 8,
                joinRate: 0.8,
                retirees: 1,
                byGender: [],
                byCategory: [],
                byAgeBand: [],
              },
            },
          };
        },
      }),
    });
    const limits = gatewayLimits<TestContext>({ identify: (context) => context.caller });
    const server = new ApolloServer<TestContext>({
      gateway,
      ...limits.apolloOptions,
      formatError: createErrorFormatter(() => undefined),
      logger: silentLogger,
    });
    await server.start();
    stopAfterTest.push(() => server.stop());
    const run = async (request: GraphQLRequest, contextValue: TestContext = {}) => {
      const response = await server.executeOperation(request, { contextValue });
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult;
    };
    return { run, subgraphRequests, persisted: limits.persistedOperations };
  }

  it('refuses a deep query without sending anything to a subgraph', async () => {
    const { run, subgraphRequests } = await startGateway();
    const deep =
      '{ member(id: "m1") { branch { members { edges { node { branch { members { edges { node { branch { name } } } } } } } } } } }';
    expect(codesOf(await run({ query: deep }))).toEqual(['QUERY_TOO_DEEP']);
    expect(subgraphRequests).toEqual([]);
  });

  it('runs the registered MembershipStatistics operation for an integration by hash', async () => {
    const { run, subgraphRequests, persisted } = await startGateway();
    const statistics = persisted.list().find((operation) => operation.name === 'MembershipStatistics');
    expect(statistics).toBeDefined();
    const result = await run(
      { extensions: { persistedQuery: { version: 1, sha256Hash: statistics?.id } } },
      restricted,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toMatchObject({ membershipStatistics: { scope: 'FEDERATION', activeMembers: 8 } });
    expect(subgraphRequests).toHaveLength(1);
    expect(subgraphRequests[0]).toMatch(/^membership: /);

    expect(codesOf(await run({ query: '{ members { totalCount } }' }, restricted))).toEqual([
      'PERSISTED_QUERY_REQUIRED',
    ]);
    expect(subgraphRequests).toHaveLength(1);
  });
});
