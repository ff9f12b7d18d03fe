import { Button, Result } from 'antd';
import { useNavigate } from 'react-router';
import { useI18n } from '../i18n/I18nProvider';
import type { MessageKey } from '../i18n/catalogue';
import { NETWORK, problemOf, type Problem } from './errors';

const STATUS: Record<string, '403' | '404' | '500' | 'warning' | 'error'> = {
  FORBIDDEN: '403',
  NOT_FOUND: '404',
  UNAUTHENTICATED: 'warning',
  [NETWORK]: 'error',
  RATE_LIMITED: 'warning',
};
const KNOWN = new Set(['FORBIDDEN', 'NOT_FOUND', 'UNAUTHENTICATED', NETWORK, 'RATE_LIMITED']);

/**
 * A page's failure as a clear message — FORBIDDEN, NOT_FOUND, UNAUTHENTICATED, the network — never a blank
 * page. Every page renders this for its query's error (and for a record that answered null: NOT_FOUND).
 */
export function ErrorResult({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const problem: Problem = problemOf(error);
  const code = KNOWN.has(problem.code) ? problem.code : 'other';
  const detail =
    code === 'RATE_LIMITED'
      ? t('error.RATE_LIMITED.detail', { seconds: problem.retryAfter ?? 60 })
      : t(`error.${code}.detail` as MessageKey);
  return (
    <Result
      status={STATUS[problem.code] ?? 'error'}
      title={t(`error.${code}.title` as MessageKey)}
      subTitle={detail}
      data-testid="error-result"
      data-code={problem.code}
      extra={[
        onRetry && code !== 'FORBIDDEN' && code !== 'NOT_FOUND' ? (
          <Button key="retry" onClick={onRetry}>
            {t('error.retry')}
          </Button>
        ) : null,
        code === 'UNAUTHENTICATED' ? (
          <Button key="signin" type="primary" onClick={() => navigate('/signin')}>
            {t('error.signInAgain')}
          </Button>
        ) : (
          <Button key="home" onClick={() => navigate('/')}>
            {t('error.home')}
          </Button>
        ),
      ]}
    />
  );
}
