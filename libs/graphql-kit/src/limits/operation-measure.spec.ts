import { buildSchema, getOperationAST, parse } from 'graphql';
import { measureOperation } from './operation-measure';

const schema = buildSchema(/* GraphQL */ `
  type Query {
    campuses: [Campus!]!
    branch(id: ID!): Branch
    members(first: Int = 20, after: String): MemberConnection!
    hello: String
    _entities(representations: [_Any!]!): [_Entity]!
  }
  scalar _Any
  union _Entity = Member | Branch
  type Campus {
    id: ID!
    name: String!
    branches: [Branch!]!
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
`);

function measure(query: string, variables?: Record<string, unknown>) {
  const document = parse(query);
  const operation = getOperationAST(document);
  if (!operation) throw new Error('no operation');
  return measureOperation({ schema, document, operation, variables, model: { defaultListSize: 20 } });
}

describe('measuring an operation', () => {
  it('counts the depth of the deepest field, root fields at depth 1', () => {
    expect(measure('{ hello }').depth).toBe(1);
    expect(measure('{ branch(id: 1) { campus { branches { name } } } }').depth).toBe(4);
  });

  it('finds depth hidden in named and inline fragments', () => {
    const viaFragments = measure(`
      query { branch(id: 1) { ...Deeper } }
      fragment Deeper on Branch { campus { ... on Campus { branches { ...Deepest } } } }
      fragment Deepest on Branch { members { edges { node { name } } } }
    `);
    expect(viaFragments.depth).toBe(7);
  });

  it('costs 1 per field and multiplies what is under a list by a page of 20', () => {
    expect(measure('{ hello }').cost).toBe(1);
    expect(measure('{ campuses { name } }').cost).toBe(1 + 20 * 1);
    expect(measure('{ campuses { branches { name } } }').cost).toBe(1 + 20 * (1 + 20 * 1));
  });

  it('takes the page size from first, from a variable or from the schema default', () => {
    // members(first) is a connection: its edges are not counted again
    expect(measure('{ members(first: 50) { edges { node { name } } } }').cost).toBe(
      1 + 50 * (1 + 1 * (1 + 1)),
    );
    expect(measure('query ($n: Int) { members(first: $n) { totalCount } }', { n: 500 }).cost).toBe(1 + 500);
    expect(measure('query ($n: Int = 7) { members(first: $n) { totalCount } }').cost).toBe(1 + 7);
    expect(measure('{ members { totalCount } }').cost).toBe(1 + 20);
  });

  it('never lets a page size of 0 hide the cost under it', () => {
    const hidden = measure(
      '{ members(first: 0) { edges { node { branch { members(first: 1000000) { totalCount } } } } } }',
    );
    expect(hidden.cost).toBeGreaterThan(1_000_000);
  });

  it('counts a fragment as often as it is spread', () => {
    const spreadTwice = measure(`
      { a: campuses { ...Names } b: campuses { ...Names } }
      fragment Names on Campus { x: name y: name }
    `);
    expect(spreadTwice.aliases).toBe(2 + 2 * 2);
    expect(spreadTwice.cost).toBe(2 * (1 + 20 * 2));
  });

  it('stays linear when fragments spread each other exponentially', () => {
    const levels = 40;
    const fragments = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on Campus { ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    const started = Date.now();
    const measured = measure(`{ campuses { ...F0 } } ${fragments} fragment F${levels} on Campus { a: name }`);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(measured.aliases).toBe(2 ** levels);
    expect(measured.cost).toBeGreaterThan(2 ** levels);
  });

  it('ends on fragment cycles', () => {
    const cyclic = measure(`
      { branch(id: 1) { ...A } }
      fragment A on Branch { campus { branches { ...B } } }
      fragment B on Branch { name ...A }
    `);
    expect(cyclic.depth).toBe(4);
  });

  it('notices introspection wherever it hides, and leaves it out of depth and cost', () => {
    const hidden = measure(
      `{ hello ...Q } fragment Q on Query { t: __type(name: "Member") { fields { name } } }`,
    );
    expect(hidden).toEqual({ depth: 1, cost: 1, aliases: 1, introspection: true, representations: 0 });
    expect(measure('{ __typename hello }').introspection).toBe(false);
  });

  it('counts what is under an _entities fetch once per representation it is sent, and counts them', () => {
    const query = `query ($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Member { name branch { name } } }
    }`;
    const representations = Array.from({ length: 40 }, (_, i) => ({ __typename: 'Member', id: String(i) }));
    const measured = measure(query, { representations });
    expect(measured.representations).toBe(40);
    expect(measured.cost).toBe(1 + 40 * (1 + 1 + 1));
    expect(measured.aliases).toBe(0);
    expect(measure('{ _entities(representations: [{}, {}]) { __typename } }').representations).toBe(2);
  });
});
