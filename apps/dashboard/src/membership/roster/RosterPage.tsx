import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Button, Card, Checkbox, Flex, Form, Input, Popover, Select, Space, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useQuery } from '@apollo/client/react';
import { useI18n } from '../../i18n/I18nProvider';
import type { MessageKey } from '../../i18n/catalogue';
import { useBranchScope } from '../../app/branch-scope';
import { ErrorResult } from '../../shared/ErrorResult';
import { StatusTag } from '../../shared/StatusTag';
import { ExportButton } from '../../shared/ExportButton';
import { DateRangeField } from '../../shared/DateRangeField';
import type { RosterFilter, RosterQuery } from '../../gql/graphql';
import { RosterDocument, UnionGroupsDocument } from './documents';
import { AdmitMemberButton } from '../member/MemberForms';
import { useViewer } from '../../auth/AuthProvider';
import { hasRole, reaches } from '../../auth/access';

const READERS = ['ADMIN', 'MEMBERSHIP_OFFICER', 'VIEWER'] as const;
type Row = RosterQuery['members']['edges'][number]['node'];

const STATUSES = ['ACTIVE', 'RETIRED', 'TRANSFERRED_OUT', 'WITHDRAWN', 'DECEASED'] as const;
const CATEGORIES = ['TEACHER', 'MANAGEMENT', 'SUPPORT', 'CONTRACT'] as const;
const GENDERS = ['MALE', 'FEMALE'] as const;
const AGE_BANDS = ['UNDER_35', 'FROM_35_TO_44', 'FROM_45_TO_54', 'FROM_55'] as const;
const PAGE_SIZES = [20, 50, 100];

const ALL_COLUMNS = [
  'memberNumber',
  'staffNumber',
  'name',
  'gender',
  'category',
  'title',
  'branch',
  'group',
  'joinedOn',
  'birthDate',
  'phone',
  'status',
] as const;
type ColumnKey = (typeof ALL_COLUMNS)[number];
const DEFAULT_COLUMNS: ColumnKey[] = [
  'staffNumber',
  'name',
  'gender',
  'category',
  'branch',
  'group',
  'joinedOn',
  'status',
];
const COLUMNS_KEY = 'unionfed.roster.columns';

/** The filter is the URL's query (so a link or a reload shows the same list); every filter is applied on the server. */
function filterFromParams(params: URLSearchParams, branchId: string | null): RosterFilter {
  const value = (name: string) => params.get(name) || undefined;
  const month = value('birthMonth');
  return {
    branchId,
    search: value('q'),
    status: value('status') as RosterFilter['status'],
    category: value('category') as RosterFilter['category'],
    gender: value('gender') as RosterFilter['gender'],
    ageBand: value('ageBand') as RosterFilter['ageBand'],
    joinedFrom: value('joinedFrom'),
    joinedTo: value('joinedTo'),
    birthMonth: month ? Number(month) : undefined,
    groupId: value('group'),
  };
}

function storedColumns(): ColumnKey[] {
  try {
    const stored = JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? 'null') as ColumnKey[] | null;
    if (Array.isArray(stored) && stored.every((key) => ALL_COLUMNS.includes(key))) return stored;
  } catch {
    // the default columns
  }
  return DEFAULT_COLUMNS;
}

/** 花名册: the roster within the caller's reach, filtered and paged on the server (cursor pagination). */
export default function RosterPage() {
  const { t } = useI18n();
  const { branchId } = useBranchScope(READERS);
  const viewer = useViewer();
  const canAdmit = branchId
    ? reaches(viewer, branchId, ['ADMIN', 'MEMBERSHIP_OFFICER'])
    : hasRole(viewer, ['ADMIN', 'MEMBERSHIP_OFFICER']);
  const [params, setParams] = useSearchParams();
  const filter = useMemo(() => filterFromParams(params, branchId), [params, branchId]);
  const [pageSize, setPageSize] = useState(20);
  // the cursors of the pages seen so far: page n starts after cursors[n - 1]
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState(0);
  const [columns, setColumns] = useState<ColumnKey[]>(storedColumns);
  const filterKey = JSON.stringify(filter);
  const [seenFilter, setSeenFilter] = useState(filterKey);
  if (seenFilter !== filterKey) {
    // a new filter starts on its first page
    setSeenFilter(filterKey);
    setCursors([null]);
    setPage(0);
  }
  const { data, previousData, loading, error, refetch } = useQuery(RosterDocument, {
    variables: { filter, first: pageSize, after: cursors[page] },
    fetchPolicy: 'cache-and-network',
  });
  const groups = useQuery(UnionGroupsDocument, { variables: { branchId: branchId ?? '' }, skip: !branchId });

  const setParam = (name: string, value: string | undefined | null) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (value) next.set(name, value);
      else next.delete(name);
      return next;
    });

  const shown = data ?? previousData;
  if (error) return <ErrorResult error={error} onRetry={() => void refetch()} />;
  const connection = shown?.members;

  const label = (key: ColumnKey) => t(`roster.col.${key}` as MessageKey);
  const render: Record<ColumnKey, ColumnsType<Row>[number]> = {
    memberNumber: { dataIndex: 'memberNumber' },
    staffNumber: { dataIndex: 'staffNumber' },
    name: { key: 'name', render: (_, row) => <Link to={`/members/${row.id}`}>{row.name}</Link> },
    gender: { key: 'gender', render: (_, row) => t(`gender.${row.gender}` as MessageKey) },
    category: { key: 'category', render: (_, row) => t(`category.${row.category}` as MessageKey) },
    title: { dataIndex: 'title' },
    branch: { key: 'branch', render: (_, row) => row.branch.name },
    group: { key: 'group', render: (_, row) => row.group?.name ?? '' },
    joinedOn: { dataIndex: 'joinedOn' },
    birthDate: { dataIndex: 'birthDate' },
    phone: { dataIndex: 'phone' },
    status: { key: 'status', render: (_, row) => <StatusTag status={row.status} /> },
  };
  const tableColumns = ALL_COLUMNS.filter((key) => columns.includes(key)).map((key) => ({
    ...render[key],
    key,
    title: label(key),
  }));
  const options = (values: readonly string[], prefix: string) =>
    values.map((value) => ({ value, label: t(`${prefix}.${value}` as MessageKey) }));

  return (
    <div data-testid="roster">
      <Typography.Title level={3}>{t('roster.title')}</Typography.Title>
      <Card size="small" style={{ marginBottom: 16 }} data-testid="roster-filters">
        <Form layout="inline" style={{ rowGap: 8 }}>
          <Form.Item label={t('common.search')}>
            <Input.Search
              allowClear
              aria-label={t('roster.search')}
              placeholder={t('roster.search')}
              defaultValue={params.get('q') ?? ''}
              onSearch={(value) => setParam('q', value.trim())}
              data-testid="roster-search"
            />
          </Form.Item>
          {(
            [
              ['status', STATUSES, 'status'],
              ['category', CATEGORIES, 'category'],
              ['gender', GENDERS, 'gender'],
              ['ageBand', AGE_BANDS, 'ageBand'],
            ] as const
          ).map(([name, values, prefix]) => (
            <Form.Item key={name} label={t(`roster.filter.${name}` as MessageKey)}>
              <Select
                allowClear
                aria-label={t(`roster.filter.${name}` as MessageKey)}
                data-testid={`filter-${name}`}
                style={{ width: 140 }}
                value={params.get(name) ?? undefined}
                onChange={(value?: string) => setParam(name, value)}
                options={options(values, prefix)}
                placeholder={t('common.all')}
              />
            </Form.Item>
          ))}
          <Form.Item label={t('roster.filter.birthMonth')}>
            <Select
              allowClear
              aria-label={t('roster.filter.birthMonth')}
              style={{ width: 100 }}
              value={params.get('birthMonth') ?? undefined}
              onChange={(value?: string) => setParam('birthMonth', value)}
              options={Array.from({ length: 12 }, (_, i) => ({
                value: String(i + 1),
                label: t('roster.month', { month: i + 1 }),
              }))}
              placeholder={t('common.all')}
            />
          </Form.Item>
          {branchId && (
            <Form.Item label={t('roster.filter.group')}>
              <Select
                allowClear
                aria-label={t('roster.filter.group')}
                style={{ width: 180 }}
                value={params.get('group') ?? undefined}
                onChange={(value?: string) => setParam('group', value)}
                options={(groups.data?.unionGroups ?? []).map((g) => ({ value: g.id, label: g.name }))}
                placeholder={t('common.all')}
              />
            </Form.Item>
          )}
          <Form.Item label={t('roster.filter.joinedOn')}>
            <DateRangeField
              ariaLabel={t('roster.filter.joinedOn')}
              value={[params.get('joinedFrom'), params.get('joinedTo')]}
              onChange={([from, to]) =>
                setParams((current) => {
                  const next = new URLSearchParams(current);
                  if (from) next.set('joinedFrom', from);
                  else next.delete('joinedFrom');
                  if (to) next.set('joinedTo', to);
                  else next.delete('joinedTo');
                  return next;
                })
              }
            />
          </Form.Item>
        </Form>
      </Card>
      <Flex justify="space-between" align="center" style={{ marginBottom: 8 }} wrap gap={8}>
        <Typography.Text data-testid="roster-total">
          {t('common.total', { count: connection?.totalCount ?? 0 })}
        </Typography.Text>
        <Space wrap>
          <Popover
            trigger="click"
            content={
              <Checkbox.Group
                style={{ display: 'grid', gap: 4 }}
                value={columns}
                onChange={(next) => {
                  const chosen = next as ColumnKey[];
                  setColumns(chosen);
                  localStorage.setItem(COLUMNS_KEY, JSON.stringify(chosen));
                }}
                options={ALL_COLUMNS.map((key) => ({ value: key, label: label(key) }))}
              />
            }
          >
            <Button data-testid="roster-columns">{t('common.columns')}</Button>
          </Popover>
          <ExportButton path="/downloads/roster" params={filter} fileName="roster" />
          {canAdmit && <AdmitMemberButton branchId={branchId} />}
        </Space>
      </Flex>
      <Table<Row>
        rowKey="id"
        size="middle"
        loading={loading}
        columns={tableColumns}
        dataSource={connection?.edges.map((edge) => edge.node) ?? []}
        pagination={false}
        scroll={{ x: 'max-content' }}
        data-testid="roster-table"
      />
      <Flex justify="flex-end" align="center" gap={8} style={{ marginTop: 12 }}>
        <Typography.Text data-testid="roster-page">{t('roster.pageOf', { page: page + 1 })}</Typography.Text>
        <Button
          disabled={page === 0 || loading}
          onClick={() => setPage(page - 1)}
          data-testid="roster-previous"
        >
          {t('common.previous')}
        </Button>
        <Button
          disabled={!connection?.pageInfo.hasNextPage || loading}
          onClick={() => {
            const cursor = connection?.pageInfo.endCursor ?? null;
            setCursors((seen) => [...seen.slice(0, page + 1), cursor]);
            setPage(page + 1);
          }}
          data-testid="roster-next"
        >
          {t('common.next')}
        </Button>
        <Select
          aria-label={t('common.total', { count: pageSize })}
          value={pageSize}
          style={{ width: 90 }}
          onChange={(size: number) => {
            setPageSize(size);
            setCursors([null]);
            setPage(0);
          }}
          options={PAGE_SIZES.map((size) => ({ value: size, label: `${size}` }))}
        />
      </Flex>
    </div>
  );
}
