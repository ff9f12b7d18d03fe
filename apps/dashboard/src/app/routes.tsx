import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Outlet, createBrowserRouter, useLocation } from 'react-router';
import { Spin } from 'antd';
import { useAuth } from '../auth/AuthProvider';
import { ErrorResult } from '../shared/ErrorResult';
import { RequireRoles } from './RequireRoles';
import { NotFoundPage } from './NotFoundPage';
import type { Role } from '../auth/access';

// every page is its own chunk, and so is the signed-in shell: the first load carries the router, the GraphQL
// client and antd's core; the sign-in page, the shell and each page come when they are opened
const SignInPage = lazy(() => import('../auth/SignInPage'));
const ChangePasswordPage = lazy(() => import('../auth/ChangePasswordPage'));
const Shell = lazy(() => import('./Shell'));
const OverviewPage = lazy(() => import('../membership/overview/OverviewPage'));
const RosterPage = lazy(() => import('../membership/roster/RosterPage'));
const MemberPage = lazy(() => import('../membership/member/MemberPage'));
const ImportPage = lazy(() => import('../membership/import/ImportPage'));
const AccountsPage = lazy(() => import('../administration/AccountsPage'));
const ApiKeysPage = lazy(() => import('../administration/ApiKeysPage'));
const AuditLogPage = lazy(() => import('../administration/AuditLogPage'));
const DeadLettersPage = lazy(() => import('../administration/DeadLettersPage'));
const TransfersPage = lazy(() => import('../membership/transfers/TransfersPage'));
const StructurePage = lazy(() => import('../membership/structure/StructurePage'));

const MEMBERSHIP_READERS = ['ADMIN', 'MEMBERSHIP_OFFICER', 'VIEWER'] as const;

/** Signed-in pages: to the sign-in page when signed out, to the password change while one is due. */
function SignedIn() {
  const auth = useAuth();
  const { viewer, error, refetch } = auth;
  const location = useLocation();
  if (auth.loading) return loading;
  if (error) return <ErrorResult error={error} onRetry={() => void refetch()} />;
  if (!viewer) return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  if (viewer.mustChangePassword && location.pathname !== '/change-password')
    return <Navigate to="/change-password" replace />;
  return <Outlet />;
}

const page = (roles: readonly Role[], element: ReactNode, hq?: boolean) => (
  <RequireRoles roles={roles} hq={hq}>
    {element}
  </RequireRoles>
);

const loading = <Spin fullscreen />;
const suspended = (element: ReactNode) => <Suspense fallback={loading}>{element}</Suspense>;

export const router = createBrowserRouter([
  { path: '/signin', element: suspended(<SignInPage />) },
  {
    element: <SignedIn />,
    children: [
      { path: '/change-password', element: suspended(<ChangePasswordPage />) },
      {
        element: suspended(<Shell />),
        children: [
          { index: true, element: page(MEMBERSHIP_READERS, <OverviewPage />) },
          { path: 'roster', element: page(MEMBERSHIP_READERS, <RosterPage />) },
          { path: 'members/:memberId', element: page(MEMBERSHIP_READERS, <MemberPage />) },
          { path: 'structure', element: page(MEMBERSHIP_READERS, <StructurePage />) },
          { path: 'admin/accounts', element: page(['ADMIN'], <AccountsPage />) },
          { path: 'admin/api-keys', element: page(['ADMIN'], <ApiKeysPage />, true) },
          { path: 'admin/audit', element: page(['ADMIN'], <AuditLogPage />, true) },
          { path: 'admin/dead-letters', element: page(['ADMIN'], <DeadLettersPage />, true) },
          { path: 'transfers', element: page(['ADMIN', 'MEMBERSHIP_OFFICER'], <TransfersPage />) },
          { path: 'import', element: page(['ADMIN', 'MEMBERSHIP_OFFICER'], <ImportPage />) },
          { path: '*', element: <NotFoundPage /> },
        ],
      },
    ],
  },
]);
