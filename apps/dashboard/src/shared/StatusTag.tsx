import { Tag } from 'antd';
import { useI18n } from '../i18n/I18nProvider';
import type { MessageKey } from '../i18n/catalogue';

const COLOURS: Record<string, string> = {
  ACTIVE: 'green',
  RETIRED: 'blue',
  TRANSFERRED_OUT: 'default',
  WITHDRAWN: 'orange',
  DECEASED: 'default',
  MERGED: 'default',
  DISSOLVED: 'default',
  PENDING: 'gold',
  RUNNING: 'processing',
  FAILED: 'red',
  SUCCEEDED: 'green',
};

/** A status as a coloured tag; its label is the catalogue's `<prefix>.<STATUS>` (e.g. status.ACTIVE). */
export function StatusTag({ status, prefix = 'status' }: { status: string; prefix?: string }) {
  const { t } = useI18n();
  return (
    <Tag color={COLOURS[status] ?? 'default'} data-status={status}>
      {t(`${prefix}.${status}` as MessageKey)}
    </Tag>
  );
}
