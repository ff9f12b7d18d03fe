import { useEffect, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { Alert, Button, Card, Divider, Flex, Form, Input, Typography } from 'antd';
import { useAuth } from './AuthProvider';
import { useI18n } from '../i18n/I18nProvider';
import { problemOf } from '../shared/errors';
import { useProblemText } from '../shared/problem-text';
import type { SessionTokens } from './session';

/** Whether the gateway has campus SSO configured (GET /auth/oidc/status). */
function useCampusSso(): boolean {
  const [enabled, setEnabled] = useState(false);
  useEffect(() => {
    let live = true;
    fetch('/auth/oidc/status', { credentials: 'same-origin' })
      .then((response) => (response.ok ? response.json() : { enabled: false }))
      .then((body: { enabled?: boolean }) => live && setEnabled(body.enabled === true))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return enabled;
}

/**
 * The campus SSO callback hands the session over in the URL fragment (never sent to a server): taken once and
 * wiped from the address bar and the history at once.
 */
function sessionFromFragment(hash: string): SessionTokens | null {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const accessToken = params.get('accessToken');
  const refreshToken = params.get('refreshToken');
  const accessTokenExpiresAt = params.get('accessTokenExpiresAt');
  if (!accessToken || !refreshToken || !accessTokenExpiresAt) return null;
  return { accessToken, refreshToken, accessTokenExpiresAt };
}

export default function SignInPage() {
  const { t } = useI18n();
  const { viewer, signIn, adoptSession } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const campusSso = useCampusSso();
  const problemText = useProblemText();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const handed = sessionFromFragment(location.hash);
    if (!handed) return;
    window.history.replaceState(null, '', location.pathname);
    void adoptSession(handed).then(() => navigate('/', { replace: true }));
  }, [location.hash, location.pathname, adoptSession, navigate]);

  if (viewer) return <Navigate to={viewer.mustChangePassword ? '/change-password' : '/'} replace />;

  const submit = async ({ username, password }: { username: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      await signIn(username.trim(), password);
    } catch (failure) {
      setError(problemText(problemOf(failure)));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Flex justify="center" align="center" style={{ minHeight: '100vh', padding: 16 }}>
      <main style={{ width: '100%', maxWidth: 400 }}>
        <Card>
          <Typography.Title level={3} style={{ textAlign: 'center' }}>
            {t('signIn.title')}
          </Typography.Title>
          <Typography.Paragraph type="secondary" style={{ textAlign: 'center' }}>
            {t('signIn.subtitle')}
          </Typography.Paragraph>
          {error && <Alert type="error" title={error} showIcon style={{ marginBottom: 16 }} role="alert" />}
          <Form layout="vertical" onFinish={submit} requiredMark={false}>
            <Form.Item
              label={t('signIn.username')}
              name="username"
              rules={[{ required: true, message: t('signIn.required', { field: t('signIn.username') }) }]}
            >
              <Input autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item
              label={t('signIn.password')}
              name="password"
              rules={[{ required: true, message: t('signIn.required', { field: t('signIn.password') }) }]}
            >
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>
              {t('signIn.submit')}
            </Button>
          </Form>
          {campusSso && (
            <>
              <Divider plain>{t('signIn.or')}</Divider>
              <Button block href={`/auth/oidc/login?return_to=${encodeURIComponent('/signin')}`}>
                {t('signIn.sso')}
              </Button>
            </>
          )}
        </Card>
      </main>
    </Flex>
  );
}
