import { requestLoader } from './request-loader';

describe('per-request loaders', () => {
  const counting = (calls: string[][]) => async (keys: string[]) => {
    calls.push(keys);
    return new Map(keys.filter((k) => k !== 'gone').map((k) => [k, k.toUpperCase()]));
  };

  it('loads every key asked for in one tick with one batch call, each key once, and keeps them for the request', async () => {
    const calls: string[][] = [];
    const context = {};
    const values = await Promise.all(
      ['a', 'b', 'a', 'gone'].map((k) => requestLoader(context, 'letters', counting(calls)).load(k)),
    );
    expect(values).toEqual(['A', 'B', 'A', undefined]);
    expect(calls).toEqual([['a', 'b', 'gone']]);
    expect(await requestLoader(context, 'letters', counting(calls)).load('b')).toBe('B');
    expect(calls).toHaveLength(1);
  });

  it('keeps loaders of other names and other requests apart', async () => {
    const calls: string[][] = [];
    const context = {};
    await requestLoader(context, 'letters', counting(calls)).load('a');
    await requestLoader(context, 'other', counting(calls)).load('a');
    await requestLoader({}, 'letters', counting(calls)).load('a');
    expect(calls).toEqual([['a'], ['a'], ['a']]);
  });

  it('fails every key of a batch that failed', async () => {
    const loader = requestLoader<string, string>({}, 'failing', async () => {
      throw new Error('database gone');
    });
    await expect(Promise.all([loader.load('a'), loader.load('b')])).rejects.toThrow('database gone');
  });
});
