import { createTestIssuer, hq, type ServedSubgraph } from '@unionfed/testing';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';

describe('openCampus racing itself (real PostgreSQL, HTTP)', () => {
  let database: MembershipDatabase;
  let subgraph: ServedSubgraph;

  beforeAll(async () => {
    database = await membershipDatabase('campus_race');
    subgraph = await serveMembership(database, await createTestIssuer());
  });

  afterAll(async () => {
    await subgraph?.close();
    await database?.drop();
  });

  const openCampus = (code: string) =>
    subgraph.graphql(
      [hq('ADMIN')],
      `mutation ($input: OpenCampusInput!) { openCampus(input: $input) { id code } }`,
      { input: { code, name: '新校区' } },
    );

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
