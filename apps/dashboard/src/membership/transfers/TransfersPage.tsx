import { useState } from 'react';
import { App, Button, Card, Form, Input, Segmented, Space, Table, Typography } from 'antd';
import { useMutation, useQuery } from '@apollo/client/react';
import { useI18n, shanghaiTime } from '../../i18n/I18nProvider';
import type { MessageKey } from '../../i18n/catalogue';
import { useBranchScope } from '../../app/branch-scope';
import { ErrorResult } from '../../shared/ErrorResult';
import { FormModal } from '../../shared/FormModal';
import type { TransfersQuery } from '../../gql/graphql';
import {
  AcceptTransferDocument,
  CancelTransferDocument,
  DeclineTransferDocument,
  TransfersDocument,
} from './documents';

type Transfer = TransfersQuery['memberTransfers']['edges'][number]['node'];
type Direction = 'INCOMING' | 'OUTGOING';

/**
 * 会籍转移: pending transfers of the branch in scope — incoming ones to accept or decline (the receiving branch
 * consents), outgoing ones to follow or cancel.
 */
export default function TransfersPage() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { branchId } = useBranchScope(['ADMIN', 'MEMBERSHIP_OFFICER']);
  const [direction, setDirection] = useState<Direction>('INCOMING');
  const { data, error, loading, refetch } = useQuery(TransfersDocument, {
    variables: { direction, branchId },
  });
  const [accept] = useMutation(AcceptTransferDocument);
  const [decline] = useMutation(DeclineTransferDocument);
  const [cancel] = useMutation(CancelTransferDocument);
  const [deciding, setDeciding] = useState<{ transfer: Transfer; action: 'decline' | 'cancel' } | null>(null);
  if (error) return <ErrorResult error={error} onRetry={() => void refetch()} />;
  const refetchQueries = ['Transfers', 'Roster', 'Overview'];
  return (
    <div data-testid="transfers">
      <Typography.Title level={3}>{t('transfers.title')}</Typography.Title>
      <Card size="small">
        <Segmented<Direction>
          value={direction}
          onChange={setDirection}
          options={(['INCOMING', 'OUTGOING'] as const).map((value) => ({
            value,
            label: t(`transfers.${value}` as MessageKey),
          }))}
          style={{ marginBottom: 12 }}
        />
        <Table<Transfer>
          rowKey="id"
          size="small"
          loading={loading}
          pagination={false}
          scroll={{ x: 'max-content' }}
          dataSource={data?.memberTransfers.edges.map((edge) => edge.node) ?? []}
          locale={{ emptyText: <Typography.Text type="secondary">{t('transfers.none')}</Typography.Text> }}
          columns={[
            { key: 'name', title: t('roster.col.name'), render: (_, x) => x.candidate.name },
            {
              key: 'staffNumber',
              title: t('roster.col.staffNumber'),
              render: (_, x) => x.candidate.staffNumber,
            },
            { key: 'from', title: t('transfers.from'), render: (_, x) => x.fromBranch?.name ?? '' },
            { key: 'to', title: t('transfers.to'), render: (_, x) => x.toBranch?.name ?? '' },
            {
              key: 'effectiveOn',
              title: t('member.field.effectiveOn'),
              render: (_, x) => x.effectiveOn ?? '',
            },
            { key: 'reason', title: t('member.field.reason'), render: (_, x) => x.reason ?? '' },
            {
              key: 'requestedAt',
              title: t('transfers.requestedAt'),
              render: (_, x) => shanghaiTime(x.requestedAt),
            },
            {
              key: 'actions',
              title: t('common.actions'),
              render: (_, x) =>
                direction === 'INCOMING' ? (
                  <Space>
                    <Button
                      size="small"
                      type="primary"
                      onClick={async () => {
                        await accept({ variables: { input: { transferId: x.id } }, refetchQueries });
                        void message.success(t('transfers.accepted'));
                      }}
                    >
                      {t('transfers.accept')}
                    </Button>
                    <Button
                      size="small"
                      danger
                      onClick={() => setDeciding({ transfer: x, action: 'decline' })}
                    >
                      {t('transfers.decline')}
                    </Button>
                  </Space>
                ) : (
                  <Button size="small" onClick={() => setDeciding({ transfer: x, action: 'cancel' })}>
                    {t('transfers.cancel')}
                  </Button>
                ),
            },
          ]}
        />
      </Card>
      <FormModal<{ reason?: string }>
        title={
          deciding
            ? `${t(`transfers.${deciding.action}` as MessageKey)} · ${deciding.transfer.candidate.name}`
            : ''
        }
        open={deciding !== null}
        onClose={() => setDeciding(null)}
        danger
        okText={t('common.confirm')}
        submit={async ({ reason }) => {
          if (!deciding) return;
          const input = { transferId: deciding.transfer.id, reason: reason?.trim() || null };
          await (deciding.action === 'decline' ? decline : cancel)({ variables: { input }, refetchQueries });
        }}
      >
        <Form.Item name="reason" label={t('member.field.reason')}>
          <Input />
        </Form.Item>
      </FormModal>
    </div>
  );
}
