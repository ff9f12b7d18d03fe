import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import utc from 'dayjs/plugin/utc';
import timezone from 'dayjs/plugin/timezone';
import { CATALOGUES, format, LOCALES, type Locale, type MessageKey } from './catalogue';

dayjs.extend(utc);
dayjs.extend(timezone);
/** Times are kept in UTC and shown as the union works: in Asia/Shanghai, whatever the browser's zone. */
export const TIME_ZONE = 'Asia/Shanghai';
dayjs.tz.setDefault(TIME_ZONE);

const LOCALE_KEY = 'unionfed.locale';

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

interface I18n {
  locale: Locale;
  setLocale(locale: Locale): void;
  t: Translate;
}

const I18nContext = createContext<I18n | null>(null);

function initialLocale(): Locale {
  try {
    const stored = localStorage.getItem(LOCALE_KEY);
    if (stored && (LOCALES as readonly string[]).includes(stored)) return stored as Locale;
  } catch {
    // storage unavailable: the default
  }
  return 'zh-CN';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  useEffect(() => {
    dayjs.locale(locale === 'zh-CN' ? 'zh-cn' : 'en');
    document.documentElement.lang = locale;
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    setLocaleState(next);
    try {
      localStorage.setItem(LOCALE_KEY, next);
    } catch {
      // not remembered: still switched
    }
  }, []);
  const t = useCallback<Translate>((key, params) => format(CATALOGUES[locale][key] ?? key, params), [locale]);
  const value = useMemo(() => ({ locale, setLocale, t }), [locale, setLocale, t]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside I18nProvider');
  return i18n;
}

/** A time from the gateway (ISO, UTC) as Asia/Shanghai shows it. */
export function shanghaiTime(iso: string | null | undefined, pattern = 'YYYY-MM-DD HH:mm'): string {
  return iso ? dayjs(iso).tz(TIME_ZONE).format(pattern) : '';
}
