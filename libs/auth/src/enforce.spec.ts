import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { graphql, parse } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { enforceAccess, reachOf, type ForbiddenAttempt } from './enforce';
import { ANONYMOUS, type Principal } from './principal';

const SDL = `
extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@composeDirective"])
type Query {
  open: String @access(scope: PUBLIC)
  roster: [String!]! @access(roles: [MEMBERSHIP_OFFICER])
  hqOnly: String @access(roles: [ADMIN], scope: FEDERATION)
  forgotten: String
}
type Member @key(fields: "id") @access(roles: [MEMBERSHIP_OFFICER]) {
  id: ID!
  name: String
}
${readFileSync(join(__dirname, 'access.graphql'), 'utf8')}`;

const officer: Principal = {
  kind: 'user',
  subject: 'u',
  name: 'u',
  grants: [{ role: 'MEMBERSHIP_OFFICER', branchId: 'b1' }],
  scopes: [],
};

describe('enforcing @access in a subgraph', () => {
  const refused: ForbiddenAttempt[] = [];
  let reached: unknown;
  const schema = enforceAccess(
    buildSubgraphSchema({
      typeDefs: parse(SDL),
      resolvers: {
        Query: {
          open: () => 'hi',
          roster: (_: unknown, __: unknown, ctx: never, info: never) => {
            reached = reachOf(ctx, info);
            return ['a'];
          },
          hqOnly: () => 'secret',
          forgotten: () => 'leak',
        },
        Member: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, name: 'x' }) },
      } as never,
    }),
    { onRefused: (attempt) => refused.push(attempt) },
  );
  const run = (source: string, principal: Principal) =>
    graphql({ schema, source, contextValue: { principal } });

  it('answers PUBLIC fields to anyone and asks anonymous callers to sign in for the rest', async () => {
    expect((await run('{ open }', ANONYMOUS)).data).toEqual({ open: 'hi' });
    const roster = await run('{ roster }', ANONYMOUS);
    expect(roster.errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('runs a field for a role it names, handing the resolver the caller’s reach', async () => {
    expect((await run('{ roster }', officer)).data).toEqual({ roster: ['a'] });
    expect(reached).toMatchObject({ all: false, branchIds: new Set(['b1']) });
  });

  it('refuses a branch grant on an HQ-only field, and records the refusal', async () => {
    refused.length = 0;
    const result = await run('{ hqOnly }', officer);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(result.data).toEqual({ hqOnly: null });
    expect(refused).toEqual([expect.objectContaining({ field: 'Query.hqOnly', code: 'FORBIDDEN' })]);
  });

  it('refuses a field that declares no policy to everyone (deny by default)', async () => {
    const admin: Principal = { ...officer, grants: [{ role: 'ADMIN', branchId: null }] };
    const result = await run('{ forgotten }', admin);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NO_POLICY' });
    expect(JSON.stringify(result.data)).not.toContain('leak');
  });

  it('guards entity fields with their type’s policy when another subgraph asks for them', async () => {
    const query =
      '{ _entities(representations: [{ __typename: "Member", id: "1" }]) { ... on Member { name } } }';
    expect((await run(query, ANONYMOUS)).errors?.[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect((await run(query, officer)).data).toEqual({ _entities: [{ name: 'x' }] });
  });
});
