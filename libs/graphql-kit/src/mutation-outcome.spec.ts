import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { mutationOutcomePlugin } from './mutation-outcome';

describe('the answer of a mutation whose change was made but part of whose answer is refused', () => {
  const state = { moved: 0 };
  const server = new ApolloServer({
    typeDefs: `
      type Query { member: Member }
      type Mutation { move: Member!, refuse: Member! }
      type Member { id: ID!, secret: String! }`,
    resolvers: {
      Query: { member: () => ({ id: 'm' }) },
      Mutation: {
        move: () => {
          state.moved++;
          return { id: 'm' };
        },
        refuse: () => {
          throw new GraphQLError('no', { extensions: { code: 'FORBIDDEN' } });
        },
      },
      Member: {
        secret: () => {
          throw new GraphQLError('You may not see this', { extensions: { code: 'FORBIDDEN' } });
        },
      },
    },
    plugins: [mutationOutcomePlugin()],
  });
  beforeAll(() => server.start());
  afterAll(() => server.stop());
  const run = async (query: string) => {
    const response = await server.executeOperation({ query });
    return response.body.kind === 'single' ? response.body.singleResult : undefined;
  };

  it('says the change was applied when only a field below the mutation was refused', async () => {
    const result = await run('mutation { move { id secret } }');
    expect(state.moved).toBe(1);
    expect(result?.data).toBeNull();
    expect(result?.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', changeApplied: true });
  });

  it('does not say so when the mutation itself was refused, nor for queries', async () => {
    expect((await run('mutation { refuse { id } }'))?.errors?.[0].extensions).not.toHaveProperty(
      'changeApplied',
    );
    expect((await run('{ member { secret } }'))?.errors?.[0].extensions).not.toHaveProperty('changeApplied');
  });
});
