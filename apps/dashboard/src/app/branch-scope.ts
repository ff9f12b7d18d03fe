import { useCallback } from 'react';
import { useSearchParams } from 'react-router';
import { branchesOf, isHq, type Role } from '../auth/access';
import { useViewer } from '../auth/AuthProvider';

/**
 * The branch a page works on, kept in the URL (`?branch=<id>`) so a link or a reload shows the same data. HQ may
 * choose any branch or none (the whole federation); a branch officer starts on their own branch. Whatever the
 * URL says is what the page asks for: another branch's id is refused by the gateway, and the page says so.
 */
export function useBranchScope(roles: readonly Role[]): {
  branchId: string | null;
  setBranchId(id: string | null): void;
  hq: boolean;
  ownBranches: string[];
} {
  const viewer = useViewer();
  const [params, setParams] = useSearchParams();
  const hq = isHq(viewer, roles);
  const ownBranches = branchesOf(viewer, roles);
  const branchId = params.get('branch') ?? (hq ? null : (ownBranches[0] ?? null));
  const setBranchId = useCallback(
    (id: string | null) =>
      setParams((current) => {
        const next = new URLSearchParams(current);
        if (id) next.set('branch', id);
        else next.delete('branch');
        return next;
      }),
    [setParams],
  );
  return { branchId, setBranchId, hq, ownBranches };
}
