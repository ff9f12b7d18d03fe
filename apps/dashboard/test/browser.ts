import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { repoRoot } from '@unionfed/infra';

/** Where the browser tests leave their screenshots for review (git-ignored). */
export const OUTPUT_DIR = join(repoRoot(), 'apps', 'dashboard', 'test', 'output');

/** Debian's Chromium (installed by .ci/run); CHROMIUM_PATH to use another. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The dashboard's build (dist/dashboard), which the test platform's gateway serves; skipped when unchanged. */
export function buildDashboard(): void {
  execFileSync(process.execPath, [join(repoRoot(), 'tools', 'build', 'dashboard.mjs')], { stdio: 'inherit' });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // as root (CI containers) Chromium's sandbox cannot start
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--lang=zh-CN'],
  });
}

/** What a page did wrong beyond its assertions: CSP violations and uncaught errors, collected per context. */
export interface Watched {
  context: BrowserContext;
  page: Page;
  cspViolations: string[];
  pageErrors: string[];
}

/** A fresh browser context (its own storage: a new tab of a new officer) at 1280×800, in Asia/Shanghai. */
export async function openContext(
  browser: Browser,
  baseURL: string,
  options: { viewport?: { width: number; height: number } } = {},
): Promise<Watched> {
  const context = await browser.newContext({
    baseURL,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  // a shared 2-core machine answers slowly at times: waits are bounded, but generously
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const watched: Watched = { context, page, cspViolations: [], pageErrors: [] };
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) watched.cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => watched.pageErrors.push(error.message));
  return watched;
}

/**
 * The page as it stands, checked and recorded: a screenshot under test/output/<name>.png, and axe-core's
 * accessibility check, whose serious or critical violations are answered (an empty list when there are none).
 */
export async function review(page: Page, name: string): Promise<string[]> {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  // the page's own animations (antd's motion) settle before the picture and the check
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUTPUT_DIR, `${name}.png`), fullPage: true });
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${name}: ${violation.id} (${violation.impact}) ${violation.help} — ${violation.nodes
          .slice(0, 3)
          .map((node) => node.target.join(' '))
          .join(', ')}`,
    );
}

/** Signs in on the sign-in page with a username and password (the form as a person fills it). */
export async function signInThroughPage(page: Page, username: string, password: string): Promise<void> {
  await page.goto('/signin');
  await page.getByLabel(/用户名|Username/).fill(username);
  await page.getByLabel(/^(密码|Password)$/).fill(password);
  await page.getByRole('button', { name: /登\s*录|Sign in/ }).click();
}
