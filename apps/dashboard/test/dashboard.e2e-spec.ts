import type { Browser, Locator, Page } from 'playwright-core';
import {
  graphqlData,
  openBranchThroughGateway,
  startTestPlatform,
  TEST_ADMIN,
  type TestPlatform,
} from '@unionfed/platform';
import { eventually, testInfrastructure } from '@unionfed/testing';
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
  /** The table's rows once they are the new page's (the old ones stay while it loads). */
  const rowCount = (n: number) =>
    eventually(async () => expect(await rows().count()).toBe(n), { timeoutMs: 15_000 });
  let rows: () => Locator;
  const check = async (page: Page, name: string) => violations.push(...(await review(page, name)));
  /** The open dialog's OK button (保存 / 确定), whatever its state. */
  const okButton = (page: Page) => page.getByRole('dialog').locator('.ant-modal-footer .ant-btn-primary');
  /**
   * Picks an option of an antd Select by its label (within a form or dialog, when given), and sees it chosen: a
   * click during the dropdown's opening animation can miss, so the pick is retried until the field shows it.
   */
  const chooseOption = async (page: Page, label: string, option: string, within?: Locator) => {
    const field = (within ?? page).getByLabel(label, { exact: true });
    const select = field.locator('xpath=ancestor::*[contains(concat(" ", @class, " "), " ant-select ")][1]');
    await eventually(
      async () => {
        if (!(await select.innerText()).includes(option)) {
          await field.click();
          await page
            .locator('.ant-select-dropdown:visible .ant-select-item-option')
            .filter({ hasText: option })
            .first()
            .click({ timeout: 5_000 });
        }
        expect(await select.innerText()).toContain(option);
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    );
  };

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
    await expect(page.getByRole('menuitem', { name: '花名册', exact: true }).count()).resolves.toBe(1);
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
    // campus SSO is not configured on this platform: the gateway says so, and the page offers no SSO button
    const sso = await page.request.get('/auth/oidc/status');
    expect(await sso.json()).toEqual({ enabled: false });
    await expect(page.getByText('使用统一身份认证登录').count()).resolves.toBe(0);
    await signInThroughPage(page, officer.username, officer.newPassword);
    await page.getByTestId('overview').waitFor();
    expect(urls.filter((url) => /token|eyJ/i.test(url))).toEqual([]);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toMatch(/eyJ/);
  });

  it("a branch officer sees only their branch: another branch's id in the URL shows FORBIDDEN or not found, never its data", async () => {
    const { page } = await context();
    await signInThroughPage(page, officer.username, officer.newPassword);
    await page.getByTestId('overview').waitFor();
    await page.getByRole('menuitem', { name: '花名册', exact: true }).click();
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

  it('the roster filters and pages on the server', async () => {
    const { page } = await context();
    await signInThroughPage(page, officer.username, officer.newPassword);
    await page.getByTestId('overview').waitFor();
    await page.goto('/roster');
    const total = page.getByTestId('roster-total');
    rows = () => page.getByTestId('roster-table').locator('tbody tr.ant-table-row');
    await total.getByText(`共 ${A_MEMBERS} 条`).waitFor();
    await rowCount(20);
    await page.getByTestId('roster-next').click();
    await page.getByTestId('roster-page').getByText('第 2 页').waitFor();
    await rowCount(A_MEMBERS - 20);
    await expect(page.getByTestId('roster-next').isDisabled()).resolves.toBe(true);
    await page.getByTestId('roster-previous').click();
    await page.getByTestId('roster-page').getByText('第 1 页').waitFor();
    await rowCount(20);

    await chooseOption(page, '性别', '女', page.getByTestId('roster-filters'));
    const women = Math.floor(A_MEMBERS / 3);
    await total.getByText(`共 ${women} 条`).waitFor();
    await rowCount(women);
    expect(page.url()).toContain('gender=FEMALE');
    // the filter is in the URL: a reload shows the same list, and a search narrows it further
    await page.reload();
    await total.getByText(`共 ${women} 条`).waitFor();
    await page.getByTestId('roster-search').locator('input').fill('计算1');
    await page.getByTestId('roster-search').locator('input').press('Enter');
    // 计算3号 … are women at every third: of 计算1号 and 计算10号–计算19号, 12, 15 and 18
    await total.getByText('共 3 条').waitFor();
    await check(page, 'roster-filtered');
  });

  it('a roster import shows the bad row of its dry run with its problem, then applies the good rows', async () => {
    const { page } = await context();
    await signInThroughPage(page, officer.username, officer.newPassword);
    await page.getByTestId('overview').waitFor();
    await page.getByRole('menuitem', { name: '花名册导入' }).click();
    await page.getByTestId('import').waitFor();
    const csv = [
      '工号,姓名,性别,出生日期,所属分工会,人员类别,入会日期',
      'DBIMP001,导入甲,女,1988-05-01,计算机学院分工会,专任教师,2016-09-01',
      'DBIMP002,导入乙,未知,1990-01-01,计算机学院分工会,专任教师,2017-09-01',
      'DBIMP003,导入丙,男,1991-02-03,计算机学院分工会,管理,2018-09-01',
    ].join('\r\n');
    await page.locator('input[type=file]').setInputFiles({
      name: '花名册.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv, 'utf8'),
    });
    await page.getByTestId('upload-dry-run').click();
    const job = page.getByTestId('import-job');
    await page.locator('[data-testid="import-job"][data-status="SUCCEEDED"]').waitFor();
    await expect(job.getByTestId('import-invalid').textContent()).resolves.toBe('1');
    const problems = page.getByTestId('import-problems');
    await problems.getByText('DBIMP002').waitFor();
    expect(await problems.textContent()).not.toContain('DBIMP001');
    expect(await problems.textContent()).toContain('性别');
    await check(page, 'import-dry-run');

    await page.getByTestId('upload-apply').click();
    await page.getByText('导入结果').waitFor();
    await page.locator('[data-testid="import-job"][data-status="SUCCEEDED"]').waitFor();
    await page.goto('/roster?q=导入');
    await page.getByTestId('roster-total').getByText('共 2 条').waitFor();
    await page.getByText('导入甲').waitFor();
    await page.getByText('导入丙').waitFor();
    await expect(page.getByText('导入乙').count()).resolves.toBe(0);
    await check(page, 'import-applied-roster');
  });

  it('an HQ admin admits a member (the server refuses a bad staff number in Chinese) and transfers them: the history shows the admission and the transfer', async () => {
    const { page } = await context();
    await signInThroughPage(page, TEST_ADMIN.username, TEST_ADMIN.password);
    await page.getByTestId('overview').waitFor();
    await page.goto(`/roster?branch=${branchA}`);
    await page.getByTestId('roster-total').waitFor();
    await page.getByTestId('admit-member').click();
    const form = page.getByRole('dialog');
    await form.getByLabel('工号').fill('DB CS 100');
    await form.getByLabel('姓名').fill('转移测试');
    await chooseOption(page, '性别', '女', form);
    await chooseOption(page, '类别', '专任教师', form);
    await check(page, 'admit-form');
    await okButton(page).click();
    await form.getByText('工号只能包含 1–32 个字母、数字或“-”').waitFor();
    await form.getByLabel('工号').fill('DBCS100');
    await okButton(page).click();
    await page.waitForURL('**/members/*');
    const history = page.getByTestId('member-history');
    await history.getByText('入会').waitFor();
    await check(page, 'member');

    await page.getByTestId('action-transfer').click();
    const transfer = page.getByRole('dialog');
    await chooseOption(page, '转入分工会', '数学学院分工会', transfer);
    await okButton(page).click();
    await history.getByText('会籍转移').waitFor();
    await expect(
      history
        .locator('[data-change]')
        .evaluateAll((entries) => entries.map((e) => e.getAttribute('data-change'))),
    ).resolves.toEqual(['JOINED', 'TRANSFER_REQUESTED', 'TRANSFERRED']);
    await page.getByTestId('member').getByText('数学学院分工会').first().waitFor();
    await check(page, 'member-transferred');
  });

  it("a branch officer's transfer waits for the receiving branch, which accepts it on the transfers page", async () => {
    const officerTab = await context();
    await signInThroughPage(officerTab.page, officer.username, officer.newPassword);
    await officerTab.page.getByTestId('overview').waitFor();
    await officerTab.page.goto('/roster?q=计算2号');
    await officerTab.page.getByRole('link', { name: '计算2号', exact: true }).click();
    await officerTab.page.getByTestId('action-transfer').click();
    await chooseOption(officerTab.page, '转入分工会', '数学学院分工会', officerTab.page.getByRole('dialog'));
    await officerTab.page.getByRole('dialog').getByLabel('原因').fill('工作调动');
    await okButton(officerTab.page).click();
    await officerTab.page.getByText('已提交转移申请，等待转入分工会确认').waitFor();
    await officerTab.page.getByTestId('member-history').getByText('申请转出').waitFor();
    // still a member of the officer's branch until the receiving branch consents
    await officerTab.page.getByTestId('member').getByText('计算机学院分工会').first().waitFor();

    const hqTab = await context();
    await signInThroughPage(hqTab.page, TEST_ADMIN.username, TEST_ADMIN.password);
    await hqTab.page.getByTestId('overview').waitFor();
    await hqTab.page.goto(`/transfers?branch=${branchB}`);
    const row = hqTab.page.getByTestId('transfers').getByRole('row', { name: /计算2号/ });
    await row.getByText('工作调动').waitFor();
    await check(hqTab.page, 'transfers');
    await row.getByRole('button', { name: /^接\s*收$/ }).click();
    await hqTab.page.getByText('已接收，会员已转入').waitFor();
    await hqTab.page.goto(`/roster?branch=${branchB}&q=计算2号`);
    await hqTab.page.getByTestId('roster-total').getByText('共 1 条').waitFor();
  });

  it('HQ sees the structure and administers accounts, API keys (each secret shown once), the audit log and dead letters', async () => {
    const { page } = await context();
    await signInThroughPage(page, TEST_ADMIN.username, TEST_ADMIN.password);
    await page.getByTestId('overview').waitFor();
    await page.getByRole('menuitem', { name: '组织架构', exact: true }).click();
    const structure = page.getByTestId('structure');
    await structure.getByText('数学学院分工会').waitFor();
    await check(page, 'structure');
    await structure
      .getByRole('row', { name: /计算机学院分工会/ })
      .getByRole('button', { name: '小组与委员会' })
      .click();
    await page.getByRole('dialog').getByText('工会小组').waitFor();
    await check(page, 'structure-branch');
    await page.keyboard.press('Escape');

    await page.getByRole('menuitem', { name: '账号与角色', exact: true }).click();
    await page.getByTestId('accounts').getByText(officer.username).waitFor();
    await page.getByTestId('create-account').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('用户名').fill('db-viewer');
    await dialog.getByLabel('姓名').fill('数据查询员');
    await chooseOption(page, '角色', '只读', dialog);
    await chooseOption(page, '范围', '计算机学院分工会', dialog);
    await okButton(page).click();
    const oneTime = page.getByTestId('one-time-password');
    await oneTime.waitFor();
    expect(await oneTime.textContent()).toMatch(/^db-viewer \/ [a-z2-9]{14}/);
    await page
      .getByTestId('accounts')
      .getByRole('row', { name: /db-viewer/ })
      .getByText('只读 · 计算机学院分工会')
      .waitFor();
    await check(page, 'accounts');

    await page.getByRole('menuitem', { name: '接口密钥', exact: true }).click();
    await page.getByTestId('api-keys').getByRole('button', { name: '新建密钥' }).click();
    await page.getByRole('dialog').getByLabel('用途').fill('年报统计');
    await okButton(page).click();
    await page.getByTestId('api-keys').getByText(/^ufk_/).waitFor();
    await page
      .getByTestId('api-keys')
      .getByRole('row', { name: /年报统计/ })
      .waitFor();
    await check(page, 'api-keys');
    // shown once: a reload lists the key by its prefix only
    await page.reload();
    await page
      .getByTestId('api-keys')
      .getByRole('row', { name: /年报统计/ })
      .waitFor();
    await expect(
      page
        .getByTestId('api-keys')
        .getByText(/^ufk_.{30,}/)
        .count(),
    ).resolves.toBe(0);

    await page.getByRole('menuitem', { name: '审计日志', exact: true }).click();
    await page.getByTestId('audit-log').getByText('ACCOUNT_CREATED').first().waitFor();
    await check(page, 'audit-log');
    await page.getByRole('menuitem', { name: '死信队列', exact: true }).click();
    await page.getByTestId('dead-letters').getByText('没有死信').waitFor();
    await check(page, 'dead-letters');
  });

  it('a branch officer has no administration: the menu has none and its URL answers FORBIDDEN', async () => {
    const { page } = await context({ width: 390, height: 844 });
    await signInThroughPage(page, officer.username, officer.newPassword);
    await page.getByTestId('overview').waitFor();
    await check(page, 'overview-phone');
    await page.goto('/admin/accounts');
    await page.getByTestId('error-result').waitFor();
    expect(await page.getByTestId('error-result').getAttribute('data-code')).toBe('FORBIDDEN');
    await expect(page.getByRole('menuitem', { name: '账号与角色', exact: true }).count()).resolves.toBe(0);
  });

  it("switching to English changes the page's text, and back", async () => {
    const { page } = await context();
    await signInThroughPage(page, TEST_ADMIN.username, TEST_ADMIN.password);
    await page.getByTestId('overview').getByText('概览').first().waitFor();
    await page.getByTestId('language-switch').getByText('English').click();
    await page.getByRole('heading', { name: /Overview/ }).waitFor();
    await expect(page.getByRole('menuitem', { name: 'Roster', exact: true }).count()).resolves.toBe(1);
    await expect(page.getByText('在册会员').count()).resolves.toBe(0);
    expect(await page.getAttribute('html', 'lang')).toBe('en-US');
    await check(page, 'overview-federation-en');
    await page.getByTestId('language-switch').getByText('简体中文').click();
    await page.getByRole('heading', { name: /概览/ }).waitFor();
  });
});
