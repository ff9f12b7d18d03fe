/**
 * Values asked for while one request resolves — a field of every row of a list (`Member.branch` of a roster page,
 * `Branch.activeMembers` of every branch) — loaded with ONE batch call per tick instead of one per row, and kept
 * for the rest of the request. `batch` answers the keys it knows; a key it leaves out loads as undefined.
 */
export class RequestLoader<K, V> {
  private readonly loaded = new Map<K, Promise<V | undefined>>();
  private pending = new Map<
    K,
    { resolve: (value: V | undefined) => void; reject: (error: unknown) => void }
  >();

  constructor(private readonly batch: (keys: K[]) => Promise<ReadonlyMap<K, V>>) {}

  load(key: K): Promise<V | undefined> {
    let value = this.loaded.get(key);
    if (!value) {
      value = new Promise((resolve, reject) => {
        if (this.pending.size === 0) setImmediate(() => void this.flush());
        this.pending.set(key, { resolve, reject });
      });
      this.loaded.set(key, value);
    }
    return value;
  }

  private async flush(): Promise<void> {
    const pending = this.pending;
    this.pending = new Map();
    try {
      const values = await this.batch([...pending.keys()]);
      for (const [key, { resolve }] of pending) resolve(values.get(key));
    } catch (error) {
      for (const { reject } of pending.values()) reject(error);
    }
  }
}

const loaders = new WeakMap<object, Map<string, RequestLoader<unknown, unknown>>>();

/**
 * The loader named `name` of the request whose GraphQL context this is, made with `batch` on first use. One
 * loader per name and request: requests never share what they loaded.
 */
export function requestLoader<K, V>(
  context: object,
  name: string,
  batch: (keys: K[]) => Promise<ReadonlyMap<K, V>>,
): RequestLoader<K, V> {
  let named = loaders.get(context);
  if (!named) loaders.set(context, (named = new Map()));
  let loader = named.get(name);
  if (!loader) {
    loader = new RequestLoader(batch) as unknown as RequestLoader<unknown, unknown>;
    named.set(name, loader);
  }
  return loader as unknown as RequestLoader<K, V>;
}
