import { useState } from 'react';
import { Alert, App, Button, Flex, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery } from '@apollo/client/react';
import { useI18n, shanghaiTime } from '../i18n/I18nProvider';
import type { MessageKey } from '../i18n/catalogue';
import { useAuth, useViewer } from '../auth/AuthProvider';
import { branchesOf, isHq, type Role } from '../auth/access';
import { ErrorResult } from '../shared/ErrorResult';
import { FormModal } from '../shared/FormModal';
import { BranchPicker } from '../shared/BranchPicker';
import { StatusTag } from '../shared/StatusTag';
import type { AccountsQuery } from '../gql/graphql';
import { AccountsDocument, CreateAccountDocument, GrantRoleDocument, RevokeRoleDocument } from './documents';

type Account = AccountsQuery['accounts'][number];
const STAFF_ROLES: readonly Role[] = [
  'ADMIN',
  'MEMBERSHIP_OFFICER',
  'FINANCE_ACCOUNTANT',
  'FINANCE_CASHIER',
  'FINANCE_AUDITOR',
  'CONGRESS_SECRETARY',
  'ACTIVITIES_OFFICER',
  'WELFARE_OFFICER',
  'VIEWER',
];
const HQ_SCOPE = '__hq__';

interface GrantValues {
  role: Role;
  branchId?: string | null;
}

/**
 * 账号与角色: the accounts within the admin's reach (HQ all; a branch admin those wholly within their branch) and
 * their grants. A new account's one-time password is shown once; roles are granted only within the admin's scope
 * (the gateway refuses others).
 */
export default function AccountsPage() {
  const { t } = useI18n();
  const viewer = useViewer();
  const { branches } = useAuth();
  const { message, modal } = App.useApp();
  // pages of 50, by the last account's id (the gateway's cost limit bounds a page)
  const [after, setAfter] = useState<string[]>([]);
  const { data, error, refetch } = useQuery(AccountsDocument, { variables: { after: after.at(-1) } });
  const [create] = useMutation(CreateAccountDocument);
  const [grant] = useMutation(GrantRoleDocument);
  const [revoke] = useMutation(RevokeRoleDocument);
  const [creating, setCreating] = useState(false);
  const [granting, setGranting] = useState<Account | null>(null);
  const [oneTime, setOneTime] = useState<{ username: string; password: string } | null>(null);
  if (error) return <ErrorResult error={error} onRetry={() => void refetch()} />;
  const hq = isHq(viewer, ['ADMIN']);
  const ownBranches = branchesOf(viewer, ['ADMIN']);
  const branchName = (id: string | null) =>
    id === null ? t('shell.scope.hq') : (branches.find((b) => b.id === id)?.name ?? '');
  const required = (label: MessageKey) => [
    { required: true, message: t('accounts.required', { field: t(label) }) },
  ];
  const grantInput = (values: GrantValues) => ({
    role: values.role,
    ...(values.branchId && values.branchId !== HQ_SCOPE ? { branchId: values.branchId } : {}),
  });
  const scopeField = (
    <Form.Item name="branchId" label={t('accounts.scope')} rules={required('accounts.scope')}>
      <ScopeField hq={hq} branchIds={hq ? undefined : ownBranches} />
    </Form.Item>
  );
  const roleField = (
    <Form.Item name="role" label={t('accounts.role')} rules={required('accounts.role')}>
      <Select
        options={STAFF_ROLES.map((role) => ({ value: role, label: t(`role.${role}` as MessageKey) }))}
      />
    </Form.Item>
  );
  return (
    <div data-testid="accounts">
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3}>{t('accounts.title')}</Typography.Title>
        <Button type="primary" onClick={() => setCreating(true)} data-testid="create-account">
          {t('accounts.create')}
        </Button>
      </Space>
      {oneTime && (
        <Alert
          type="success"
          showIcon
          closable
          onClose={() => setOneTime(null)}
          style={{ marginBottom: 16 }}
          title={t('accounts.created')}
          description={
            <Typography.Text copyable code data-testid="one-time-password">
              {oneTime.username} / {oneTime.password}
            </Typography.Text>
          }
        />
      )}
      <Table<Account>
        rowKey="id"
        loading={!data}
        dataSource={data?.accounts ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { key: 'username', title: t('accounts.username'), dataIndex: 'username' },
          { key: 'displayName', title: t('accounts.displayName'), dataIndex: 'displayName' },
          {
            key: 'status',
            title: t('accounts.status'),
            render: (_, a) => (
              <Space>
                <StatusTag status={a.status} prefix="accountStatus" />
                {a.mustChangePassword && <Tag>{t('accounts.mustChange')}</Tag>}
              </Space>
            ),
          },
          {
            key: 'grants',
            title: t('accounts.grants'),
            render: (_, a) => (
              <Space wrap>
                {a.grants.map((g) => (
                  <Tag
                    key={`${g.role}-${g.branchId}`}
                    closable
                    onClose={(event) => {
                      event.preventDefault();
                      modal.confirm({
                        title: `${t('accounts.revoke')}: ${t(`role.${g.role}` as MessageKey)} · ${branchName(g.branchId ?? null)}`,
                        onOk: async () => {
                          await revoke({
                            variables: {
                              accountId: a.id,
                              grant: { role: g.role, ...(g.branchId ? { branchId: g.branchId } : {}) },
                            },
                            refetchQueries: ['Accounts'],
                          });
                        },
                      });
                    }}
                  >
                    {t(`role.${g.role}` as MessageKey)} · {branchName(g.branchId ?? null)}
                  </Tag>
                ))}
              </Space>
            ),
          },
          { key: 'lastLogin', title: t('accounts.lastLogin'), render: (_, a) => shanghaiTime(a.lastLoginAt) },
          {
            key: 'actions',
            title: t('common.actions'),
            render: (_, a) => (
              <Button size="small" onClick={() => setGranting(a)}>
                {t('accounts.grant')}
              </Button>
            ),
          },
        ]}
      />
      <Flex justify="flex-end" gap={8} style={{ marginTop: 12 }}>
        <Button disabled={after.length === 0} onClick={() => setAfter(after.slice(0, -1))}>
          {t('common.previous')}
        </Button>
        <Button
          disabled={(data?.accounts.length ?? 0) < 50}
          onClick={() => data && setAfter([...after, data.accounts[data.accounts.length - 1].id])}
        >
          {t('common.next')}
        </Button>
      </Flex>
      <FormModal<{ username: string; displayName: string } & GrantValues>
        title={t('accounts.create')}
        open={creating}
        onClose={() => setCreating(false)}
        initialValues={hq ? undefined : { branchId: ownBranches[0] }}
        submit={async (values) => {
          const result = await create({
            variables: {
              input: {
                username: values.username.trim(),
                displayName: values.displayName.trim(),
                grants: [grantInput(values)],
              },
            },
            refetchQueries: ['Accounts'],
          });
          if (result.data)
            setOneTime({
              username: result.data.createAccount.account.username,
              password: result.data.createAccount.oneTimePassword,
            });
        }}
      >
        <Form.Item name="username" label={t('accounts.username')} rules={required('accounts.username')}>
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item
          name="displayName"
          label={t('accounts.displayName')}
          rules={required('accounts.displayName')}
        >
          <Input autoComplete="off" />
        </Form.Item>
        {roleField}
        {scopeField}
      </FormModal>
      <FormModal<GrantValues>
        title={`${t('accounts.grant')} · ${granting?.displayName ?? ''}`}
        open={granting !== null}
        onClose={() => setGranting(null)}
        initialValues={hq ? undefined : { branchId: ownBranches[0] }}
        submit={async (values) => {
          if (!granting) return;
          await grant({
            variables: { accountId: granting.id, grant: grantInput(values) },
            refetchQueries: ['Accounts'],
          });
          void message.success(t('structure.done'));
        }}
      >
        {roleField}
        {scopeField}
      </FormModal>
    </div>
  );
}

/** HQ or one branch, as a form control: HQ admins may grant for HQ or any branch, branch admins their branches. */
function ScopeField({
  value,
  onChange,
  hq,
  branchIds,
  id,
}: {
  value?: string | null;
  onChange?: (value: string | null) => void;
  hq: boolean;
  branchIds?: string[];
  id?: string;
}) {
  const { t } = useI18n();
  const { branches } = useAuth();
  if (!hq)
    return (
      <BranchPicker
        id={id}
        value={value ?? null}
        onChange={(next) => onChange?.(next)}
        branchIds={branchIds}
      />
    );
  return (
    <Select
      id={id}
      value={value ?? undefined}
      onChange={(next: string) => onChange?.(next)}
      showSearch={{ optionFilterProp: 'label' }}
      options={[
        { value: HQ_SCOPE, label: t('shell.scope.hq') },
        ...branches.filter((b) => b.status === 'ACTIVE').map((b) => ({ value: b.id, label: b.name })),
      ]}
    />
  );
}
