import { DatePicker } from 'antd';
import dayjs from 'dayjs';

/** A range of days as the API takes them ('YYYY-MM-DD' strings, either end open), picked in the catalogue's locale. */
export function DateRangeField({
  value,
  onChange,
  id,
  ariaLabel,
}: {
  value?: [string | null, string | null];
  onChange?: (value: [string | null, string | null]) => void;
  id?: string;
  ariaLabel?: string;
}) {
  const [from, to] = value ?? [null, null];
  return (
    <DatePicker.RangePicker
      id={id}
      aria-label={ariaLabel}
      allowEmpty={[true, true]}
      value={[from ? dayjs(from) : null, to ? dayjs(to) : null]}
      onChange={(range) =>
        onChange?.([range?.[0]?.format('YYYY-MM-DD') ?? null, range?.[1]?.format('YYYY-MM-DD') ?? null])
      }
    />
  );
}
