import { useState } from 'react';
import { Alert, App, Button, DatePicker, Form, Input, Space, Table, Tag, Typography } from 'antd';
import { useMutation, useQuery } from '@apollo/client/react';
import dayjs, { type Dayjs } from 'dayjs';
import { useI18n, shanghaiTime } from '../i18n/I18nProvider';
import { ErrorResult } from '../shared/ErrorResult';
import { FormModal } from '../shared/FormModal';
import type { ApiKeysQuery } from '../gql/graphql';
import { ApiKeysDocument, CreateApiKeyDocument, RevokeApiKeyDocument } from './documents';

type ApiKey = ApiKeysQuery['apiKeys'][number];

/** 接口密钥 (HQ admins): integrations' keys; a new key's secret is shown once and never again. */
export default function ApiKeysPage() {
  const { t } = useI18n();
  const { modal } = App.useApp();
  const { data, error, refetch } = useQuery(ApiKeysDocument);
  const [create] = useMutation(CreateApiKeyDocument);
  const [revoke] = useMutation(RevokeApiKeyDocument);
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  if (error) return <ErrorResult error={error} onRetry={() => void refetch()} />;
  return (
    <div data-testid="api-keys">
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3}>{t('apiKeys.title')}</Typography.Title>
        <Button type="primary" onClick={() => setCreating(true)}>
          {t('apiKeys.create')}
        </Button>
      </Space>
      {secret && (
        <Alert
          type="success"
          showIcon
          closable
          onClose={() => setSecret(null)}
          style={{ marginBottom: 16 }}
          title={t('apiKeys.created')}
          description={
            <Typography.Text copyable code>
              {secret}
            </Typography.Text>
          }
        />
      )}
      <Table<ApiKey>
        rowKey="id"
        loading={!data}
        dataSource={data?.apiKeys ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { key: 'label', title: t('apiKeys.label'), dataIndex: 'label' },
          { key: 'prefix', title: t('apiKeys.prefix'), render: (_, k) => <code>{k.prefix}</code> },
          {
            key: 'status',
            title: t('accounts.status'),
            render: (_, k) => <Tag>{k.revokedAt ? t('apiKeys.revoked') : t('apiKeys.active')}</Tag>,
          },
          { key: 'expiresAt', title: t('apiKeys.expiresAt'), render: (_, k) => shanghaiTime(k.expiresAt) },
          { key: 'lastUsed', title: t('apiKeys.lastUsed'), render: (_, k) => shanghaiTime(k.lastUsedAt) },
          {
            key: 'actions',
            title: t('common.actions'),
            render: (_, k) =>
              k.revokedAt ? null : (
                <Button
                  size="small"
                  danger
                  onClick={() =>
                    modal.confirm({
                      title: `${t('apiKeys.revoke')}: ${k.label}`,
                      onOk: () => revoke({ variables: { id: k.id }, refetchQueries: ['ApiKeys'] }),
                    })
                  }
                >
                  {t('apiKeys.revoke')}
                </Button>
              ),
          },
        ]}
      />
      <FormModal<{ label: string; expiresAt: Dayjs }>
        title={t('apiKeys.create')}
        open={creating}
        onClose={() => setCreating(false)}
        initialValues={{ expiresAt: dayjs().add(180, 'day') }}
        submit={async (values) => {
          const result = await create({
            variables: {
              input: { label: values.label.trim(), expiresAt: values.expiresAt.endOf('day').toISOString() },
            },
            refetchQueries: ['ApiKeys'],
          });
          if (result.data) setSecret(result.data.createApiKey.secret);
        }}
      >
        <Form.Item
          name="label"
          label={t('apiKeys.label')}
          rules={[{ required: true, message: t('accounts.required', { field: t('apiKeys.label') }) }]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item name="expiresAt" label={t('apiKeys.expiresAt')} rules={[{ required: true }]}>
          <DatePicker style={{ width: '100%' }} />
        </Form.Item>
      </FormModal>
    </div>
  );
}
