import { Tag } from 'antd';
import { useI18n } from '../i18n/I18nProvider';
import type { MessageKey } from '../i18n/catalogue';

// solid colours dark enough for white text at WCAG AA contrast (antd's light preset tags are not)
const COLOURS: Record<string, string | undefined> = {
  ACTIVE: '#237804',
  RETIRED: '#0958d9',
  WITHDRAWN: '#ad4e00',
  PENDING: '#874d00',
  RUNNING: '#0958d9',
  FAILED: '#a8071a',
  SUCCEEDED: '#237804',
};

/** A status as a coloured tag; its label is the catalogue's `<prefix>.<STATUS>` (e.g. status.ACTIVE). */
export function StatusTag({ status, prefix = 'status' }: { status: string; prefix?: string }) {
  const { t } = useI18n();
  return (
    <Tag color={COLOURS[status]} data-status={status}>
      {t(`${prefix}.${status}` as MessageKey)}
    </Tag>
  );
}
