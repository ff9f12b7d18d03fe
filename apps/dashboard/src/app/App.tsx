import { useMemo } from 'react';
import { RouterProvider } from 'react-router/dom';
import { App as AntApp, ConfigProvider, type ThemeConfig } from 'antd';
import zh_CN from 'antd/locale/zh_CN';
import en_US from 'antd/locale/en_US';
import { ApolloProvider } from '@apollo/client/react';
import { AuthProvider } from '../auth/AuthProvider';
import { I18nProvider, useI18n } from '../i18n/I18nProvider';
import { createApolloClient } from '../shared/apollo';
import { router } from './routes';

/**
 * The union's red, and secondary text dark enough for WCAG AA contrast (4.5:1) on the layout's grey: antd's
 * defaults (45 % black) fail axe-core's check.
 */
const THEME: ThemeConfig = {
  token: {
    colorPrimary: '#b7282e',
    colorLink: '#0958d9',
    colorError: '#cf1322',
    colorTextSecondary: 'rgba(0, 0, 0, 0.68)',
    colorTextDescription: 'rgba(0, 0, 0, 0.64)',
    colorTextTertiary: 'rgba(0, 0, 0, 0.64)',
    colorTextPlaceholder: 'rgba(0, 0, 0, 0.6)',
  },
};

/** `nonce`: the page's CSP nonce, which antd's style elements must carry. */
function Localized({ nonce }: { nonce?: string }) {
  const { locale } = useI18n();
  return (
    <ConfigProvider
      locale={locale === 'zh-CN' ? zh_CN : en_US}
      csp={nonce ? { nonce } : undefined}
      theme={THEME}
    >
      <AntApp>
        <AuthProvider>
          <RouterProvider router={router} />
        </AuthProvider>
      </AntApp>
    </ConfigProvider>
  );
}

export function App({ nonce }: { nonce?: string }) {
  const client = useMemo(createApolloClient, []);
  return (
    <ApolloProvider client={client}>
      <I18nProvider>
        <Localized nonce={nonce} />
      </I18nProvider>
    </ApolloProvider>
  );
}
