import { useMemo } from 'react';
import { Card, Col, Row, Skeleton, Statistic, Tooltip, Typography } from 'antd';
import { useQuery } from '@apollo/client/react';
import dayjs from 'dayjs';
import { useI18n, TIME_ZONE } from '../../i18n/I18nProvider';
import type { MessageKey } from '../../i18n/catalogue';
import { useBranchScope } from '../../app/branch-scope';
import { ErrorResult } from '../../shared/ErrorResult';
import { Chart } from '../../shared/Chart';
import { NumbersTable } from '../../shared/NumbersTable';
import { useAuth } from '../../auth/AuthProvider';
import { BranchComparisonDocument, OverviewDocument } from './documents';

const READERS = ['ADMIN', 'MEMBERSHIP_OFFICER', 'VIEWER'] as const;

function Composition({
  title,
  counts,
  prefix,
}: {
  title: MessageKey;
  counts: readonly { key: string; count: number }[];
  prefix: string;
}) {
  const { t } = useI18n();
  const rows = useMemo(
    () => counts.map((c) => ({ key: c.key, name: t(`${prefix}.${c.key}` as MessageKey), value: c.count })),
    [counts, prefix, t],
  );
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'item' },
      series: [{ type: 'pie', radius: ['40%', '70%'], data: rows, label: { formatter: '{b}' } }],
    }),
    [rows],
  );
  return (
    <Card title={t(title)} size="small">
      <Row gutter={8} align="middle">
        <Col xs={24} md={14}>
          <Chart option={option} height={200} label={t(title)} />
        </Col>
        <Col xs={24} md={10}>
          <NumbersTable
            headers={[t(title), t('overview.activeMembers')]}
            rows={rows.map((row) => ({ key: row.key, cells: [row.name, row.value] }))}
          />
        </Col>
      </Row>
    </Card>
  );
}

function BranchComparison() {
  const { t } = useI18n();
  const { data, error } = useQuery(BranchComparisonDocument);
  const branches = (data?.branches ?? []).filter((branch) => branch.status === 'ACTIVE');
  const option = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 140, right: 24, top: 16, bottom: 24 },
      xAxis: { type: 'value' },
      yAxis: { type: 'category', data: branches.map((b) => b.name), inverse: true },
      series: [
        { type: 'bar', name: t('overview.activeMembers'), data: branches.map((b) => b.activeMembers) },
      ],
    }),
    [branches, t],
  );
  if (error) return <ErrorResult error={error} />;
  return (
    <Card title={t('overview.compareBranches')} size="small">
      <Row gutter={16}>
        <Col xs={24} lg={14}>
          <Chart
            option={option}
            height={Math.max(200, branches.length * 28)}
            label={t('overview.compareBranches')}
          />
        </Col>
        <Col xs={24} lg={10}>
          <NumbersTable
            headers={[t('roster.col.branch'), t('overview.activeMembers'), t('overview.joinRate')]}
            rows={branches.map((b) => ({
              key: b.id,
              cells: [
                b.name,
                b.activeMembers,
                b.joinRateDetail ? `${b.joinRateDetail.percent}%` : t('overview.notCounted'),
              ],
            }))}
          />
        </Col>
      </Row>
    </Card>
  );
}

/** 概览: members, join rate, composition and birthdays of one branch or the federation; HQ compares branches. */
export default function OverviewPage() {
  const { t } = useI18n();
  const { branches } = useAuth();
  const { branchId, hq } = useBranchScope(READERS);
  const month = dayjs().tz(TIME_ZONE).month() + 1;
  const { data, error, refetch } = useQuery(OverviewDocument, { variables: { branchId, birthMonth: month } });
  if (error) return <ErrorResult error={error} onRetry={() => void refetch()} />;
  const stats = data?.membershipStatistics;
  const scopeName = branchId ? branches.find((b) => b.id === branchId)?.name : t('overview.federation');
  const rate = stats?.joinRateDetail;
  return (
    <div data-testid="overview">
      <Typography.Title level={3}>
        {t('overview.title')} · {scopeName}
      </Typography.Title>
      {!stats ? (
        <Skeleton active />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={12} md={6}>
            <Card size="small">
              <Statistic
                title={t('overview.activeMembers')}
                value={stats.activeMembers}
                data-testid="active-members"
              />
            </Card>
          </Col>
          <Col xs={12} md={6}>
            <Card size="small">
              <Tooltip title={rate?.exceedsHeadcount ? t('overview.joinRateStale') : undefined}>
                <Statistic
                  title={t('overview.joinRate')}
                  value={rate ? rate.percent : t('overview.notCounted')}
                  suffix={rate ? `% (${rate.members}/${rate.staffHeadcount})` : undefined}
                />
              </Tooltip>
            </Card>
          </Col>
          <Col xs={12} md={6}>
            <Card size="small">
              <Statistic title={t('overview.retirees')} value={stats.retirees} />
            </Card>
          </Col>
          <Col xs={12} md={6}>
            <Card size="small">
              <Statistic
                title={t('overview.birthdaysThisMonth')}
                value={data.birthdaysThisMonth.totalCount}
              />
            </Card>
          </Col>
          <Col xs={24} lg={8}>
            <Composition title="overview.byGender" counts={stats.byGender} prefix="gender" />
          </Col>
          <Col xs={24} lg={8}>
            <Composition title="overview.byCategory" counts={stats.byCategory} prefix="category" />
          </Col>
          <Col xs={24} lg={8}>
            <Composition title="overview.byAgeBand" counts={stats.byAgeBand} prefix="ageBand" />
          </Col>
          {hq && !branchId && (
            <Col span={24}>
              <BranchComparison />
            </Col>
          )}
          <Col span={24}>
            <Card title={t('overview.upcomingBirthdays')} size="small">
              {data.upcomingBirthdays.length === 0 ? (
                <Typography.Text type="secondary">{t('overview.noBirthdays')}</Typography.Text>
              ) : (
                <NumbersTable
                  headers={[
                    t('roster.col.name'),
                    t('roster.col.birthDate'),
                    t('overview.age'),
                    t('roster.col.branch'),
                  ]}
                  rows={data.upcomingBirthdays.map((birthday) => ({
                    key: birthday.member.id,
                    cells: [
                      birthday.member.name,
                      birthday.date,
                      t('overview.turning', { age: birthday.turning }),
                      birthday.member.branch.name,
                    ],
                  }))}
                />
              )}
            </Card>
          </Col>
        </Row>
      )}
    </div>
  );
}
