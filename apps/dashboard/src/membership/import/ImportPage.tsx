import { useEffect } from 'react';
import { Alert, Card, Descriptions, Progress, Table, Typography } from 'antd';
import { useQuery } from '@apollo/client/react';
import { useI18n } from '../../i18n/I18nProvider';
import type { MessageKey } from '../../i18n/catalogue';
import { ErrorResult } from '../../shared/ErrorResult';
import { StatusTag } from '../../shared/StatusTag';
import { UploadWithDryRun, type UploadMode } from '../../shared/UploadWithDryRun';
import { RosterImportDocument } from './documents';

const POLL_MS = 500;

/** One import job as it runs: phase, a progress bar, the counts, and the problems row by row. */
function ImportJob({ id, mode }: { id: string; mode: UploadMode }) {
  const { t, locale } = useI18n();
  const { data, error, startPolling, stopPolling } = useQuery(RosterImportDocument, {
    variables: { id },
    fetchPolicy: 'network-only',
  });
  const job = data?.rosterImport;
  const running = !job || job.status === 'QUEUED' || job.status === 'RUNNING';
  useEffect(() => {
    if (running) startPolling(POLL_MS);
    else stopPolling();
    return () => stopPolling();
  }, [running, startPolling, stopPolling]);
  if (error) return <ErrorResult error={error} />;
  if (!job) return null;
  const percent = job.totalRows ? Math.round((job.processed / job.totalRows) * 100) : running ? 0 : 100;
  return (
    <Card
      size="small"
      title={t(mode === 'dry-run' ? 'import.dryRunTitle' : 'import.applyTitle')}
      extra={<StatusTag status={job.status} prefix="import.status" />}
      data-testid="import-job"
      data-status={job.status}
    >
      <Progress
        percent={percent}
        status={
          job.status === 'FAILED' || job.status === 'ABORTED' ? 'exception' : running ? 'active' : 'success'
        }
        aria-label={t(`import.phase.${job.phase}` as MessageKey)}
      />
      <Typography.Text type="secondary">{t(`import.phase.${job.phase}` as MessageKey)}</Typography.Text>
      {job.failure && (
        <Alert
          type="error"
          showIcon
          role="alert"
          style={{ marginTop: 12 }}
          title={locale === 'zh-CN' ? job.failure.message : job.failure.messageEn}
        />
      )}
      <Descriptions
        size="small"
        style={{ marginTop: 12 }}
        column={{ xs: 2, md: 5 }}
        items={[
          { key: 'rows', label: t('import.rows'), children: job.totalRows ?? '—' },
          {
            key: 'created',
            label: t(mode === 'dry-run' ? 'import.wouldCreate' : 'import.created'),
            children: job.created,
          },
          { key: 'updated', label: t('import.updated'), children: job.updated },
          { key: 'unchanged', label: t('import.unchanged'), children: job.unchanged },
          {
            key: 'invalid',
            label: t('import.invalid'),
            children: <span data-testid="import-invalid">{job.invalid}</span>,
          },
        ]}
      />
      {job.errors.totalCount > 0 && (
        <Table
          size="small"
          style={{ marginTop: 12 }}
          rowKey={(problem) => `${problem.row}-${problem.column ?? ''}-${problem.code}`}
          pagination={false}
          data-testid="import-problems"
          dataSource={job.errors.edges.map((edge) => edge.node)}
          columns={[
            { key: 'row', title: t('import.row'), dataIndex: 'row', width: 80 },
            { key: 'column', title: t('import.column'), render: (_, p) => p.column ?? '—', width: 120 },
            {
              key: 'staffNumber',
              title: t('roster.col.staffNumber'),
              render: (_, p) => p.staffNumber ?? '—',
              width: 120,
            },
            {
              key: 'message',
              title: t('import.problem'),
              render: (_, p) => (locale === 'zh-CN' ? p.message : p.messageEn),
            },
          ]}
        />
      )}
    </Card>
  );
}

/** 花名册导入: upload CSV or XLSX, see the dry run's problems per row, apply the good rows, watch the job. */
export default function ImportPage() {
  const { t } = useI18n();
  return (
    <div data-testid="import">
      <Typography.Title level={3}>{t('import.title')}</Typography.Title>
      <UploadWithDryRun
        path="/uploads/roster"
        accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        hint={<Typography.Text type="secondary">{t('import.hint')}</Typography.Text>}
        renderJob={(id, mode) => <ImportJob id={id} mode={mode} />}
      />
    </div>
  );
}
