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
  anyMember(id: ID!): Member @access(roles: [MEMBERSHIP_OFFICER])
  hiddenMember(id: ID!): Member @access(roles: [MEMBERSHIP_OFFICER])
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

interface MemberRecord {
  id: string;
  name: string;
  branchId: string;
}
const RECORDS: Record<string, MemberRecord> = {
  m1: { id: 'm1', name: 'own branch', branchId: 'b1' },
  m2: { id: 'm2', name: 'SECRET of another branch', branchId: 'b2' },
};
const memberScope = (member: MemberRecord) => ({ branchId: member.branchId, memberId: member.id });

describe('enforcing @access in a subgraph', () => {
  const refused: ForbiddenAttempt[] = [];
  let reached: unknown;
  const looked: string[] = [];
  const schema = enforceAccess(
    buildSubgraphSchema([
      {
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
            // a resolver that forgets to narrow by reach: the record's own fields still refuse
            anyMember: (_: unknown, args: { id: string }) => RECORDS[args.id],
            hiddenMember: (_: unknown, args: { id: string }, ctx: never, info: never) =>
              reachOf(ctx, info).visibleMember(RECORDS[args.id]),
          },
          Member: {
            __resolveReference: (ref: { id: string }) => {
              looked.push(ref.id);
              return RECORDS[ref.id];
            },
          },
        } as never,
      },
    ]),
    {
      onRefused: (attempt) => refused.push(attempt),
      entityScopes: { Member: memberScope as never },
    },
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

  const entities = (ids: string[]) =>
    `{ _entities(representations: [${ids.map((id) => `{ __typename: "Member", id: "${id}" }`).join(', ')}]) { ... on Member { id name } } }`;

  it('asks anonymous callers to sign in before any reference is looked up', async () => {
    looked.length = 0;
    expect((await run(entities(['m1']), ANONYMOUS)).errors?.[0].extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    expect(looked).toEqual([]);
  });

  it('answers batched references to records out of reach as records that are not there, and audits them', async () => {
    refused.length = 0;
    const result = await run(entities(['m2', 'm1', 'nobody', 'm2']), officer);
    expect(result).toEqual({ data: { _entities: [null, { id: 'm1', name: 'own branch' }, null, null] } });
    expect(refused).toEqual([
      expect.objectContaining({ field: 'Member(reference)', reason: 'OUT_OF_SCOPE', branchId: 'b2' }),
      expect.objectContaining({ field: 'Member(reference)', reason: 'OUT_OF_SCOPE', branchId: 'b2' }),
    ]);
  });

  it('refuses references of a type whose roles the caller lacks without looking them up, existing or not', async () => {
    looked.length = 0;
    const viewer: Principal = { ...officer, grants: [{ role: 'VIEWER', branchId: 'b1' }] };
    const result = await run(entities(['m1', 'nobody']), viewer);
    expect(result.data).toEqual({ _entities: [null, null] });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(result.errors?.[0].message).toBe(result.errors?.[1].message);
    expect(looked).toEqual([]);
  });

  it('lets HQ roles reach every record by reference', async () => {
    const hq: Principal = { ...officer, grants: [{ role: 'MEMBERSHIP_OFFICER', branchId: null }] };
    expect((await run(entities(['m2']), hq)).data).toEqual({
      _entities: [{ id: 'm2', name: 'SECRET of another branch' }],
    });
  });

  it('refuses every field of a record out of reach, however a resolver handed it out', async () => {
    refused.length = 0;
    const result = await run('{ anyMember(id: "m2") { id name } }', officer);
    expect(JSON.stringify(result)).not.toContain('SECRET');
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OUT_OF_SCOPE' });
    expect(refused).toEqual([expect.objectContaining({ field: 'Member.id', reason: 'OUT_OF_SCOPE' })]);
    expect((await run('{ anyMember(id: "m1") { name } }', officer)).data).toEqual({
      anyMember: { name: 'own branch' },
    });
  });

  it('audits a record a resolver hides as not there (visibleMember)', async () => {
    refused.length = 0;
    expect(await run('{ hiddenMember(id: "m2") { name } }', officer)).toEqual({
      data: { hiddenMember: null },
    });
    expect(refused).toEqual([
      expect.objectContaining({ field: 'Query.hiddenMember', reason: 'OUT_OF_SCOPE', branchId: 'b2' }),
    ]);
  });

  it('refuses to serve an entity of branch data that does not say where its records belong', () => {
    const build = (sdl: string) => () =>
      enforceAccess(buildSubgraphSchema([{ typeDefs: parse(sdl), resolvers: {} as never }]));
    expect(build(SDL)).toThrow(/entity type Member holds branch data/);
    expect(build(SDL.replace('@access(roles: [MEMBERSHIP_OFFICER]) {', '{'))).toThrow(
      /entity type Member declares no @access policy/,
    );
  });
});
