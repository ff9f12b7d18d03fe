import { useCallback } from 'react';
import { useI18n } from '../i18n/I18nProvider';
import type { MessageKey } from '../i18n/catalogue';
import { CATALOGUES } from '../i18n/catalogue';
import type { Problem } from './errors';

/**
 * A problem as one line for a form: the catalogue's message for its reason when there is one (reason.<REASON>),
 * else its code's title and the server's own words (an HTTP route's messageZh in Chinese).
 */
export function useProblemText(): (problem: Problem) => string {
  const { t, locale } = useI18n();
  return useCallback(
    (problem: Problem) => {
      const reasonKey = `reason.${problem.reason}` as MessageKey;
      if (problem.reason && reasonKey in CATALOGUES[locale]) return t(reasonKey);
      if (problem.code === 'RATE_LIMITED')
        return t('error.RATE_LIMITED.detail', { seconds: problem.retryAfter ?? 60 });
      const titleKey = `error.${problem.code}.title` as MessageKey;
      const title = titleKey in CATALOGUES[locale] ? t(titleKey) : t('error.other.title');
      const words = locale === 'zh-CN' && problem.messageZh ? problem.messageZh : problem.message;
      return words ? `${title}：${words}` : title;
    },
    [t, locale],
  );
}
