import { graphqlRequest, startTestPlatform, type TestPlatform } from '@unionfed/platform';
import { testInfrastructure } from '@unionfed/testing';
import { generateSigningKey } from '@unionfed/auth';
import { GATEWAY_SIGNATURE_HEADER, signGatewayRequest } from '@unionfed/graphql-kit';

/**
 * The gateway-to-subgraph hop in production (NODE_ENV=production): the gateway signs what it forwards and the
 * subgraphs serve only that; a caller who reaches a subgraph's port directly is refused, even with a valid
 * user token. What the gateway accepts (1 MiB) the subgraph accepts too.
 */
describe('the gateway-to-subgraph hop in production', () => {
  let t: TestPlatform;
  let membershipUrl: string;

  beforeAll(async () => {
    t = await startTestPlatform(testInfrastructure(), { NODE_ENV: 'production' });
    membershipUrl = `${t.platform.service('membership').baseUrl}/graphql`;
  });
  afterAll(() => t?.stop());

  const direct = async (
    headers: Record<string, string>,
    body = JSON.stringify({ query: '{ campuses { id } }' }),
  ) => {
    const response = await fetch(membershipUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...t.admin.headers, ...headers },
      body,
      signal: AbortSignal.timeout(5_000),
    });
    return {
      status: response.status,
      body: (await response.json()) as { errors?: { extensions?: { code?: string } }[] },
    };
  };

  it('serves a query the gateway forwards (signed) to every subgraph it plans for', async () => {
    const result = await graphqlRequest(
      t.gatewayUrl,
      '{ campuses { id } financeDirectory { members } }',
      {},
      t.admin.headers,
    );
    expect(result.errors).toBeUndefined();
  });

  it('refuses a request sent straight to a subgraph without the gateway signature, even with a user token', async () => {
    const { status, body } = await direct({});
    expect(status).toBe(401);
    expect(body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('serves the roster files through the gateway (signed) and refuses them straight from membership', async () => {
    const gateway = t.gatewayUrl.replace(/\/graphql$/, '');
    const through = await fetch(`${gateway}/downloads/roster?format=csv`, { headers: t.admin.headers });
    expect(through.status).toBe(200);
    const straight = await fetch(`${t.platform.service('membership').baseUrl}/roster/export?format=csv`, {
      headers: t.admin.headers,
    });
    expect(straight.status).toBe(401);
    const upload = await fetch(`${t.platform.service('membership').baseUrl}/roster/imports?mode=dry-run`, {
      method: 'POST',
      headers: { ...t.admin.headers, 'content-type': 'text/csv' },
      body: '工号,姓名\nT1,陈静\n',
    });
    expect(upload.status).toBe(401);
  });

  it('refuses a request sent straight to a subgraph with a signature of another key', async () => {
    const body = JSON.stringify({ query: '{ campuses { id } }' });
    const forged = await signGatewayRequest(await generateSigningKey(), {
      method: 'POST',
      path: '/graphql',
      body,
    });
    expect((await direct({ [GATEWAY_SIGNATURE_HEADER]: forged }, body)).status).toBe(401);
  });

  it('answers a 1 MB name without INTERNAL_SERVER_ERROR: the subgraph takes what the gateway takes', async () => {
    const result = await graphqlRequest(
      t.gatewayUrl,
      'query($code: String!) { campuses { id } branchByCode: branches(campusId: $code) { id } }',
      { code: 'x'.repeat(1000 * 1000) },
      t.admin.headers,
    );
    const codes = (result.errors ?? []).map((error) => error.extensions?.code);
    expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
  });
});
