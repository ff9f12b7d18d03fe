import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dashboardMiddleware } from './dashboard';

describe('the dashboard served by the gateway at /', () => {
  let dir: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(
      join(dir, 'index.html'),
      '<meta name="csp-nonce" content="__CSP_NONCE__"><script type="module" src="/assets/index-1.js"></script>',
    );
    writeFileSync(join(dir, 'assets', 'index-1.js'), 'console.log(1)');
    const serve = dashboardMiddleware(dir);
    // what the gateway's own routes would answer
    server = createServer((req, res) => serve(req, res, () => res.writeHead(418).end('gateway route')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const page = (path: string) => fetch(`${base}${path}`, { headers: { accept: 'text/html,*/*' } });

  it('answers a page the browser navigates to with the app, a fresh CSP nonce in the policy and the page, never cached', async () => {
    const first = await page('/roster?branch=x');
    const second = await page('/members/1');
    expect(first.status).toBe(200);
    const policy = first.headers.get('content-security-policy')!;
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain("'unsafe-eval'");
    expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    const nonce = policy.match(/'nonce-([^']+)'/)![1];
    expect(await first.text()).toContain(`content="${nonce}"`);
    expect(second.headers.get('content-security-policy')).not.toContain(nonce);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('x-frame-options')).toBe('DENY');
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    expect(first.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('serves the hashed assets for good, and nothing outside the build', async () => {
    const asset = await fetch(`${base}/assets/index-1.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('text/javascript');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(418);
    expect((await fetch(`${base}/assets/..%2Findex.html`)).status).toBe(418);
    // a path the browser normalises to /etc/passwd is a page of the app, not a file
    expect(await (await page('/assets/../../etc/passwd')).text()).toContain('/assets/index-1.js');
  });

  it('leaves the API, the probes, sign-in and the file routes to the gateway, even for a browser', async () => {
    for (const path of [
      '/graphql',
      '/health/ready',
      '/metrics',
      '/.well-known/jwks.json',
      '/auth/oidc/status',
      '/downloads/roster',
      '/uploads/roster',
      '/member-accounts/sheet',
    ])
      expect([path, (await page(path)).status]).toEqual([path, 418]);
    expect((await fetch(`${base}/`, { method: 'POST', headers: { accept: 'text/html' } })).status).toBe(418);
    // not a browser navigation: not the app
    expect((await fetch(`${base}/roster`, { headers: { accept: 'application/json' } })).status).toBe(418);
  });
});
