import type { ReactNode } from 'react';
import { useViewer } from '../auth/AuthProvider';
import { hasRole, isHq, type Role } from '../auth/access';
import { ErrorResult } from '../shared/ErrorResult';

/** A page for some roles only: anyone else sees FORBIDDEN (the gateway refuses them anyway). */
export function RequireRoles({
  roles,
  hq,
  children,
}: {
  roles: readonly Role[];
  hq?: boolean;
  children: ReactNode;
}) {
  const viewer = useViewer();
  const allowed = hq ? isHq(viewer, roles) : hasRole(viewer, roles);
  return allowed ? children : <ErrorResult error={{ code: 'FORBIDDEN', message: '' }} />;
}
