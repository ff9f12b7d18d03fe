/**
 * The dashboard's speed (apps/dashboard), in Debian's Chromium (playwright-core, headless) against membership and
 * the gateway serving the built dashboard, over a roster of N members seeded by an import job:
 *
 * - **Initial JavaScript** (gzip) of the sign-in route (a fresh tab opening /signin, until the form shows) and of
 *   the overview route (a signed-in tab opening /, until its figures show): every script the page fetched, sized
 *   as gzip of the built file. ECharts, fetched when the charts draw, is reported on its own line.
 * - **Sign-in → overview**: from the click on 登录 to the overview showing the federation's active members, in a
 *   fresh browser context each time (BENCH_SIGNINS times): p50 / p95.
 * - **Roster page change**: the federation's roster (all N members) as HQ sees it, 下一页 clicked BENCH_PAGES times
 *   (cursor pagination, 20 per page): from the click to the new page's rows in the table: p50 / p95.
 *
 * Env: BENCH_MEMBERS (100000), BENCH_BRANCHES (50), BENCH_SIGNINS (20), BENCH_PAGES (30), CHROMIUM_PATH.
 * Goals: initial JS ≤ 350 KB gzip per route; sign-in → overview p95 ≤ 1.5 s; roster page change p95 ≤ 300 ms.
 * Run: `npm run bench:dashboard` (builds the services and the dashboard first).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { databaseUrlFor, repoRoot } from '@unionfed/infra';
import {
  databaseNameOf,
  graphqlData,
  Platform,
  preparePlatform,
  signIn,
  type PlatformOptions,
} from '@unionfed/platform';
import {
  benchProfile,
  envInt,
  fmtNumber,
  freePortOffset,
  percentile,
  printMachineInfo,
  printTable,
  runBench,
  sorted,
  verdict,
} from './lib';
import { generateRoster } from './roster-data';
import { dropDatabases, settle, waitForImport } from './roster-seed';

const ADMIN = { username: 'admin', password: 'Bench-Password-2026' };
const RATE_LIMIT = '1000000/1000000';
const GOAL_INITIAL_KB = 350;
const GOAL_SIGN_IN_MS = 1500;
const GOAL_PAGE_MS = 300;

const members = envInt('BENCH_MEMBERS', 100_000);
const branchCount = envInt('BENCH_BRANCHES', 50);
const signIns = envInt('BENCH_SIGNINS', 20);
const pages = envInt('BENCH_PAGES', 30);
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const assetsDir = join(repoRoot(), 'dist', 'dashboard', 'assets');

/** gzip size of a built asset, by its URL's file name */
function gzipBytes(url: string): number {
  const name = new URL(url).pathname.replace(/^\/assets\//, '');
  return gzipSync(readFileSync(join(assetsDir, name)), { level: 9 }).length;
}

/** The scripts a page fetches from now on (the built assets), in order. */
function scriptsOf(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => {
    if (request.resourceType() === 'script' && new URL(request.url()).pathname.startsWith('/assets/'))
      urls.push(request.url());
  });
  return urls;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number) => `${Math.round(value)} ms`;

async function signInOnPage(page: Page): Promise<void> {
  await page.getByLabel('用户名').fill(ADMIN.username);
  await page.getByLabel('密码', { exact: true }).fill(ADMIN.password);
}

runBench('Dashboard: initial JavaScript, sign-in to overview, roster page change (Chromium)', async (ctx) => {
  await printMachineInfo(ctx, [
    ['roster', `${fmtNumber(members)} members across ${branchCount} branches (an import job)`],
    ['browser', `${chromiumPath}, headless, 1280×800, a fresh context per sign-in`],
    ['runs', `${signIns} sign-ins, ${pages} roster page changes`],
  ]);
  const suffix = `_${ctx.unique('dashboard')}`;
  ctx.defer(() => dropDatabases(ctx.infra.databaseUrl, suffix));
  const options: PlatformOptions = {
    adminDatabaseUrl: ctx.infra.databaseUrl,
    kafkaBrokers: ctx.infra.kafkaBrokers,
    databaseSuffix: suffix,
    logDir: join(benchProfile().stateDir, 'logs', `dashboard${suffix}`),
    portOffset: await freePortOffset(),
    env: {
      UNIONFED_ADMIN_USERNAME: ADMIN.username,
      UNIONFED_ADMIN_PASSWORD: ADMIN.password,
      UNIONFED_RATE_LIMIT: RATE_LIMIT,
      UNIONFED_ANONYMOUS_RATE_LIMIT: RATE_LIMIT,
    },
  };
  await preparePlatform(options);
  // what the measured pages use: membership and the gateway (identity in process, serving the dashboard)
  const platform = new Platform(options);
  ctx.defer(() => platform.stopAll());
  await platform.start('membership');
  await platform.start('gateway');
  const origin = new URL(platform.gatewayUrl).origin;
  const admin = await signIn(platform.gatewayUrl, ADMIN.username, ADMIN.password);

  const roster = generateRoster(members, branchCount);
  const { openCampus } = await graphqlData<{ openCampus: { id: string } }>(
    platform.gatewayUrl,
    'mutation($input: OpenCampusInput!) { openCampus(input: $input) { id } }',
    { input: { code: 'MAIN', name: '本部校区' } },
    admin.headers,
  );
  for (const branch of roster.branches)
    await graphqlData(
      platform.gatewayUrl,
      'mutation($input: OpenBranchInput!) { openBranch(input: $input) { id } }',
      { input: { campusId: openCampus.id, ...branch, kind: 'COLLEGE', staffHeadcount: 2000 } },
      admin.headers,
    );
  const membershipBase = platform.service('membership').baseUrl;
  const upload = await fetch(`${membershipBase}/roster/imports?mode=apply&onInvalid=abort`, {
    method: 'POST',
    headers: { ...admin.headers, 'content-type': 'text/csv' },
    body: roster.csv,
  });
  const { jobId } = (await upload.json()) as { jobId?: string };
  if (upload.status !== 202 || !jobId) throw new Error(`the upload was refused: ${upload.status}`);
  const job = await waitForImport(`${membershipBase}/graphql`, admin.headers, jobId);
  if (job.status !== 'SUCCEEDED') {
    const { rosterImport } = await graphqlData<{
      rosterImport: { failure: { code: string; messageEn: string } | null };
    }>(
      `${membershipBase}/graphql`,
      'query($id: ID!) { rosterImport(id: $id) { failure { code messageEn } } }',
      { id: jobId },
      admin.headers,
    );
    console.log(`the seed import ended ${job.status}: ${JSON.stringify(rosterImport.failure)}`);
  }
  if (job.created !== members)
    throw new Error(`the seed import admitted ${job.created} of ${members} members`);
  await settle(databaseUrlFor(ctx.infra.databaseUrl, databaseNameOf('membership', suffix)!));
  console.log(`seeded ${fmtNumber(members)} members; dashboard at ${origin}/`);

  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  ctx.defer(() => browser.close());
  const newPage = async () => {
    const context = await browser.newContext({
      baseURL: origin,
      viewport: { width: 1280, height: 800 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    return { context, page: await context.newPage() };
  };

  // ---- initial JavaScript of the sign-in and overview routes
  const first = await newPage();
  const signInScripts = scriptsOf(first.page);
  await first.page.goto('/signin');
  await first.page.getByLabel('用户名').waitFor();
  const signInJs = [...signInScripts];
  await signInOnPage(first.page);
  await first.page.getByRole('button', { name: /登\s*录/ }).click();
  await first.page.getByTestId('active-members').waitFor();
  // a signed-in tab opening the overview afresh (its session from this tab's storage)
  const overviewScripts = scriptsOf(first.page);
  await first.page.reload();
  await first.page.getByTestId('active-members').waitFor();
  const overviewJs = [...overviewScripts];
  await first.page.getByTestId('chart').first().waitFor();
  const chartJs = overviewScripts.filter((url) => !overviewJs.includes(url));
  const sum = (urls: string[]) => urls.reduce((total, url) => total + gzipBytes(url), 0);
  const signInBytes = sum(signInJs);
  const overviewBytes = sum(overviewJs);
  await first.context.close();

  // ---- sign-in → overview rendered with data
  const signInMs: number[] = [];
  for (let i = 0; i < signIns; i++) {
    const { context, page } = await newPage();
    await page.goto('/signin');
    await signInOnPage(page);
    const started = performance.now();
    await page.getByRole('button', { name: /登\s*录/ }).click();
    // the figures render only with the answer (a skeleton before)
    await page.getByTestId('active-members').waitFor();
    signInMs.push(performance.now() - started);
    await context.close();
  }

  const p = (values: number[], q: number) => percentile(sorted(values), q);
  console.log(
    `initial JS: sign-in ${kb(signInBytes)}, overview ${kb(overviewBytes)}, charts ${kb(sum(chartJs))}; ` +
      `sign-in → overview p50 ${ms(p(signInMs, 50))}, p95 ${ms(p(signInMs, 95))}`,
  );

  // ---- roster page changes over the whole federation
  const { context, page } = await newPage();
  await page.goto('/signin');
  await signInOnPage(page);
  await page.getByRole('button', { name: /登\s*录/ }).click();
  await page.getByTestId('active-members').waitFor();
  await page.goto('/roster');
  const firstRow = page.getByTestId('roster-table').locator('tbody tr.ant-table-row').first();
  const refusal = page.getByTestId('error-result');
  await Promise.race([firstRow.waitFor({ timeout: 120_000 }), refusal.waitFor({ timeout: 120_000 })]);
  if (await refusal.isVisible())
    throw new Error(
      `the roster answered ${await refusal.getAttribute('data-code')}: ${await refusal.innerText()}`,
    );
  const pageMs: number[] = [];
  for (let i = 0; i < pages; i++) {
    const before = await firstRow.getAttribute('data-row-key');
    const started = performance.now();
    await page.getByTestId('roster-next').click();
    // (a page function as text: this file is compiled without the DOM's types)
    await page.waitForFunction(
      `document.querySelector('[data-testid="roster-table"] tbody tr.ant-table-row')?.getAttribute('data-row-key') !== ${JSON.stringify(before)}`,
      undefined,
      { polling: 'raf' },
    );
    pageMs.push(performance.now() - started);
  }
  await context.close();

  printTable(
    ['what', 'figure', 'goal', ''],
    [
      [
        'sign-in route, initial JS (gzip)',
        kb(signInBytes),
        `≤ ${GOAL_INITIAL_KB} KB`,
        verdict(signInBytes <= GOAL_INITIAL_KB * 1024, ''),
      ],
      [
        'overview route, initial JS (gzip)',
        kb(overviewBytes),
        `≤ ${GOAL_INITIAL_KB} KB`,
        verdict(overviewBytes <= GOAL_INITIAL_KB * 1024, ''),
      ],
      ['  then the charts (ECharts, gzip)', kb(sum(chartJs)), 'not in the first load', ''],
      ['sign-in → overview p50', ms(p(signInMs, 50)), '', ''],
      [
        'sign-in → overview p95',
        ms(p(signInMs, 95)),
        `≤ ${ms(GOAL_SIGN_IN_MS)}`,
        verdict(p(signInMs, 95) <= GOAL_SIGN_IN_MS, ''),
      ],
      ['roster page change p50', ms(p(pageMs, 50)), '', ''],
      [
        'roster page change p95',
        ms(p(pageMs, 95)),
        `≤ ${ms(GOAL_PAGE_MS)}`,
        verdict(p(pageMs, 95) <= GOAL_PAGE_MS, ''),
      ],
    ],
  );
  console.log(
    `scripts: sign-in ${signInJs.length} (${signInJs.map((u) => new URL(u).pathname.split('/').pop()).join(', ')}); ` +
      `overview ${overviewJs.length}; charts ${chartJs.length}`,
  );
});
