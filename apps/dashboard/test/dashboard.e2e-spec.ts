import type { Browser, Page } from 'playwright-core';
import {
  graphqlData,
  openBranchThroughGateway,
  startTestPlatform,
  TEST_ADMIN,
  type TestPlatform,
} from '@unionfed/platform';
import { testInfrastructure } from '@unionfed/testing';
import {
  buildDashboard,
  launchBrowser,
  openContext,
  review,
  signInThroughPage,
  type Watched,
} from './browser';

/**
 * The dashboard in a real headless Chromium against the whole platform (every service, the gateway serving the
 * built dashboard at `/`), no mocked API. Each page is screenshotted (test/output/) and checked with axe-core.
 * Branch B's records carry canary values: any of them on a page of branch A's officer is a leak.
 */
describe('the dashboard in Chromium against the running platform', () => {
  let t: TestPlatform;
  let browser: Browser;
  let branchA: string;
  let branchB: string;
  let memberOfB: string;
  const A_MEMBERS = 23;
  const CANARY = '金丝雀';
  const officer = { username: 'cs-officer', password: '', newPassword: 'Tongxin-9527-Gonghui' };
  const watchedContexts: Watched[] = [];
  const violations: string[] = [];

  const admin = () => t.admin.headers;
  const admit = (branchId: string, staffNumber: string, name: string, gender: 'MALE' | 'FEMALE') =>
    graphqlData<{ admitMember: { id: string } }>(
      t.gatewayUrl,
      'mutation($input: AdmitMemberInput!) { admitMember(input: $input) { id } }',
      {
        input: {
          branchId,
          staffNumber,
          name,
          gender,
          category: 'TEACHER',
          birthDate: '1985-03-14',
          joinedOn: '2015-09-01',
          phone: '13800138000',
        },
      },
      admin(),
    ).then((data) => data.admitMember.id);

  const context = async (viewport?: { width: number; height: number }) => {
    const watched = await openContext(browser, t.gatewayUrl.replace(/\/graphql$/, ''), { viewport });
    watchedContexts.push(watched);
    return watched;
  };
  const check = async (page: Page, name: string) => violations.push(...(await review(page, name)));

  beforeAll(async () => {
    buildDashboard();
    t = await startTestPlatform(testInfrastructure());
    ({ branchId: branchA } = await openBranchThroughGateway(
      t.gatewayUrl,
      {
        campus: { code: 'DB', name: '本部校区' },
        code: 'DB-CS',
        name: '计算机学院分工会',
        staffHeadcount: 30,
      },
      admin(),
    ));
    const { campuses } = await graphqlData<{ campuses: { id: string }[] }>(
      t.gatewayUrl,
      '{ campuses { id } }',
      {},
      admin(),
    );
    ({ branchId: branchB } = await openBranchThroughGateway(
      t.gatewayUrl,
      { campusId: campuses[0].id, code: 'DB-MATH', name: '数学学院分工会', staffHeadcount: 10 },
      admin(),
    ));
    for (let i = 1; i <= A_MEMBERS; i++)
      await admit(
        branchA,
        `DBCS${String(i).padStart(3, '0')}`,
        `计算${i}号`,
        i % 3 === 0 ? 'FEMALE' : 'MALE',
      );
    memberOfB = await admit(branchB, 'DBMATH001', `${CANARY}甲`, 'FEMALE');
    await admit(branchB, 'DBMATH002', `${CANARY}乙`, 'MALE');
    const { createAccount } = await graphqlData<{ createAccount: { oneTimePassword: string } }>(
      t.gatewayUrl,
      'mutation($input: CreateAccountInput!) { createAccount(input: $input) { oneTimePassword } }',
      {
        input: {
          username: officer.username,
          displayName: '计算机学院会员干事',
          grants: [{ role: 'MEMBERSHIP_OFFICER', branchId: branchA }],
        },
      },
      admin(),
    );
    officer.password = createAccount.oneTimePassword;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  afterEach(() => {
    // what no page may do, whatever the test: fail axe-core's check (serious or critical), break its
    // Content-Security-Policy, or throw
    expect(violations.splice(0)).toEqual([]);
    for (const watched of watchedContexts) {
      expect(watched.cspViolations).toEqual([]);
      expect(watched.pageErrors).toEqual([]);
    }
  });

  it('a new officer signs in with the one-time password, must change it first, then sees their branch', async () => {
    const { page } = await context();
    await page.goto('/');
    await page.waitForURL('**/signin');
    await check(page, 'sign-in');
    await signInThroughPage(page, officer.username, officer.password);
    await page.waitForURL('**/change-password');
    await page.getByText('首次登录请先修改一次性密码').waitFor();
    await check(page, 'change-password');
    await page.getByLabel('当前密码').fill(officer.password);
    await page.getByLabel('新密码', { exact: true }).fill(officer.newPassword);
    await page.getByLabel('再次输入新密码').fill(officer.newPassword);
    await page.getByRole('button', { name: '修改密码' }).click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByTestId('overview').getByText('计算机学院分工会').first().waitFor();
    await page.getByTestId('active-members').getByText(String(A_MEMBERS)).waitFor();
    await page.getByTestId('chart').first().waitFor();
    await check(page, 'overview-branch');
    // the menu holds what a membership officer may open, and no administration
    await expect(page.getByRole('menuitem', { name: '花名册' }).count()).resolves.toBe(1);
    await expect(page.getByRole('menuitem', { name: '账号与角色' }).count()).resolves.toBe(0);
    // a reload keeps the session (the refresh token of this tab); signing out ends it
    await page.reload();
    await page.getByTestId('active-members').getByText(String(A_MEMBERS)).waitFor();
    await page.getByTestId('account-menu').click();
    await page.getByRole('menuitem', { name: '退出登录' }).click();
    await page.waitForURL('**/signin');
    await page.goto('/roster');
    await page.waitForURL('**/signin');
  });

  it('a wrong password is answered on the sign-in page in Chinese, and no token ever appears in a URL', async () => {
    const { page } = await context();
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    await signInThroughPage(page, officer.username, 'not-the-password-1');
    await page.getByRole('alert').getByText('用户名或密码错误').waitFor();
    await signInThroughPage(page, officer.username, officer.newPassword);
    await page.getByTestId('overview').waitFor();
    expect(urls.filter((url) => /token|eyJ/i.test(url))).toEqual([]);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toMatch(/eyJ/);
  });

  it("a branch officer sees only their branch: another branch's id in the URL shows FORBIDDEN or not found, never its data", async () => {
    const { page } = await context();
    await signInThroughPage(page, officer.username, officer.newPassword);
    await page.getByTestId('overview').waitFor();
    await page.getByRole('menuitem', { name: '花名册' }).click();
    await page.getByTestId('roster-total').getByText(`共 ${A_MEMBERS} 条`).waitFor();
    await check(page, 'roster');
    expect(await page.content()).not.toContain(CANARY);

    await page.goto(`/roster?branch=${branchB}`);
    const refusal = page.getByTestId('error-result');
    await refusal.waitFor();
    expect(await refusal.getAttribute('data-code')).toBe('FORBIDDEN');
    await page.getByText('无权访问').waitFor();
    await check(page, 'roster-forbidden');
    expect(await page.content()).not.toContain(CANARY);

    await page.goto(`/?branch=${branchB}`);
    await page.getByTestId('error-result').waitFor();
    expect(await page.getByTestId('error-result').getAttribute('data-code')).toBe('FORBIDDEN');
    expect(await page.content()).not.toContain(CANARY);

    await page.goto(`/members/${memberOfB}`);
    await page.getByTestId('error-result').waitFor();
    expect(await page.getByTestId('error-result').getAttribute('data-code')).toBe('NOT_FOUND');
    await check(page, 'member-not-found');
    expect(await page.content()).not.toContain(CANARY);
  });

  it("switching to English changes the page's text, and back", async () => {
    const { page } = await context();
    await signInThroughPage(page, TEST_ADMIN.username, TEST_ADMIN.password);
    await page.getByTestId('overview').getByText('概览').first().waitFor();
    await page.getByTestId('language-switch').getByText('English').click();
    await page.getByRole('heading', { name: /Overview/ }).waitFor();
    await expect(page.getByRole('menuitem', { name: 'Roster' }).count()).resolves.toBe(1);
    await expect(page.getByText('在册会员').count()).resolves.toBe(0);
    expect(await page.getAttribute('html', 'lang')).toBe('en-US');
    await check(page, 'overview-federation-en');
    await page.getByTestId('language-switch').getByText('简体中文').click();
    await page.getByRole('heading', { name: /概览/ }).waitFor();
  });
});
