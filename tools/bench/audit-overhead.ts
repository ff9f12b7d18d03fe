/**
 * Admitting members (入会) through the membership subgraph with the unit of work writing an audit row per
 * admission, against the same path with the audit trail switched off (UNIONFED_AUDIT=off, refused under
 * NODE_ENV=production), same run.
 *
 *   audit     the subgraph as it runs: `admitMember` over HTTP, @access enforced, one unit of work per admission —
 *             the member, its history entry, MemberJoined in the outbox and the audit row (after: the member,
 *             personal data redacted) in one transaction.
 *   no-audit  the same subgraph built with UNIONFED_AUDIT=off: everything but the audit row.
 *
 * Both subgraphs run in this process (Nest apps on free ports), each on its own freshly migrated database, with
 * authentication off (UNIONFED_AUTH=off: every request is an HQ admin) so the difference is the audit row alone.
 * N concurrent closed-loop clients (one keep-alive connection each) send admissions with unique staff numbers
 * for a fixed duration after an unreported warm-up; the modes alternate ABBA over R rounds (audit,no-audit /
 * no-audit,audit / …) to cancel drift. At the end each database is checked: one audit row per admission in one,
 * none in the other.
 *
 * Env: BENCH_CLIENTS (16), BENCH_ROUNDS (4), BENCH_DURATION_S (15), BENCH_WARMUP_S (3).
 * Goal: the audit trail costs ≤ 15 % of the admissions' throughput (loss = 1 − audit/no-audit, median of rounds).
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { subgraphModule } from '@unionfed/graphql-kit';
import { MESSAGING_MIGRATIONS, Outbox } from '@unionfed/messaging';
import { createDataSource, migrate } from '@unionfed/persistence';
import { AUDIT_SWITCH_VARIABLE } from '@unionfed/audit';
import { AUTH_SWITCH_VARIABLE } from '@unionfed/auth';
import { MEMBER_PROVIDERS, MEMBERSHIP_SUBGRAPH } from '../../apps/membership/src/membership.providers';
import { MembershipCommands } from '../../apps/membership/src/application/membership.commands';
import { MEMBERSHIP_ENTITIES } from '../../apps/membership/src/infrastructure/entities';
import { MEMBERSHIP_MIGRATIONS } from '../../apps/membership/src/infrastructure/migrations';
import {
  count,
  envInt,
  fmtNumber,
  freshDatabase,
  keepAliveGraphql,
  median,
  printMachineInfo,
  printTable,
  runBench,
  summary,
  verdict,
  type BenchContext,
} from './lib';

const GOAL_LOSS = 0.15;
type Mode = 'audit' | 'no-audit';

const ADMIT = `mutation BenchAdmit($input: AdmitMemberInput!) { admitMember(input: $input) { id } }`;

@Module({})
class BenchMembershipModule {}

interface Subgraph {
  mode: Mode;
  app: INestApplication;
  url: string;
  dataSource: DataSource;
  branchId: string;
}

async function startSubgraph(ctx: BenchContext, mode: Mode): Promise<Subgraph> {
  const database = await freshDatabase(ctx, mode.replace('-', '_'));
  const dataSource = createDataSource({
    url: database.url,
    entities: MEMBERSHIP_ENTITIES,
    migrations: [...MESSAGING_MIGRATIONS, ...MEMBERSHIP_MIGRATIONS],
    applicationName: `bench-audit-${mode}`,
    poolSize: 20,
  });
  await migrate(dataSource);
  ctx.defer(() => dataSource.destroy());
  // the switch is read when the unit of work is built: only this app's
  if (mode === 'no-audit') process.env[AUDIT_SWITCH_VARIABLE] = 'off';
  try {
    const app = await NestFactory.create(
      {
        module: BenchMembershipModule,
        // the roster files are not served here: no HTTP routes (they would be checked for their controller)
        imports: [subgraphModule({ ...MEMBERSHIP_SUBGRAPH, httpRoutes: [] })],
        providers: [
          { provide: DataSource, useValue: dataSource },
          { provide: Outbox, useValue: new Outbox('/unionfed/membership') },
          ...MEMBER_PROVIDERS,
        ],
      },
      { logger: ['error'] },
    );
    await app.listen(0, '127.0.0.1');
    ctx.defer(() => app.close());
    const commands = app.get(MembershipCommands);
    const campus = await commands.openCampus({ code: 'MAIN', name: '本部校区' });
    const branch = await commands.openBranch({
      campusId: campus.id,
      code: 'CS',
      name: '计算机学院分工会',
      kind: 'COLLEGE',
      staffHeadcount: 100000,
    });
    const url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}/graphql`;
    return { mode, app, url, dataSource, branchId: branch.id };
  } finally {
    delete process.env[AUDIT_SWITCH_VARIABLE];
  }
}

/** Closed-loop clients admitting members for `ms`; answers the admissions made. */
async function drive(subgraph: Subgraph, clients: number, ms: number, next: () => number): Promise<number> {
  const http = keepAliveGraphql<{ admitMember: { id: string } }>(subgraph.url, clients);
  const until = performance.now() + ms;
  let done = 0;
  const client = async () => {
    while (performance.now() < until) {
      const n = next();
      await http.post(
        JSON.stringify({
          query: ADMIT,
          variables: {
            input: {
              branchId: subgraph.branchId,
              staffNumber: `B${n}`,
              name: `会员${n}`,
              gender: n % 2 ? 'MALE' : 'FEMALE',
              category: 'TEACHER',
              phone: '13800000000',
              birthDate: '1980-05-01',
              joinedOn: '2020-09-01',
            },
          },
        }),
        '',
      );
      done++;
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, client));
  } finally {
    http.close();
  }
  return done;
}

runBench('Audit trail overhead: admitMember through the membership subgraph', async (ctx) => {
  const clients = envInt('BENCH_CLIENTS', 16);
  const rounds = envInt('BENCH_ROUNDS', 4);
  const durationMs = envInt('BENCH_DURATION_S', 15) * 1000;
  const warmupMs = envInt('BENCH_WARMUP_S', 3) * 1000;
  process.env[AUTH_SWITCH_VARIABLE] = 'off';
  await printMachineInfo(ctx, [
    ['clients', String(clients)],
    ['rounds × duration', `${rounds} × ${durationMs / 1000} s (warm-up ${warmupMs / 1000} s each mode)`],
  ]);
  const subgraphs: Record<Mode, Subgraph> = {
    audit: await startSubgraph(ctx, 'audit'),
    'no-audit': await startSubgraph(ctx, 'no-audit'),
  };
  let staff = 0;
  const next = () => ++staff;
  for (const mode of ['audit', 'no-audit'] as const) await drive(subgraphs[mode], clients, warmupMs, next);

  const results: { round: number; mode: Mode; perSecond: number }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: Mode[] = round % 2 ? ['audit', 'no-audit'] : ['no-audit', 'audit'];
    for (const mode of order) {
      const started = performance.now();
      const admitted = await drive(subgraphs[mode], clients, durationMs, next);
      const perSecond = admitted / ((performance.now() - started) / 1000);
      results.push({ round, mode, perSecond });
      console.log(`round ${round} ${mode.padEnd(8)} ${fmtNumber(perSecond)} admissions/s`);
    }
  }

  const losses = Array.from({ length: rounds }, (_, i) => {
    const of = (mode: Mode) => results.find((r) => r.round === i + 1 && r.mode === mode)!.perSecond;
    return 1 - of('audit') / of('no-audit');
  });
  console.log('');
  printTable(
    ['round', 'audit /s', 'no-audit /s', 'loss'],
    losses.map((loss, i) => [
      String(i + 1),
      results.find((r) => r.round === i + 1 && r.mode === 'audit')!.perSecond,
      results.find((r) => r.round === i + 1 && r.mode === 'no-audit')!.perSecond,
      `${(loss * 100).toFixed(1)} %`,
    ]),
  );
  const perMode = (mode: Mode) => summary(results.filter((r) => r.mode === mode).map((r) => r.perSecond));
  for (const mode of ['audit', 'no-audit'] as const) {
    const s = perMode(mode);
    console.log(
      `${mode}: min ${fmtNumber(s.min)} / median ${fmtNumber(s.median)} / max ${fmtNumber(s.max)} admissions/s`,
    );
  }

  // what each path wrote: an audit row per admission (and per opening) with the trail on, none with it off
  const members = (mode: Mode) => count(subgraphs[mode].dataSource, `SELECT count(*) AS n FROM member`);
  const audits = (mode: Mode) => count(subgraphs[mode].dataSource, `SELECT count(*) AS n FROM audit_log`);
  const check = {
    audit: { members: await members('audit'), audits: await audits('audit') },
    'no-audit': { members: await members('no-audit'), audits: await audits('no-audit') },
  };
  console.log(
    `audit rows: ${check.audit.audits} for ${check.audit.members} members (+2 openings) with the trail on, ` +
      `${check['no-audit'].audits} for ${check['no-audit'].members} with it off`,
  );
  if (check.audit.audits !== check.audit.members + 2 || check['no-audit'].audits !== 0) {
    throw new Error('the audit rows do not match the admissions');
  }
  const loss = median(losses);
  console.log(
    `\n${verdict(loss <= GOAL_LOSS, `audit trail costs ${(loss * 100).toFixed(1)} % of the throughput (median of ${rounds} rounds; goal ≤ ${GOAL_LOSS * 100} %)`)}`,
  );
});
