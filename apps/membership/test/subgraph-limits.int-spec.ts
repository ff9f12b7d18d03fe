import { randomUUID } from 'node:crypto';
import { HealthController } from '@unionfed/service-kit';
import { createTestIssuer, hq, type GraphqlResponse, type ServedSubgraph } from '@unionfed/testing';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';

/** Every request of this file gets an answer in this time, or the test fails (instead of hanging). */
const ANSWER_WITHIN_MS = 5_000;

/** `campuses { branches { campus { branches { … id } } } }`, `levels` fields deep (campuses and id included). */
function campusBranchChain(levels: number): string {
  let selection = 'id';
  for (let level = levels - 2; level >= 1; level--)
    selection = `${level % 2 === 1 ? 'branches' : 'campus'} { id ${selection} }`;
  return `{ campuses { ${selection} } }`;
}

/**
 * The attacks of the security issue, sent straight to the membership subgraph's port (not through the
 * gateway), as the service serves it: the subgraph module with its limits, the real resolvers, a real database.
 */
describe('the membership subgraph refuses abusive queries sent straight to its port (real PostgreSQL, HTTP)', () => {
  let database: MembershipDatabase;
  let subgraph: ServedSubgraph;

  /** a raw body, unsigned: an attacker does not go through the gateway */
  const post = async (body: string, timeoutMs = ANSWER_WITHIN_MS) => {
    const response = await fetch(subgraph.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await subgraph.authorization([hq('MEMBERSHIP_OFFICER')])),
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, body: (await response.json()) as GraphqlResponse };
  };
  const query = (text: string) => post(JSON.stringify({ query: text }));
  const codesOf = (body: GraphqlResponse) => (body.errors ?? []).map((error) => error.extensions?.code);

  beforeAll(async () => {
    database = await membershipDatabase('subgraph_limits');
    subgraph = await serveMembership(database, await createTestIssuer(), { controllers: [HealthController] });
    // two branches per campus: every `branches` level of the chain doubles the work
    for (const code of ['east', 'west']) {
      const campusId = (await database.commands.openCampus({ code, name: `${code}校区` })).id;
      for (const branch of ['a', 'b'])
        await database.commands.openBranch({
          campusId,
          code: `${code}-${branch}`,
          name: `${code}-${branch}分工会`,
          kind: 'COLLEGE',
          staffHeadcount: 10,
        });
    }
  });

  afterAll(async () => {
    await subgraph?.close();
    await database?.drop();
  });

  /** After each attack: a normal query is answered fast and the service says it is ready. */
  const expectServiceStillServes = async () => {
    const started = Date.now();
    const normal = await query('{ campuses { code branches { code } } }');
    expect(normal.body.errors).toBeUndefined();
    expect(normal.body.data?.campuses).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(2_000);
    const ready = await fetch(`${subgraph.baseUrl}/health/ready`, { signal: AbortSignal.timeout(2_000) });
    expect(ready.status).toBe(200);
  };

  it('refuses a 60-level campuses { branches { campus { branches … } } } chain at once with QUERY_TOO_DEEP', async () => {
    const started = Date.now();
    const { status, body } = await query(campusBranchChain(60));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(codesOf(body)).toEqual(['QUERY_TOO_DEEP']);
    expect(body.errors?.[0].extensions).toMatchObject({ limit: 10, measured: 60 });
    await expectServiceStillServes();
  });

  it('refuses a wide alias bomb with TOO_MANY_ALIASES', async () => {
    const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: campuses { id }`).join(' ');
    const { status, body } = await query(`{ ${aliases} }`);
    expect(status).toBe(400);
    expect(codesOf(body)).toEqual(['TOO_MANY_ALIASES']);
    await expectServiceStillServes();
  });

  it('refuses a shallow query whose nested pages multiply past the cost limit with QUERY_TOO_COSTLY', async () => {
    const { status, body } = await query(
      '{ campuses { branches { members(first: 100) { edges { node { id branch { ' +
        'members(first: 100) { edges { node { id } } } } } } } } } }',
    );
    expect(status).toBe(400);
    expect(codesOf(body)).toEqual(['QUERY_TOO_COSTLY']);
    await expectServiceStillServes();
  });

  it('stops parsing a document of too many tokens', async () => {
    const { status, body } = await query(`{ ${'campuses { id } '.repeat(3_000)} }`);
    expect(status).toBe(400);
    expect(codesOf(body)).toEqual(['GRAPHQL_PARSE_FAILED']);
    await expectServiceStillServes();
  });

  it('answers a body over its limit with 413 PAYLOAD_TOO_LARGE, and takes one of the gateway’s largest', async () => {
    const tooLarge = await post(
      JSON.stringify({ query: '{ campuses { id } }', variables: { x: 'x'.repeat(9 * 1024 * 1024) } }),
    );
    expect(tooLarge.status).toBe(413);
    expect(codesOf(tooLarge.body)).toEqual(['PAYLOAD_TOO_LARGE']);
    // what the gateway accepts (1 MiB) a subgraph takes too, however the gateway re-encodes it
    const gatewaySized = await post(
      JSON.stringify({ query: '{ campuses { id } }', variables: { x: 'x'.repeat(1024 * 1024) } }),
    );
    expect(gatewaySized.status).toBe(200);
    expect(gatewaySized.body.errors).toBeUndefined();
    await expectServiceStillServes();
  });

  it('serves an _entities fetch of a gateway-sized page and refuses one of more representations than it takes', async () => {
    const entities = (count: number) =>
      post(
        JSON.stringify({
          query:
            'query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Branch { id } } }',
          variables: {
            representations: Array.from({ length: count }, () => ({
              __typename: 'Branch',
              id: randomUUID(),
            })),
          },
        }),
      );
    const page = await entities(100);
    expect(page.status).toBe(200);
    expect(codesOf(page.body)).not.toContain('TOO_MANY_REPRESENTATIONS');
    const flood = await entities(5_000);
    expect(flood.status).toBe(400);
    expect(codesOf(flood.body)).toEqual(['TOO_MANY_REPRESENTATIONS']);
    expect(flood.body.errors?.[0].extensions).toMatchObject({ limit: 1_000, measured: 5_000 });
    await expectServiceStillServes();
  });
});
