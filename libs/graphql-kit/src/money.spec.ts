import { buildSchema, graphql, type GraphQLFieldResolver } from 'graphql';
import { Money } from '@unionfed/domain-kit';
import { checkInputs } from './inputs';
import { MoneyScalar } from './money';

/** A schema with the Money scalar, passed through checkInputs as subgraphs are. */
function schemaWithMoney() {
  const schema = buildSchema(`
    scalar Money
    input PaymentInput { amount: Money!, note: String }
    type Query {
      double(amount: Money!): Money
      pay(input: PaymentInput!): Money
      broken: Money
    }`);
  Object.assign(schema.getType('Money') as unknown as Record<string, unknown>, {
    serialize: MoneyScalar.serialize,
    parseValue: MoneyScalar.parseValue,
    parseLiteral: MoneyScalar.parseLiteral,
  });
  const resolvers: Record<string, GraphQLFieldResolver<unknown, unknown>> = {
    double: (_, args: { amount: Money }) => args.amount.times(2),
    pay: (_, args: { input: { amount: Money } }) => args.input.amount,
    broken: () => 150000, // fen or yuan? the scalar will not guess
  };
  for (const [name, resolve] of Object.entries(resolvers))
    schema.getQueryType()!.getFields()[name].resolve = resolve;
  return checkInputs(schema);
}

describe('the Money scalar', () => {
  const schema = schemaWithMoney();
  const run = (source: string, variableValues?: Record<string, unknown>) =>
    graphql({ schema, source, variableValues });

  it('reads a decimal string in yuan and answers the canonical decimal with 2 decimals', async () => {
    expect((await run('{ double(amount: "750.25") }')).data).toEqual({ double: '1500.50' });
    expect((await run('query($a: Money!) { double(amount: $a) }', { a: '-1.6' })).data).toEqual({
      double: '-3.20',
    });
    const nested = await run('query($i: PaymentInput!) { pay(input: $i) }', { i: { amount: '1500' } });
    expect(nested.data).toEqual({ pay: '1500.00' });
  });

  it('refuses a JSON number, in variables and in the document, with BAD_USER_INPUT', async () => {
    for (const result of [
      await run('query($a: Money!) { double(amount: $a) }', { a: 1500 }),
      await run('query($a: Money!) { double(amount: $a) }', { a: 1500.1 }),
    ]) {
      expect(result.data ?? undefined).toBeUndefined();
      expect(result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
    // in the document: refused with the arguments, naming the field, and the resolver never runs — not a
    // validation error, which Apollo would answer with HTTP 400 (the gateway relays that as an internal error)
    for (const source of ['{ double(amount: 1500) }', '{ double(amount: 15.5) }']) {
      const result = await run(source);
      expect(result.data).toEqual({ double: null });
      expect(result.errors?.[0].originalError).toMatchObject({
        kind: 'BAD_USER_INPUT',
        reason: 'INVALID_MONEY',
        details: { field: 'amount', argument: 'amount' },
      });
    }
  });

  it('refuses a string the domain refuses, naming INVALID_MONEY', async () => {
    for (const a of ['1.005', '1e3', '¥1,500.00', '1,500', ' 15', '', 'NaN', '-Infinity', '1'.repeat(40)]) {
      const result = await run('query($a: Money!) { double(amount: $a) }', { a });
      expect({
        a,
        code: result.errors?.[0].extensions?.code,
        reason: result.errors?.[0].extensions?.reason,
      }).toEqual({ a, code: 'BAD_USER_INPUT', reason: 'INVALID_MONEY' });
    }
    const literal = await run('{ pay(input: { amount: "0.001" }) }');
    expect(literal.errors?.[0].originalError).toMatchObject({
      kind: 'BAD_USER_INPUT',
      reason: 'INVALID_MONEY',
      details: { field: 'amount', argument: 'input.amount' },
    });
    expect(literal.errors?.[0].message).not.toContain('0.001');
    const nested = await run('query($i: PaymentInput!) { pay(input: $i) }', { i: { amount: '1.999' } });
    expect(nested.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('answers only a Money: a bare number from a resolver is an error, not a guess', async () => {
    const result = await run('{ broken }');
    expect(result.data).toEqual({ broken: null });
    expect(result.errors?.[0].message).toMatch(/must resolve to a Money/);
  });

  it('serialises and parses the domain value directly', () => {
    expect(MoneyScalar.serialize(Money.parse('-3.2'))).toBe('-3.20');
    expect(MoneyScalar.parseValue('1500.5')).toEqual(Money.parse('1500.50'));
    // graphql-js quotes a variable's value in its own message; the scalar's part of it does not
    expect(() => MoneyScalar.parseValue('1.005')).toThrow(/^A Money is a string in yuan/);
    expect(() => MoneyScalar.parseValue('1.005')).not.toThrow(/1\.005/);
  });
});
