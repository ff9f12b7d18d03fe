import { Select } from 'antd';
import { useAuth } from '../auth/AuthProvider';
import { useI18n } from '../i18n/I18nProvider';

/**
 * Choose a branch union (分工会) from those given, or — with `allowAll` (HQ) — the whole federation (null).
 * Branch names come from the viewer's query (branches are known to every signed-in caller).
 */
export function BranchPicker({
  value,
  onChange,
  branchIds,
  allowAll,
  id,
}: {
  value: string | null;
  onChange(id: string | null): void;
  /** the branches to offer; every branch when omitted */
  branchIds?: readonly string[];
  allowAll?: boolean;
  id?: string;
}) {
  const { t } = useI18n();
  const { branches } = useAuth();
  const offered = branches.filter((branch) => !branchIds || branchIds.includes(branch.id));
  const ALL = '__all__';
  return (
    <Select
      id={id}
      // inside a form its label names it (through the id); on its own it names itself
      aria-label={id ? undefined : t('branchPicker.label')}
      data-testid="branch-picker"
      style={{ minWidth: 200 }}
      showSearch={{ optionFilterProp: 'label' }}
      placeholder={t('branchPicker.placeholder')}
      value={value ?? (allowAll ? ALL : undefined)}
      onChange={(next: string) => onChange(next === ALL ? null : next)}
      options={[
        ...(allowAll ? [{ value: ALL, label: t('branchPicker.all') }] : []),
        ...offered.map((branch) => ({ value: branch.id, label: branch.name })),
      ]}
    />
  );
}
