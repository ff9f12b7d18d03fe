import { useState } from 'react';
import { Button, Flex, Table, Typography } from 'antd';
import { useQuery } from '@apollo/client/react';
import { useI18n, shanghaiTime } from '../i18n/I18nProvider';
import { ErrorResult } from '../shared/ErrorResult';
import type { AuditLogQuery } from '../gql/graphql';
import { AuditLogDocument } from './documents';

type Entry = AuditLogQuery['auditLog'][number];

/** 审计日志 (HQ admins): the gateway's sign-ins, refreshes, key use, grants and refused access, newest first. */
export default function AuditLogPage() {
  const { t } = useI18n();
  const [before, setBefore] = useState<string[]>([]);
  const { data, error, loading, refetch } = useQuery(AuditLogDocument, {
    variables: { before: before.at(-1) },
  });
  if (error) return <ErrorResult error={error} onRetry={() => void refetch()} />;
  const entries = data?.auditLog ?? [];
  return (
    <div data-testid="audit-log">
      <Typography.Title level={3}>{t('audit.title')}</Typography.Title>
      <Table<Entry>
        rowKey="id"
        size="small"
        loading={loading}
        dataSource={entries}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { key: 'at', title: t('audit.at'), render: (_, e) => shanghaiTime(e.at, 'YYYY-MM-DD HH:mm:ss') },
          { key: 'action', title: t('audit.action'), dataIndex: 'action' },
          { key: 'outcome', title: t('audit.outcome'), dataIndex: 'outcome' },
          { key: 'actor', title: t('audit.actor'), render: (_, e) => e.actorName ?? '' },
          { key: 'address', title: t('audit.address'), render: (_, e) => e.address ?? '' },
          { key: 'entity', title: t('audit.entity'), render: (_, e) => e.entity ?? '' },
        ]}
      />
      <Flex justify="flex-end" gap={8} style={{ marginTop: 12 }}>
        <Button disabled={before.length === 0} onClick={() => setBefore(before.slice(0, -1))}>
          {t('common.previous')}
        </Button>
        <Button
          disabled={entries.length < 50}
          onClick={() => setBefore([...before, entries[entries.length - 1].id])}
        >
          {t('audit.older')}
        </Button>
      </Flex>
    </div>
  );
}
