import { useState, type ReactNode } from 'react';
import { Alert, Button, Card, Space, Upload } from 'antd';
import { useI18n } from '../i18n/I18nProvider';
import { authFetch } from '../auth/session';
import { problemOfResponse } from './errors';
import { useProblemText } from './problem-text';

export type UploadMode = 'dry-run' | 'apply';

/**
 * A file upload in two steps: 检查 (a dry run: the server checks every row and lists the problems, writing
 * nothing), then 导入 (apply; rows with problems are skipped). The file goes to a file route of the gateway
 * (`path?mode=…&onInvalid=skip`, the session's token in the header), which answers 202 with the job's id;
 * `renderJob` shows that job (its progress and problems) as the domain's query has it.
 */
export function UploadWithDryRun({
  path,
  accept,
  renderJob,
  hint,
}: {
  path: string;
  accept: string;
  renderJob(jobId: string, mode: UploadMode): ReactNode;
  hint?: ReactNode;
}) {
  const { t } = useI18n();
  const problemText = useProblemText();
  const [file, setFile] = useState<File | null>(null);
  const [job, setJob] = useState<{ id: string; mode: UploadMode } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const start = async (mode: UploadMode) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    try {
      const type =
        file.type || (file.name.toLowerCase().endsWith('.csv') ? 'text/csv' : 'application/octet-stream');
      const response = await authFetch(`${path}?mode=${mode}&onInvalid=skip`, {
        method: 'POST',
        headers: { 'content-type': type, 'x-file-name': encodeURIComponent(file.name) },
        body: file,
      });
      if (response.status !== 202) {
        setError(problemText(await problemOfResponse(response)));
        return;
      }
      const { jobId } = (await response.json()) as { jobId: string };
      setJob({ id: jobId, mode });
    } catch (failure) {
      setError(problemText({ code: 'NETWORK', message: String(failure) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="middle">
      <Card size="small">
        <Space wrap>
          <Upload
            accept={accept}
            maxCount={1}
            beforeUpload={(chosen) => {
              setFile(chosen);
              setJob(null);
              return false; // kept here until 检查 or 导入
            }}
            onRemove={() => {
              setFile(null);
              setJob(null);
            }}
            fileList={file ? [{ uid: 'file', name: file.name, status: 'done' }] : []}
          >
            <Button data-testid="upload-choose">{t('upload.choose')}</Button>
          </Upload>
          <Button
            disabled={!file}
            loading={busy}
            onClick={() => void start('dry-run')}
            data-testid="upload-dry-run"
          >
            {t('upload.dryRun')}
          </Button>
          <Button
            type="primary"
            disabled={!file || job?.mode !== 'dry-run'}
            loading={busy}
            onClick={() => void start('apply')}
            data-testid="upload-apply"
          >
            {t('upload.apply')}
          </Button>
        </Space>
        {hint && <div style={{ marginTop: 8 }}>{hint}</div>}
      </Card>
      {error && <Alert type="error" showIcon role="alert" title={error} />}
      {job && <div key={job.id}>{renderJob(job.id, job.mode)}</div>}
    </Space>
  );
}
