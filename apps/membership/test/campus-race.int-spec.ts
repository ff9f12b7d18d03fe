import type { INestApplication } from '@nestjs/common';
import { createTestIssuer, hq, type TestIssuer } from '@unionfed/testing';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { startMembershipSubgraph } from './membership-subgraph';

interface GraphqlResponse {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } }[];
}

describe('openCampus racing itself (real PostgreSQL, HTTP)', () => {
  let database: MembershipDatabase;
  let app: INestApplication;
  let issuer: TestIssuer;
  let url: string;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    process.env.UNIONFED_JWKS = issuer.env.UNIONFED_JWKS;
    database = await membershipDatabase('campus_race');
    ({ app, url } = await startMembershipSubgraph(database));
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  const openCampus = async (code: string): Promise<GraphqlResponse> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: await issuer.bearer([hq('ADMIN')]) },
      body: JSON.stringify({
        query: `mutation ($input: OpenCampusInput!) { openCampus(input: $input) { id code } }`,
        variables: { input: { code, name: '新校区' } },
      }),
    });
    return (await response.json()) as GraphqlResponse;
  };

  it('answers one of two concurrent openings of one code with the campus, the other with CONFLICT — never INTERNAL_SERVER_ERROR', async () => {
    for (let round = 0; round < 8; round++) {
      const answers = await Promise.all([openCampus(`race${round}`), openCampus(`race${round}`)]);
      const opened = answers.filter((a) => a.data?.openCampus);
      const refused = answers.filter((a) => a.errors);
      expect(opened).toHaveLength(1);
      expect(refused.map((a) => a.errors?.[0]?.extensions)).toEqual([
        expect.objectContaining({ code: 'CONFLICT', reason: 'CAMPUS_CODE_TAKEN' }),
      ]);
    }
  });
});
