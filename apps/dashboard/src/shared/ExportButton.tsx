import { useState } from 'react';
import { App, Button, Dropdown } from 'antd';
import { authFetch } from '../auth/session';
import { useI18n } from '../i18n/I18nProvider';
import { problemOfResponse } from './errors';
import { useProblemText } from './problem-text';

/** The query string of a filter: its set values only, under the names the file route reads. */
export function exportQuery(
  params: Record<string, unknown>,
  rename: Record<string, string> = {},
): URLSearchParams {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') query.set(rename[name] ?? name, String(value));
  return query;
}

/**
 * Export the current filter as XLSX or CSV through one of the gateway's file routes (the session's token in the
 * header, never in the URL); the file arrives as a download, a refusal as the route's message.
 */
export function ExportButton({
  path,
  params,
  fileName,
}: {
  path: string;
  params: Record<string, unknown>;
  fileName: string;
}) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const problemText = useProblemText();
  const [busy, setBusy] = useState(false);
  const download = async (format: 'xlsx' | 'csv') => {
    setBusy(true);
    try {
      const query = exportQuery({ ...params, format });
      const response = await authFetch(`${path}?${query}`);
      if (!response.ok) {
        void message.error(problemText(await problemOfResponse(response)));
        return;
      }
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement('a');
      link.href = url;
      link.download = `${fileName}.${format}`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dropdown
      menu={{
        items: [
          { key: 'xlsx', label: t('common.exportXlsx') },
          { key: 'csv', label: t('common.exportCsv') },
        ],
        onClick: ({ key }) => void download(key as 'xlsx' | 'csv'),
      }}
    >
      <Button loading={busy} data-testid="export-button">
        {t('common.export')}
      </Button>
    </Dropdown>
  );
}
