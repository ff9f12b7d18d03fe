import type { Branch } from '../domain/structure';
import type { MembershipRepository } from '../infrastructure/membership.repository';

/**
 * Branches asked for while one request resolves (e.g. `branch` of every member on a roster page), loaded with one
 * query per tick instead of one per member, and kept for the rest of the request.
 */
class BranchLoader {
  private readonly loaded = new Map<string, Promise<Branch | undefined>>();
  private pending = new Map<string, (branch: Branch | undefined) => void>();
  private failures = new Map<string, (error: unknown) => void>();

  constructor(private readonly repository: MembershipRepository) {}

  load(id: string): Promise<Branch | undefined> {
    let branch = this.loaded.get(id);
    if (!branch) {
      branch = new Promise((resolve, reject) => {
        if (this.pending.size === 0) setImmediate(() => void this.flush());
        this.pending.set(id, resolve);
        this.failures.set(id, reject);
      });
      this.loaded.set(id, branch);
    }
    return branch;
  }

  private async flush(): Promise<void> {
    const pending = this.pending;
    const failures = this.failures;
    this.pending = new Map();
    this.failures = new Map();
    try {
      const branches = new Map(
        (await this.repository.findBranches([...pending.keys()])).map((b) => [b.id, b]),
      );
      for (const [id, resolve] of pending) resolve(branches.get(id));
    } catch (error) {
      for (const reject of failures.values()) reject(error);
    }
  }
}

const loaders = new WeakMap<object, BranchLoader>();

/** The branch loader of the request whose GraphQL context this is. */
export function branchLoader(context: object, repository: MembershipRepository): BranchLoader {
  let loader = loaders.get(context);
  if (!loader) loaders.set(context, (loader = new BranchLoader(repository)));
  return loader;
}
