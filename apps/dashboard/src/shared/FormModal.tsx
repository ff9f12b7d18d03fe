import { useState, type ReactNode } from 'react';
import { Alert, Form, Modal } from 'antd';
import { useI18n } from '../i18n/I18nProvider';
import { useServerErrors } from './form-errors';

/**
 * A form in a dialog for one command: its fields as children, `submit` sends the mutation. The server's refusal
 * shows under the field it names, or above the form; the dialog closes only when the command succeeded.
 */
export function FormModal<Values extends object>({
  title,
  open,
  onClose,
  submit,
  initialValues,
  okText,
  danger,
  children,
  testId,
}: {
  title: ReactNode;
  open: boolean;
  onClose(): void;
  submit(values: Values): Promise<unknown>;
  initialValues?: Partial<Values>;
  okText?: ReactNode;
  danger?: boolean;
  children: ReactNode;
  testId?: string;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<Values>();
  const serverErrors = useServerErrors();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const finish = async (values: Values) => {
    setBusy(true);
    setError(null);
    try {
      await submit(values);
      form.resetFields();
      onClose();
    } catch (failure) {
      setError(serverErrors(form, failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title={title}
      open={open}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={okText ?? t('common.save')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, danger }}
      destroyOnHidden
      data-testid={testId}
    >
      {error && <Alert type="error" showIcon title={error} role="alert" style={{ marginBottom: 16 }} />}
      <Form<Values> form={form} layout="vertical" initialValues={initialValues} onFinish={finish}>
        {children}
      </Form>
    </Modal>
  );
}
