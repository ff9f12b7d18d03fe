import { Suspense, useMemo } from 'react';
import { Outlet, useLocation, useNavigate } from 'react-router';
import {
  Button,
  Dropdown,
  Flex,
  Layout,
  Menu,
  Result,
  Segmented,
  Spin,
  Typography,
  type MenuProps,
} from 'antd';
import { useAuth, useViewer } from '../auth/AuthProvider';
import { hasRole, isHq } from '../auth/access';
import { useI18n } from '../i18n/I18nProvider';
import { LOCALES, type Locale, type MessageKey } from '../i18n/catalogue';
import { BranchPicker } from '../shared/BranchPicker';
import { useBranchScope } from './branch-scope';
import { PAGES, type PageEntry } from './pages';

const LANGUAGE_NAMES: Record<Locale, string> = { 'zh-CN': '简体中文', 'en-US': 'English' };

export function visiblePages(viewer: ReturnType<typeof useViewer>): PageEntry[] {
  return PAGES.filter((page) => (page.hq ? isHq(viewer, page.roles) : hasRole(viewer, page.roles)));
}

export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <Segmented<Locale>
      aria-label={t('shell.language')}
      data-testid="language-switch"
      value={locale}
      onChange={setLocale}
      options={LOCALES.map((value) => ({ value, label: <span lang={value}>{LANGUAGE_NAMES[value]}</span> }))}
    />
  );
}

function ScopeSwitch() {
  const { t } = useI18n();
  const { branches } = useAuth();
  const { branchId, setBranchId, hq, ownBranches } = useBranchScope([
    'ADMIN',
    'MEMBERSHIP_OFFICER',
    'VIEWER',
  ]);
  if (hq) return <BranchPicker value={branchId} onChange={setBranchId} allowAll />;
  if (ownBranches.length > 1)
    return <BranchPicker value={branchId} onChange={setBranchId} branchIds={ownBranches} />;
  const own = branches.find((branch) => branch.id === ownBranches[0]);
  return <Typography.Text data-testid="scope-name">{own?.name ?? t('shell.scope.hq')}</Typography.Text>;
}

/** The signed-in layout: the menu of the pages the viewer may open, the branch scope, language, the account. */
export default function Shell() {
  const viewer = useViewer();
  const { signOut } = useAuth();
  const { t } = useI18n();
  const navigate = useNavigate();
  const location = useLocation();
  const pages = useMemo(() => visiblePages(viewer), [viewer]);

  const items = useMemo<MenuProps['items']>(() => {
    const groups = new Map<MessageKey | undefined, PageEntry[]>();
    for (const page of pages) groups.set(page.group, [...(groups.get(page.group) ?? []), page]);
    return [...groups].flatMap(([group, entries]) => {
      const leaves = entries.map((page) => ({ key: page.path, label: t(page.label) }));
      return group ? [{ type: 'group' as const, key: group, label: t(group), children: leaves }] : leaves;
    });
  }, [pages, t]);
  const selected =
    [...pages]
      .sort((a, b) => b.path.length - a.path.length)
      .find((page) =>
        page.path === '/' ? location.pathname === '/' : location.pathname.startsWith(page.path),
      )?.path ?? '';

  const roles = [...new Set(viewer.grants.map((grant) => t(`role.${grant.role}` as MessageKey)))].join('、');
  const keepSearch = (path: string) => {
    const branch = new URLSearchParams(location.search).get('branch');
    return branch ? `${path}?branch=${encodeURIComponent(branch)}` : path;
  };

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider breakpoint="lg" collapsedWidth={0} theme="light" width={208}>
        <Typography.Title level={5} style={{ padding: '16px 20px', margin: 0 }}>
          {t('app.shortName')}
        </Typography.Title>
        <nav aria-label={t('app.name')}>
          <Menu
            mode="inline"
            selectedKeys={[selected]}
            items={items}
            onClick={({ key }) => navigate(keepSearch(key))}
          />
        </nav>
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{ background: 'transparent', paddingInline: 24, display: 'flex', alignItems: 'center' }}
        >
          <Flex gap={16} align="center" style={{ width: '100%' }} wrap>
            <ScopeSwitch />
            <span style={{ flex: 1 }} />
            <LanguageSwitch />
            <Dropdown
              trigger={['click']}
              menu={{
                items: [
                  { key: 'roles', label: roles || t('common.none'), disabled: true },
                  { key: 'password', label: t('changePassword.title') },
                  { key: 'signout', label: t('signOut'), danger: true },
                ],
                onClick: ({ key }) => {
                  if (key === 'password') navigate('/change-password');
                  if (key === 'signout') void signOut().then(() => navigate('/signin'));
                },
              }}
            >
              <Button data-testid="account-menu">{viewer.name}</Button>
            </Dropdown>
          </Flex>
        </Layout.Header>
        <Layout.Content style={{ padding: 24 }}>
          <main>
            {pages.length === 0 ? (
              <Result status="info" title={t('shell.noPages')} subTitle={t('shell.noPagesDetail')} />
            ) : (
              <Suspense fallback={<Spin style={{ display: 'block', marginTop: 96 }} />}>
                <Outlet />
              </Suspense>
            )}
          </main>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
