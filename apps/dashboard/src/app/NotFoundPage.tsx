import { Result } from 'antd';
import { useI18n } from '../i18n/I18nProvider';

export function NotFoundPage() {
  const { t } = useI18n();
  return <Result status="404" title={t('shell.notFound')} data-testid="error-result" data-code="NOT_FOUND" />;
}
