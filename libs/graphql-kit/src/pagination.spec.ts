import { buildSchema, graphql, type GraphQLResolveInfo } from 'graphql';
import { decodeCursor, encodeCursor, selectsField, toConnection } from './pagination';

describe('pagination helpers', () => {
  it('builds a connection from size + 1 rows, the extra row telling that there is a next page', () => {
    const connection = toConnection(['a', 'b', 'c'], 2, 7, (row) => row);
    expect(connection).toEqual({
      edges: [
        { cursor: encodeCursor('a'), node: 'a' },
        { cursor: encodeCursor('b'), node: 'b' },
      ],
      pageInfo: { hasNextPage: true, endCursor: encodeCursor('b') },
      totalCount: 7,
    });
    expect(decodeCursor(connection.pageInfo.endCursor!)).toBe('b');
  });

  describe('a totalCount left to GraphQL', () => {
    const schema = buildSchema(`
      type Query { items: ItemConnection! }
      type ItemConnection { edges: [ItemEdge!]! totalCount: Int! }
      type ItemEdge { node: String! }
    `);
    const run = async (query: string) => {
      const counted: number[] = [];
      const result = await graphql({
        schema,
        source: query,
        rootValue: {
          items: () =>
            toConnection(
              ['a', 'b'],
              20,
              async () => (counted.push(1), 42),
              (row) => row,
            ),
        },
      });
      return { result, counted: counted.length };
    };

    it('is counted when the query selects it', async () => {
      const { result, counted } = await run('{ items { totalCount edges { node } } }');
      expect(result).toEqual({
        data: { items: { totalCount: 42, edges: [{ node: 'a' }, { node: 'b' }] } },
      });
      expect(counted).toBe(1);
    });

    it('is not counted when the query does not select it', async () => {
      const { result, counted } = await run('{ items { edges { node } } }');
      expect(result.errors).toBeUndefined();
      expect(counted).toBe(0);
    });
  });

  describe('selectsField', () => {
    const schema = buildSchema(`
      type Query { items: ItemConnection! }
      type ItemConnection { edges: [String!]! totalCount: Int! }
    `);
    const selects = async (query: string): Promise<boolean> => {
      let selected: boolean | undefined;
      const result = await graphql({
        schema,
        source: query,
        rootValue: {
          items: (_args: unknown, _context: unknown, info: GraphQLResolveInfo) => {
            selected = selectsField(info, 'totalCount');
            return { edges: [], totalCount: 0 };
          },
        },
      });
      expect(result.errors).toBeUndefined();
      return selected!;
    };

    it('sees the field selected directly, aliased, in inline fragments and in fragment spreads', async () => {
      expect(await selects('{ items { totalCount } }')).toBe(true);
      expect(await selects('{ items { n: totalCount } }')).toBe(true);
      expect(await selects('{ items { ... on ItemConnection { totalCount } } }')).toBe(true);
      expect(await selects('{ items { ...F } } fragment F on ItemConnection { ... { totalCount } }')).toBe(
        true,
      );
      // directives are not evaluated: a conditional selection counts as selected (counting is never wrong)
      expect(await selects('{ items { totalCount @include(if: false) } }')).toBe(true);
    });

    it('does not see a field that is not selected, nor one selected deeper down', async () => {
      expect(await selects('{ items { edges } }')).toBe(false);
      expect(await selects('{ items { ...F } } fragment F on ItemConnection { edges }')).toBe(false);
      expect(await selects('{ items { edges } other: items { edges } }')).toBe(false);
    });
  });
});
