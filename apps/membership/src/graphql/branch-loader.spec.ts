import { branchLoader } from './branch-loader';
import type { MembershipRepository } from '../infrastructure/membership.repository';

describe('the per-request branch loader', () => {
  const repositoryCounting = (calls: string[][]) =>
    ({
      findBranches: async (ids: string[]) => {
        calls.push(ids);
        return ids.filter((id) => id !== 'gone').map((id) => ({ id, name: `branch ${id}` }));
      },
    }) as unknown as MembershipRepository;

  it('loads every branch a page asks for in one query, each once, and keeps them for the request', async () => {
    const calls: string[][] = [];
    const repository = repositoryCounting(calls);
    const context = {};
    const page = await Promise.all(
      ['a', 'b', 'a', 'gone'].map((id) => branchLoader(context, repository).load(id)),
    );
    expect(page.map((branch) => branch?.id)).toEqual(['a', 'b', 'a', undefined]);
    expect(calls).toEqual([['a', 'b', 'gone']]);
    await branchLoader(context, repository).load('b');
    expect(calls).toHaveLength(1);
  });

  it('does not share branches between requests', async () => {
    const calls: string[][] = [];
    const repository = repositoryCounting(calls);
    await branchLoader({}, repository).load('a');
    await branchLoader({}, repository).load('a');
    expect(calls).toEqual([['a'], ['a']]);
  });
});
