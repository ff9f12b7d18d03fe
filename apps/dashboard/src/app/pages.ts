import type { MessageKey } from '../i18n/catalogue';
import type { Role } from '../auth/access';

/**
 * The dashboard's pages as the menu shows them: a path, a label, and who may open it (roles held for HQ or a
 * branch; `hq`: only for HQ grants). The shell shows an entry only to those who may open it and the route
 * answers FORBIDDEN to others — the gateway decides in the end. A domain adds its pages here and in routes.tsx.
 */
export interface PageEntry {
  path: string;
  label: MessageKey;
  roles: readonly Role[];
  hq?: boolean;
  group?: MessageKey;
}

const MEMBERSHIP_READERS: readonly Role[] = ['ADMIN', 'MEMBERSHIP_OFFICER', 'VIEWER'];

export const PAGES: readonly PageEntry[] = [
  { path: '/', label: 'menu.overview', roles: MEMBERSHIP_READERS },
  { path: '/roster', label: 'menu.roster', roles: MEMBERSHIP_READERS, group: 'menu.membership' },
  { path: '/structure', label: 'menu.structure', roles: MEMBERSHIP_READERS },
  { path: '/admin/accounts', label: 'menu.accounts', roles: ['ADMIN'], group: 'menu.administration' },
  {
    path: '/admin/api-keys',
    label: 'menu.apiKeys',
    roles: ['ADMIN'],
    hq: true,
    group: 'menu.administration',
  },
  { path: '/admin/audit', label: 'menu.auditLog', roles: ['ADMIN'], hq: true, group: 'menu.administration' },
  {
    path: '/admin/dead-letters',
    label: 'menu.deadLetters',
    roles: ['ADMIN'],
    hq: true,
    group: 'menu.administration',
  },
  {
    path: '/transfers',
    label: 'menu.transfers',
    roles: ['ADMIN', 'MEMBERSHIP_OFFICER'],
    group: 'menu.membership',
  },
  { path: '/import', label: 'menu.import', roles: ['ADMIN', 'MEMBERSHIP_OFFICER'], group: 'menu.membership' },
];
