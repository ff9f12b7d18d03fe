import { App, Button, Space, Table, Typography } from 'antd';
import { useMutation, useQuery } from '@apollo/client/react';
import { useI18n, shanghaiTime } from '../i18n/I18nProvider';
import { ErrorResult } from '../shared/ErrorResult';
import type { DeadLetterFieldsFragment } from '../gql/graphql';
import { DeadLettersDocument, ReplayDeadLettersDocument } from './documents';

/** 死信队列 (HQ admins): what each service's consumers set aside, and a replay of all of it once fixed. */
export default function DeadLettersPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { data, error, loading, refetch } = useQuery(DeadLettersDocument);
  const [replay, { loading: replaying }] = useMutation(ReplayDeadLettersDocument);
  if (error) return <ErrorResult error={error} onRetry={() => void refetch()} />;
  const letters: DeadLetterFieldsFragment[] = data
    ? [
        ...data.gatewayDeadLetters,
        ...data.financeDeadLetters,
        ...data.congressDeadLetters,
        ...data.activitiesDeadLetters,
        ...data.welfareDeadLetters,
      ]
    : [];
  return (
    <div data-testid="dead-letters">
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3}>{t('deadLetters.title')}</Typography.Title>
        <Button
          disabled={letters.length === 0}
          loading={replaying}
          onClick={async () => {
            const result = await replay({ refetchQueries: ['DeadLetters'] });
            const count = Object.values(result.data ?? {}).reduce((sum, r) => sum + (r?.replayed ?? 0), 0);
            void message.success(t('deadLetters.replayed', { count }));
          }}
        >
          {t('deadLetters.replayAll')}
        </Button>
      </Space>
      <Table<DeadLetterFieldsFragment>
        rowKey="id"
        size="small"
        loading={loading && !data}
        dataSource={letters}
        locale={{ emptyText: <Typography.Text type="secondary">{t('deadLetters.none')}</Typography.Text> }}
        pagination={false}
        scroll={{ x: 'max-content' }}
        columns={[
          { key: 'consumer', title: t('deadLetters.consumer'), dataIndex: 'consumer' },
          { key: 'event', title: t('deadLetters.event'), render: (_, d) => d.eventType ?? '' },
          {
            key: 'topic',
            title: t('deadLetters.topic'),
            render: (_, d) => `${d.topic} [${d.partition}] @${d.offset}`,
          },
          { key: 'reason', title: t('deadLetters.reason'), render: (_, d) => `${d.reason}: ${d.error}` },
          { key: 'attempts', title: t('deadLetters.attempts'), dataIndex: 'attempts', align: 'right' },
          { key: 'deadAt', title: t('deadLetters.deadAt'), render: (_, d) => shanghaiTime(d.deadAt) },
        ]}
      />
    </div>
  );
}
