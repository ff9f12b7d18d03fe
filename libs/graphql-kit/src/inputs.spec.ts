import { buildSchema, graphql, type GraphQLFieldResolver } from 'graphql';
import { checkInputs, DateScalar } from './inputs';

/** A schema from SDL with resolvers and the Date scalar, passed through checkInputs as subgraphs are. */
function makeExecutableSchemaFromSdl(sdl: string, resolvers: { Query: Record<string, unknown> }) {
  const schema = buildSchema(sdl);
  const date = schema.getType('Date') as unknown as Record<string, unknown>;
  Object.assign(date, {
    serialize: DateScalar.serialize,
    parseValue: DateScalar.parseValue,
    parseLiteral: DateScalar.parseLiteral,
  });
  for (const [name, resolve] of Object.entries(resolvers.Query))
    schema.getQueryType()!.getFields()[name].resolve = resolve as GraphQLFieldResolver<unknown, unknown>;
  return checkInputs(schema);
}

describe('argument checks every subgraph applies before its resolvers', () => {
  const seen: unknown[] = [];
  const schema = makeExecutableSchemaFromSdl(
    `
    scalar Date
    input NameInput { name: String!, tags: [String!], on: Date, branchId: ID }
    type Query {
      hello(name: String, id: ID, on: Date): String
      rename(input: NameInput!): String
      count(n: Int): Int
    }`,
    {
      Query: {
        hello: (_: unknown, args: unknown) => {
          seen.push(args);
          return 'ok';
        },
        rename: () => 'renamed',
        count: (_: unknown, args: { n: number }) => args.n,
      },
    },
  );
  const run = (source: string, variableValues?: Record<string, unknown>) =>
    graphql({ schema, source, variableValues });

  it('refuses a NUL or another control character in any string, nested ones included, naming the argument', async () => {
    for (const [source, variables, field] of [
      ['query($n: String) { hello(name: $n) }', { n: 'a\u0000b' }, 'name'],
      [
        'query($i: NameInput!) { rename(input: $i) }',
        { i: { name: 'ok', tags: ['x', 'bell\u0007'] } },
        'input.tags[1]',
      ],
      ['query($i: NameInput!) { rename(input: $i) }', { i: { name: 'esc\u001b[31m' } }, 'input.name'],
      ['query($n: String) { hello(name: $n) }', { n: 'half \ud800 a character' }, 'name'],
    ] as const) {
      const result = await run(source, variables);
      expect(result.errors?.[0].originalError).toMatchObject({
        kind: 'BAD_USER_INPUT',
        reason: 'CONTROL_CHARACTERS',
        details: { argument: field },
      });
      expect(result.errors?.[0].message).not.toContain('\u0000');
    }
  });

  it('lets tabs, line breaks and any script through', async () => {
    expect(
      (await run('query($n: String) { hello(name: $n) }', { n: '张三\t第一行\n第二行\r\n😀' })).data,
    ).toEqual({
      hello: 'ok',
    });
  });

  it('refuses an id that is empty, padded or neither a UUID nor a serial number', async () => {
    for (const id of ['', ' ', 'x', '0190a000-0000-7000-8000-00000000000 ', '-1', '0', "1'; DROP TABLE x"]) {
      const result = await run('query($id: ID) { hello(id: $id) }', { id });
      expect({ id, error: result.errors?.[0].originalError }).toMatchObject({
        id,
        error: { kind: 'BAD_USER_INPUT', reason: 'INVALID_ID', details: { field: 'id' } },
      });
    }
    for (const id of ['0190a000-0000-7000-8000-0000000000AB', '17']) {
      expect((await run('query($id: ID) { hello(id: $id) }', { id })).data).toEqual({ hello: 'ok' });
    }
  });

  it('refuses a Date that is not a real calendar day, in variables and in the document', async () => {
    for (const on of ['', '2023-02-30', '2024-13-01', 'yesterday', '2024-1-1']) {
      const result = await run('query($on: Date) { hello(on: $on) }', { on });
      expect({ on, error: result.errors?.[0].originalError }).toMatchObject({
        on,
        error: { kind: 'BAD_USER_INPUT', reason: 'INVALID_DATE', details: { field: 'on' } },
      });
    }
    const literal = await run('{ hello(on: "2023-02-29") }');
    expect(literal.errors?.[0].originalError).toMatchObject({ reason: 'INVALID_DATE' });
    const nested = await run('query($i: NameInput!) { rename(input: $i) }', {
      i: { name: 'x', on: ' 2024-01-01' },
    });
    expect(nested.errors?.[0].originalError).toMatchObject({
      reason: 'INVALID_DATE',
      details: { field: 'on', argument: 'input.on' },
    });
    // a number in the document: refused with the arguments, not as a validation error (an HTTP 400 at a subgraph)
    const number = await run('{ hello(on: 20240229) }');
    expect(number.errors?.[0].originalError).toMatchObject({
      kind: 'BAD_USER_INPUT',
      reason: 'INVALID_DATE',
      details: { field: 'on' },
    });
    seen.length = 0;
    expect((await run('{ hello(on: "2024-02-29") }')).data).toEqual({ hello: 'ok' });
    expect(seen).toEqual([{ on: '2024-02-29' }]);
  });

  it('leaves fields without string or id arguments alone', async () => {
    expect((await run('{ count(n: 3) }')).data).toEqual({ count: 3 });
  });
});
