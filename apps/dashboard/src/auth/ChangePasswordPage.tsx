import { useState } from 'react';
import { Navigate, useNavigate } from 'react-router';
import { Alert, App, Button, Card, Flex, Form, Input, Typography } from 'antd';
import { useMutation } from '@apollo/client/react';
import { useAuth } from './AuthProvider';
import { ChangePasswordDocument } from './documents';
import { useI18n } from '../i18n/I18nProvider';
import { problemOf } from '../shared/errors';
import { useProblemText } from '../shared/problem-text';

/** 修改密码 — required before anything else after signing in with a one-time password. */
export default function ChangePasswordPage() {
  const { t } = useI18n();
  const { viewer, renewSession } = useAuth();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const problemText = useProblemText();
  const [change, { loading }] = useMutation(ChangePasswordDocument);
  const [error, setError] = useState<string | null>(null);
  if (!viewer) return <Navigate to="/signin" replace />;

  const submit = async (values: { currentPassword: string; newPassword: string }) => {
    setError(null);
    try {
      await change({
        variables: { currentPassword: values.currentPassword, newPassword: values.newPassword },
      });
      await renewSession();
      void message.success(t('changePassword.done'));
      navigate('/', { replace: true });
    } catch (failure) {
      const problem = problemOf(failure);
      setError(
        problemText(
          problem.reason === 'BAD_CREDENTIALS' ? { ...problem, reason: 'CURRENT_PASSWORD_WRONG' } : problem,
        ),
      );
    }
  };

  return (
    <Flex justify="center" align="center" style={{ minHeight: '100vh', padding: 16 }}>
      <main style={{ width: '100%', maxWidth: 440 }}>
        <Card>
          <Typography.Title level={3}>{t('changePassword.title')}</Typography.Title>
          {viewer.mustChangePassword && (
            <Alert type="info" showIcon title={t('changePassword.firstTime')} style={{ marginBottom: 16 }} />
          )}
          {error && <Alert type="error" title={error} showIcon style={{ marginBottom: 16 }} role="alert" />}
          <Form layout="vertical" onFinish={submit} requiredMark={false}>
            <Form.Item
              label={t('changePassword.current')}
              name="currentPassword"
              rules={[
                { required: true, message: t('signIn.required', { field: t('changePassword.current') }) },
              ]}
            >
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            <Form.Item
              label={t('changePassword.new')}
              name="newPassword"
              extra={t('changePassword.rules')}
              rules={[{ required: true, message: t('signIn.required', { field: t('changePassword.new') }) }]}
            >
              <Input.Password autoComplete="new-password" />
            </Form.Item>
            <Form.Item
              label={t('changePassword.repeat')}
              name="repeat"
              dependencies={['newPassword']}
              rules={[
                { required: true, message: t('signIn.required', { field: t('changePassword.repeat') }) },
                ({ getFieldValue }) => ({
                  validator: (_, value) =>
                    !value || value === getFieldValue('newPassword')
                      ? Promise.resolve()
                      : Promise.reject(new Error(t('changePassword.mismatch'))),
                }),
              ]}
            >
              <Input.Password autoComplete="new-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={loading}>
              {t('changePassword.submit')}
            </Button>
          </Form>
        </Card>
      </main>
    </Flex>
  );
}
