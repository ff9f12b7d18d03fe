import type { ViewerQuery } from '../gql/graphql';

export type Viewer = ViewerQuery['me'];
export type Role =
  | 'ADMIN'
  | 'MEMBERSHIP_OFFICER'
  | 'FINANCE_ACCOUNTANT'
  | 'FINANCE_CASHIER'
  | 'FINANCE_AUDITOR'
  | 'CONGRESS_SECRETARY'
  | 'ACTIVITIES_OFFICER'
  | 'WELFARE_OFFICER'
  | 'VIEWER'
  | 'MEMBER';

/** Whether the viewer holds one of the roles for the whole federation (HQ). */
export function isHq(viewer: Viewer, roles?: readonly Role[]): boolean {
  return viewer.grants.some(
    (grant) => grant.branchId === null && (!roles || roles.includes(grant.role as Role)),
  );
}

/** Whether the viewer holds one of the roles anywhere (HQ or a branch). */
export function hasRole(viewer: Viewer, roles: readonly Role[]): boolean {
  return viewer.grants.some((grant) => roles.includes(grant.role as Role));
}

/** The branches the viewer's branch grants name (with one of the roles, when given). */
export function branchesOf(viewer: Viewer, roles?: readonly Role[]): string[] {
  return [
    ...new Set(
      viewer.grants
        .filter((grant) => grant.branchId !== null && (!roles || roles.includes(grant.role as Role)))
        .map((grant) => grant.branchId as string),
    ),
  ];
}

/** Whether the viewer may work on one branch's data with one of the roles (HQ reaches every branch). */
export function reaches(viewer: Viewer, branchId: string | null, roles: readonly Role[]): boolean {
  if (isHq(viewer, roles)) return true;
  return branchId !== null && branchesOf(viewer, roles).includes(branchId);
}
