import { buildSchema, graphql } from 'graphql';
import { answerPreloadedFields, withPreloaded } from './preloaded';

describe('preloaded field values', () => {
  const setup = () => {
    const schema = buildSchema(`
      type Query { members: [Member!]! }
      type Member { name: String! branch: Branch! nearby(within: Int): Branch }
      type Branch { code: String! }
    `);
    const calls: string[] = [];
    const member = schema.getType('Member') as import('graphql').GraphQLObjectType;
    member.getFields().branch.resolve = (parent: { branchCode: string }) => {
      calls.push(`branch ${parent.branchCode}`);
      return { code: parent.branchCode };
    };
    member.getFields().nearby.resolve = (parent: { branchCode: string }) => {
      calls.push(`nearby ${parent.branchCode}`);
      return { code: `near ${parent.branchCode}` };
    };
    answerPreloadedFields(schema);
    return { schema, calls };
  };

  it('answers a field from the value its parent carries, without calling the resolver', async () => {
    const { schema, calls } = setup();
    const members = [
      withPreloaded({ name: 'a', branchCode: 'cs' }, { branch: { code: 'CS (preloaded)' } }),
      { name: 'b', branchCode: 'math' },
    ];
    const result = await graphql({
      schema,
      source: '{ members { name branch { code } } }',
      rootValue: { members: () => members },
    });
    expect(result).toEqual({
      data: {
        members: [
          { name: 'a', branch: { code: 'CS (preloaded)' } },
          { name: 'b', branch: { code: 'math' } },
        ],
      },
    });
    expect(calls).toEqual(['branch math']);
  });

  it('leaves fields with arguments to their resolvers, and the values out of JSON', async () => {
    const { schema, calls } = setup();
    const member = withPreloaded({ name: 'a', branchCode: 'cs' }, { nearby: { code: 'ignored' } });
    const result = await graphql({
      schema,
      source: '{ members { nearby(within: 2) { code } } }',
      rootValue: { members: () => [member] },
    });
    expect(result).toEqual({ data: { members: [{ nearby: { code: 'near cs' } }] } });
    expect(calls).toEqual(['nearby cs']);
    expect(JSON.parse(JSON.stringify(member))).toEqual({ name: 'a', branchCode: 'cs' });
    expect(Object.keys(member)).toEqual(['name', 'branchCode']);
  });
});
