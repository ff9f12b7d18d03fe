import { useState } from 'react';
import { useNavigate } from 'react-router';
import { App, Button, DatePicker, Form, Input, Select, Space } from 'antd';
import { useMutation } from '@apollo/client/react';
import type { Dayjs } from 'dayjs';
import { useI18n } from '../../i18n/I18nProvider';
import type { MessageKey } from '../../i18n/catalogue';
import { useAuth } from '../../auth/AuthProvider';
import { FormModal } from '../../shared/FormModal';
import { BranchPicker } from '../../shared/BranchPicker';
import type { MemberQuery, MemberStatusChangeInput } from '../../gql/graphql';
import {
  AdmitMemberDocument,
  CorrectMemberProfileDocument,
  RecordMemberDeathDocument,
  RequestMemberTransferDocument,
  RetireMemberDocument,
  WithdrawMemberDocument,
} from './documents';

type Member = NonNullable<MemberQuery['member']>;
const GENDERS = ['MALE', 'FEMALE'] as const;
const CATEGORIES = ['TEACHER', 'MANAGEMENT', 'SUPPORT', 'CONTRACT'] as const;

const day = (value: Dayjs | null | undefined) => (value ? value.format('YYYY-MM-DD') : undefined);
/** What a text field holds: its trimmed text, or null when left empty (a correction then clears it). */
const text = (value: string | null | undefined) => (value?.trim() ? value.trim() : null);

interface ProfileValues {
  staffNumber: string;
  name: string;
  gender: (typeof GENDERS)[number];
  category: (typeof CATEGORIES)[number];
  birthDate?: Dayjs | null;
  title?: string | null;
  phone?: string | null;
  email?: string | null;
  joinedOn?: Dayjs | null;
  reason?: string;
}

/** The profile's fields, as admission asks them and a correction changes them. */
function ProfileFields({ admission }: { admission?: boolean }) {
  const { t } = useI18n();
  const required = (label: MessageKey) => [
    { required: true, message: t('member.field.required', { field: t(label) }) },
  ];
  const options = (values: readonly string[], prefix: string) =>
    values.map((value) => ({ value, label: t(`${prefix}.${value}` as MessageKey) }));
  return (
    <>
      <Form.Item
        name="staffNumber"
        label={t('roster.col.staffNumber')}
        rules={required('roster.col.staffNumber')}
      >
        <Input />
      </Form.Item>
      <Form.Item name="name" label={t('roster.col.name')} rules={required('roster.col.name')}>
        <Input />
      </Form.Item>
      <Form.Item name="gender" label={t('roster.col.gender')} rules={required('roster.col.gender')}>
        <Select options={options(GENDERS, 'gender')} />
      </Form.Item>
      <Form.Item name="category" label={t('roster.col.category')} rules={required('roster.col.category')}>
        <Select options={options(CATEGORIES, 'category')} />
      </Form.Item>
      <Form.Item name="birthDate" label={t('roster.col.birthDate')}>
        <DatePicker style={{ width: '100%' }} />
      </Form.Item>
      <Form.Item name="title" label={t('roster.col.title')}>
        <Input />
      </Form.Item>
      <Form.Item name="phone" label={t('roster.col.phone')}>
        <Input />
      </Form.Item>
      <Form.Item name="email" label={t('member.email')}>
        <Input />
      </Form.Item>
      {admission ? (
        <Form.Item name="joinedOn" label={t('roster.col.joinedOn')}>
          <DatePicker style={{ width: '100%' }} />
        </Form.Item>
      ) : (
        <Form.Item name="reason" label={t('member.field.reason')}>
          <Input />
        </Form.Item>
      )}
    </>
  );
}

/** 入会登记 into the given branch (HQ without a branch chosen picks one), then the new member's record. */
export function AdmitMemberButton({ branchId }: { branchId: string | null }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [admit] = useMutation(AdmitMemberDocument);
  return (
    <>
      <Button type="primary" onClick={() => setOpen(true)} data-testid="admit-member">
        {t('member.actions.admit')}
      </Button>
      <FormModal<ProfileValues & { branchId?: string | null }>
        title={t('member.actions.admit')}
        open={open}
        onClose={() => setOpen(false)}
        initialValues={{ branchId }}
        testId="admit-form"
        submit={async (values) => {
          const result = await admit({
            variables: {
              input: {
                branchId: values.branchId ?? branchId ?? '',
                staffNumber: values.staffNumber.trim(),
                name: values.name.trim(),
                gender: values.gender,
                category: values.category,
                birthDate: day(values.birthDate),
                title: text(values.title),
                phone: text(values.phone),
                email: text(values.email),
                joinedOn: day(values.joinedOn),
              },
            },
            refetchQueries: ['Roster', 'Overview'],
          });
          void message.success(t('member.actions.done'));
          if (result.data) navigate(`/members/${result.data.admitMember.id}`);
        }}
      >
        {!branchId && (
          <Form.Item
            name="branchId"
            label={t('roster.col.branch')}
            rules={[
              { required: true, message: t('member.field.required', { field: t('roster.col.branch') }) },
            ]}
          >
            <BranchPickerField />
          </Form.Item>
        )}
        <ProfileFields admission />
      </FormModal>
    </>
  );
}

/** BranchPicker as a form control (value / onChange from Form.Item). */
function BranchPickerField({
  value,
  onChange,
  exclude,
  id,
}: {
  value?: string | null;
  onChange?: (id: string | null) => void;
  exclude?: string;
  id?: string;
}) {
  const { branches } = useAuth();
  return (
    <BranchPicker
      id={id}
      value={value ?? null}
      onChange={(next) => onChange?.(next)}
      branchIds={branches.filter((b) => b.status === 'ACTIVE' && b.id !== exclude).map((b) => b.id)}
    />
  );
}

type Action = 'correct' | 'transfer' | 'retire' | 'withdraw' | 'death';

/** The commands on one member's record: correct, transfer, retire, withdraw, record a death. */
export function MemberActions({ member }: { member: Member }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [open, setOpen] = useState<Action | null>(null);
  const refetchQueries = ['Member', 'Roster', 'Overview'];
  const [correct] = useMutation(CorrectMemberProfileDocument);
  const [transfer] = useMutation(RequestMemberTransferDocument);
  const [retire] = useMutation(RetireMemberDocument);
  const [withdraw] = useMutation(WithdrawMemberDocument);
  const [recordDeath] = useMutation(RecordMemberDeathDocument);
  const close = () => setOpen(null);
  const active = member.status === 'ACTIVE';
  type StatusChange = (options: {
    variables: { input: MemberStatusChangeInput };
    refetchQueries: string[];
    awaitRefetchQueries: boolean;
  }) => Promise<unknown>;
  const statusChange =
    (run: StatusChange) => async (values: { effectiveOn?: Dayjs | null; reason?: string }) => {
      await run({
        variables: {
          input: { memberId: member.id, effectiveOn: day(values.effectiveOn), reason: text(values.reason) },
        },
        refetchQueries,
        awaitRefetchQueries: true,
      });
      void message.success(t('member.actions.done'));
    };
  const statusFields = (
    <>
      <Form.Item name="effectiveOn" label={t('member.field.effectiveOn')}>
        <DatePicker style={{ width: '100%' }} />
      </Form.Item>
      <Form.Item name="reason" label={t('member.field.reason')}>
        <Input />
      </Form.Item>
    </>
  );
  const button = (action: Action, label: MessageKey, enabled: boolean, danger?: boolean) => (
    <Button
      key={action}
      onClick={() => setOpen(action)}
      disabled={!enabled}
      danger={danger}
      data-testid={`action-${action}`}
    >
      {t(label)}
    </Button>
  );
  return (
    <>
      <Space wrap>
        {button('correct', 'member.actions.correct', member.status !== 'DECEASED')}
        {button('transfer', 'member.actions.transfer', active)}
        {button('retire', 'member.actions.retire', active)}
        {button('withdraw', 'member.actions.withdraw', active || member.status === 'RETIRED', true)}
        {button('death', 'member.actions.death', member.status !== 'DECEASED', true)}
      </Space>
      <FormModal<ProfileValues>
        title={t('member.actions.correct')}
        open={open === 'correct'}
        onClose={close}
        testId="correct-form"
        initialValues={{
          staffNumber: member.staffNumber,
          name: member.name,
          gender: member.gender,
          category: member.category,
          title: member.title,
          phone: member.phone,
          email: member.email,
        }}
        submit={async (values) => {
          await correct({
            variables: {
              input: {
                memberId: member.id,
                staffNumber: values.staffNumber.trim(),
                name: values.name.trim(),
                gender: values.gender,
                category: values.category,
                ...(values.birthDate ? { birthDate: day(values.birthDate) } : {}),
                title: text(values.title),
                phone: text(values.phone),
                email: text(values.email),
                reason: text(values.reason),
              },
            },
            refetchQueries,
            awaitRefetchQueries: true,
          });
          void message.success(t('member.actions.done'));
        }}
      >
        <ProfileFields />
      </FormModal>
      <FormModal<{ toBranchId: string; effectiveOn?: Dayjs | null; reason?: string }>
        title={t('member.actions.transfer')}
        open={open === 'transfer'}
        onClose={close}
        testId="transfer-form"
        submit={async (values) => {
          const result = await transfer({
            variables: {
              input: {
                memberId: member.id,
                toBranchId: values.toBranchId,
                effectiveOn: day(values.effectiveOn),
                reason: text(values.reason),
              },
            },
            refetchQueries,
            awaitRefetchQueries: true,
          });
          void message.success(
            t(
              result.data?.requestMemberTransfer.status === 'PENDING'
                ? 'member.actions.transferRequested'
                : 'member.actions.transferred',
            ),
          );
        }}
      >
        <Form.Item
          name="toBranchId"
          label={t('member.field.toBranch')}
          rules={[
            { required: true, message: t('member.field.required', { field: t('member.field.toBranch') }) },
          ]}
        >
          <BranchPickerField exclude={member.branch.id} />
        </Form.Item>
        {statusFields}
      </FormModal>
      {(
        [
          ['retire', 'member.actions.retire', (o: Parameters<StatusChange>[0]) => retire(o), false],
          ['withdraw', 'member.actions.withdraw', (o: Parameters<StatusChange>[0]) => withdraw(o), true],
          ['death', 'member.actions.death', (o: Parameters<StatusChange>[0]) => recordDeath(o), true],
        ] as const
      ).map(([action, label, run, danger]) => (
        <FormModal<{ effectiveOn?: Dayjs | null; reason?: string }>
          key={action}
          title={t(label)}
          open={open === action}
          onClose={close}
          danger={danger}
          okText={t('common.confirm')}
          testId={`${action}-form`}
          submit={statusChange(run)}
        >
          {statusFields}
        </FormModal>
      ))}
    </>
  );
}
