import { useState } from 'react';
import {
  App,
  Button,
  Card,
  DatePicker,
  Drawer,
  Form,
  Input,
  InputNumber,
  Space,
  Table,
  Typography,
} from 'antd';
import { useMutation, useQuery } from '@apollo/client/react';
import dayjs, { type Dayjs } from 'dayjs';
import { useI18n, TIME_ZONE } from '../../i18n/I18nProvider';
import type { MessageKey } from '../../i18n/catalogue';
import { useViewer } from '../../auth/AuthProvider';
import { isHq, reaches } from '../../auth/access';
import { ErrorResult } from '../../shared/ErrorResult';
import { StatusTag } from '../../shared/StatusTag';
import { FormModal } from '../../shared/FormModal';
import { BranchPicker } from '../../shared/BranchPicker';
import type { StructureQuery } from '../../gql/graphql';
import {
  BranchStructureDocument,
  DissolveBranchDocument,
  MergeBranchesDocument,
  SetStaffHeadcountDocument,
  StructureDocument,
} from './documents';

type Branch = StructureQuery['branches'][number];
const WRITERS = ['ADMIN', 'MEMBERSHIP_OFFICER'] as const;
const day = (value: Dayjs | null | undefined) => (value ? value.format('YYYY-MM-DD') : undefined);

/** A branch's 工会小组 (with their 组长) and its committee as it stands today. */
function BranchDetail({ branchId }: { branchId: string }) {
  const { t } = useI18n();
  const { data, error } = useQuery(BranchStructureDocument, { variables: { branchId } });
  if (error) return <ErrorResult error={error} />;
  const branch = data?.branch;
  if (!branch) return null;
  return (
    <Space orientation="vertical" style={{ width: '100%' }}>
      <Card size="small" title={t('structure.groups')}>
        <Table
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={branch.unionGroups}
          columns={[
            { key: 'name', title: t('structure.group'), dataIndex: 'name' },
            { key: 'leader', title: t('structure.leader'), render: (_, g) => g.leader?.name ?? '—' },
            { key: 'members', title: t('structure.groupMembers'), dataIndex: 'memberCount', align: 'right' },
            { key: 'formedOn', title: t('structure.formedOn'), dataIndex: 'formedOn' },
          ]}
        />
      </Card>
      <Card size="small" title={t('structure.committee')}>
        <Table
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={branch.committee}
          columns={[
            {
              key: 'role',
              title: t('structure.role'),
              render: (_, a) => t(`committeeRole.${a.role}` as MessageKey),
            },
            { key: 'member', title: t('structure.member'), dataIndex: 'memberName' },
            {
              key: 'term',
              title: t('structure.term'),
              render: (_, a) => `${a.startsOn} – ${a.endsOn ?? ''}`,
            },
          ]}
        />
      </Card>
    </Space>
  );
}

/** 组织架构: campuses and branch unions with headcount and join rate; HQ merges and dissolves; a branch's groups. */
export default function StructurePage() {
  const { t } = useI18n();
  const viewer = useViewer();
  const { message } = App.useApp();
  const { data, error, refetch } = useQuery(StructureDocument);
  const [detail, setDetail] = useState<Branch | null>(null);
  const [acting, setActing] = useState<{ action: 'headcount' | 'merge' | 'dissolve'; branch: Branch } | null>(
    null,
  );
  const [setHeadcount] = useMutation(SetStaffHeadcountDocument);
  const [merge] = useMutation(MergeBranchesDocument);
  const [dissolve] = useMutation(DissolveBranchDocument);
  if (error) return <ErrorResult error={error} onRetry={() => void refetch()} />;
  const hq = isHq(viewer, WRITERS);
  const close = () => setActing(null);
  const refetchQueries = ['Structure'];
  const required = (label: MessageKey) => [
    { required: true, message: t('structure.required', { field: t(label) }) },
  ];
  return (
    <div data-testid="structure">
      <Typography.Title level={3}>{t('structure.title')}</Typography.Title>
      <Table<Branch>
        rowKey="id"
        size="middle"
        loading={!data}
        pagination={false}
        scroll={{ x: 'max-content' }}
        dataSource={data?.branches ?? []}
        columns={[
          { key: 'campus', title: t('structure.campus'), render: (_, b) => b.campus.name },
          { key: 'name', title: t('structure.branch'), dataIndex: 'name' },
          { key: 'code', title: t('structure.code'), dataIndex: 'code' },
          { key: 'kind', title: t('structure.kind'), render: (_, b) => t(`kind.${b.kind}` as MessageKey) },
          {
            key: 'status',
            title: t('structure.status'),
            render: (_, b) => <StatusTag status={b.status} prefix="branchStatus" />,
          },
          { key: 'headcount', title: t('structure.headcount'), dataIndex: 'staffHeadcount', align: 'right' },
          { key: 'members', title: t('structure.members'), dataIndex: 'activeMembers', align: 'right' },
          {
            key: 'rate',
            title: t('structure.joinRate'),
            align: 'right',
            render: (_, b) => (b.joinRateDetail ? `${b.joinRateDetail.percent}%` : '—'),
          },
          {
            key: 'actions',
            title: t('common.actions'),
            render: (_, b) => (
              <Space wrap>
                {reaches(viewer, b.id, ['ADMIN', 'MEMBERSHIP_OFFICER', 'VIEWER']) && (
                  <Button size="small" onClick={() => setDetail(b)}>
                    {t('structure.openDetail')}
                  </Button>
                )}
                {b.status === 'ACTIVE' && reaches(viewer, b.id, WRITERS) && (
                  <Button size="small" onClick={() => setActing({ action: 'headcount', branch: b })}>
                    {t('structure.setHeadcount')}
                  </Button>
                )}
                {b.status === 'ACTIVE' && hq && (
                  <>
                    <Button size="small" onClick={() => setActing({ action: 'merge', branch: b })}>
                      {t('structure.merge')}
                    </Button>
                    <Button size="small" danger onClick={() => setActing({ action: 'dissolve', branch: b })}>
                      {t('structure.dissolve')}
                    </Button>
                  </>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Drawer open={detail !== null} onClose={() => setDetail(null)} title={detail?.name} size="large">
        {detail && <BranchDetail branchId={detail.id} />}
      </Drawer>
      {acting && (
        <>
          <FormModal<{ year: number; staffHeadcount: number }>
            title={`${t('structure.setHeadcount')} · ${acting.branch.name}`}
            open={acting.action === 'headcount'}
            onClose={close}
            initialValues={{
              year: dayjs().tz(TIME_ZONE).year(),
              staffHeadcount: acting.branch.staffHeadcount,
            }}
            submit={async (values) => {
              await setHeadcount({
                variables: { input: { branchId: acting.branch.id, ...values } },
                refetchQueries,
              });
              void message.success(t('structure.done'));
            }}
          >
            <Form.Item name="year" label={t('structure.year')} rules={required('structure.year')}>
              <InputNumber style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item
              name="staffHeadcount"
              label={t('structure.headcount')}
              rules={required('structure.headcount')}
            >
              <InputNumber style={{ width: '100%' }} />
            </Form.Item>
          </FormModal>
          <FormModal<{ targetBranchId: string; effectiveOn?: Dayjs | null }>
            title={`${t('structure.merge')} · ${acting.branch.name}`}
            open={acting.action === 'merge'}
            onClose={close}
            danger
            submit={async (values) => {
              const result = await merge({
                variables: {
                  input: {
                    sourceBranchId: acting.branch.id,
                    targetBranchId: values.targetBranchId,
                    effectiveOn: day(values.effectiveOn),
                  },
                },
                refetchQueries,
              });
              void message.success(
                t('structure.merged', { count: result.data?.mergeBranches.movedMembers ?? 0 }),
              );
            }}
          >
            <Form.Item
              name="targetBranchId"
              label={t('structure.mergeInto')}
              rules={required('structure.mergeInto')}
            >
              <BranchField exclude={acting.branch.id} branches={data?.branches ?? []} />
            </Form.Item>
            <Form.Item name="effectiveOn" label={t('structure.effectiveOn')}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          </FormModal>
          <FormModal<{ effectiveOn?: Dayjs | null; reason?: string }>
            title={`${t('structure.dissolve')} · ${acting.branch.name}`}
            open={acting.action === 'dissolve'}
            onClose={close}
            danger
            okText={t('common.confirm')}
            submit={async (values) => {
              await dissolve({
                variables: {
                  input: {
                    branchId: acting.branch.id,
                    effectiveOn: day(values.effectiveOn),
                    reason: values.reason?.trim() || null,
                  },
                },
                refetchQueries,
              });
              void message.success(t('structure.done'));
            }}
          >
            <Form.Item name="effectiveOn" label={t('structure.effectiveOn')}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
            <Form.Item name="reason" label={t('structure.reason')}>
              <Input />
            </Form.Item>
          </FormModal>
        </>
      )}
    </div>
  );
}

function BranchField({
  value,
  onChange,
  exclude,
  branches,
  id,
}: {
  value?: string | null;
  onChange?: (id: string | null) => void;
  exclude: string;
  branches: readonly Branch[];
  id?: string;
}) {
  return (
    <BranchPicker
      id={id}
      value={value ?? null}
      onChange={(next) => onChange?.(next)}
      branchIds={branches.filter((b) => b.status === 'ACTIVE' && b.id !== exclude).map((b) => b.id)}
    />
  );
}
