import { Input, type InputProps } from 'antd';
import { useI18n } from '../i18n/I18nProvider';
import { formatYuan, normaliseYuan } from './money';

/** An amount in yuan as the API gives it (`Money`, a decimal string), grouped with two decimals: ¥1,500.00. */
export function MoneyText({ value }: { value: string | null | undefined }) {
  return (
    <span style={{ fontVariantNumeric: 'tabular-nums' }}>
      {value == null ? '—' : `¥${formatYuan(value)}`}
    </span>
  );
}

/**
 * An amount in yuan with fen precision, as a form control: the value is the API's decimal string ("1500.00"),
 * normalised when the field is left; never a float. Validate with `moneyRule(t)`.
 */
export function MoneyInput({
  value,
  onChange,
  ...props
}: { value?: string | null; onChange?: (value: string | null) => void } & Omit<
  InputProps,
  'value' | 'onChange'
>) {
  const { t } = useI18n();
  return (
    <Input
      {...props}
      inputMode="decimal"
      prefix="¥"
      suffix={t('common.yuan')}
      value={value ?? ''}
      onChange={(event) => onChange?.(event.target.value === '' ? null : event.target.value)}
      onBlur={(event) => {
        const normal = normaliseYuan(event.target.value);
        if (normal !== null && normal !== value) onChange?.(normal);
        props.onBlur?.(event);
      }}
    />
  );
}

/** The form rule of a MoneyInput: an amount in yuan with at most two decimals. */
export function moneyRule(message: string) {
  return {
    validator: (_: unknown, value: string | null | undefined) =>
      value == null || value === '' || normaliseYuan(value) !== null
        ? Promise.resolve()
        : Promise.reject(new Error(message)),
  };
}
