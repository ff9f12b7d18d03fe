import { useParams } from 'react-router';
import { Card, Descriptions, Skeleton, Timeline, Typography } from 'antd';
import { useQuery } from '@apollo/client/react';
import { useI18n, shanghaiTime } from '../../i18n/I18nProvider';
import type { MessageKey } from '../../i18n/catalogue';
import { useAuth, useViewer } from '../../auth/AuthProvider';
import { reaches } from '../../auth/access';
import { MemberActions } from './MemberForms';
import { ErrorResult } from '../../shared/ErrorResult';
import { StatusTag } from '../../shared/StatusTag';
import { MemberDocument } from './documents';

const WRITERS = ['ADMIN', 'MEMBERSHIP_OFFICER'] as const;

/** 会员档案: a member's profile and the full history as a timeline. Out of reach reads as not found. */
export default function MemberPage() {
  const { memberId = '' } = useParams();
  const { t } = useI18n();
  const { branches } = useAuth();
  const viewer = useViewer();
  const { data, error, loading, refetch } = useQuery(MemberDocument, { variables: { id: memberId } });
  if (error) return <ErrorResult error={error} onRetry={() => void refetch()} />;
  if (loading && !data) return <Skeleton active />;
  const member = data?.member;
  if (!member) return <ErrorResult error={{ code: 'NOT_FOUND', message: '' }} />;
  const none = t('member.none');
  const branchName = (id: string) => branches.find((b) => b.id === id)?.name ?? '';
  return (
    <div data-testid="member">
      <Typography.Title level={3}>
        {t('member.title')} · {member.name} <StatusTag status={member.status} />
      </Typography.Title>
      <Card
        title={t('member.profile')}
        size="small"
        style={{ marginBottom: 16 }}
        extra={reaches(viewer, member.branch.id, WRITERS) ? <MemberActions member={member} /> : undefined}
      >
        <Descriptions
          size="small"
          column={{ xs: 1, md: 2, lg: 3 }}
          items={[
            { key: 'memberNumber', label: t('roster.col.memberNumber'), children: member.memberNumber },
            { key: 'staffNumber', label: t('roster.col.staffNumber'), children: member.staffNumber },
            {
              key: 'gender',
              label: t('roster.col.gender'),
              children: t(`gender.${member.gender}` as MessageKey),
            },
            { key: 'birthDate', label: t('roster.col.birthDate'), children: member.birthDate ?? none },
            {
              key: 'category',
              label: t('roster.col.category'),
              children: t(`category.${member.category}` as MessageKey),
            },
            { key: 'title', label: t('roster.col.title'), children: member.title ?? none },
            { key: 'branch', label: t('roster.col.branch'), children: member.branch.name },
            { key: 'group', label: t('roster.col.group'), children: member.group?.name ?? none },
            { key: 'joinedOn', label: t('roster.col.joinedOn'), children: member.joinedOn },
            { key: 'phone', label: t('roster.col.phone'), children: member.phone ?? none },
            { key: 'email', label: t('member.email'), children: member.email ?? none },
          ]}
        />
      </Card>
      <Card title={t('member.history')} size="small">
        <Timeline
          data-testid="member-history"
          items={member.history.map((entry, i) => ({
            key: `${entry.change}-${i}`,
            content: (
              <div data-change={entry.change}>
                <Typography.Text strong>{t(`history.${entry.change}` as MessageKey)}</Typography.Text>{' '}
                {entry.effectiveOn} · {branchName(entry.branchId)}
                <br />
                <Typography.Text type="secondary">{shanghaiTime(entry.recordedAt)}</Typography.Text>
              </div>
            ),
          }))}
        />
      </Card>
    </div>
  );
}
