import 'reflect-metadata';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { graphqlData, graphqlRequest, queryDatabase, signIn, type SignedIn } from '@unionfed/platform';
import { createTestDatabase, testInfrastructure } from '@unionfed/testing';
import { GatewayModule, limits } from '../src/gateway.module';

const PROVIDER_SCRIPT = join(__dirname, '..', '..', '..', 'tools', 'oidc', 'dev-provider.mjs');
const CLIENT_ID = 'unionfed-gateway-test';
const CLIENT_SECRET = randomBytes(24).toString('base64url');
const ADMIN_PASSWORD = 'Xiaogonghui-2026-sso';

/** The campus identity provider's people (sub → claims); the dev login form signs in as the typed sub. */
const CAMPUS_USERS = {
  'u-1001': {
    email: 'Zhang.Wei@Campus.Example.EDU',
    email_verified: true,
    preferred_username: 'zw1001',
    name: '张伟',
  },
  'u-1002': { email: 'lina@mail.example', email_verified: false, preferred_username: 'lina', name: '李娜' },
  'u-1003': {
    email: 'wang.fang@campus.example.edu',
    email_verified: false,
    preferred_username: 'wf1003',
    name: '王芳',
  },
  'u-1004': {
    email: 'visitor@campus.example.edu',
    email_verified: true,
    preferred_username: 'visitor',
    name: '访客',
  },
  'u-1005': {
    email: 'zhao.lei@campus.example.edu',
    email_verified: true,
    preferred_username: 'zl1005',
    name: '赵磊',
  },
};

interface ProviderProcess {
  issuer: string;
  stop(): Promise<void>;
}

/** The real oidc-provider (ESM-only) in a child process, on a free port, registered for one redirect URI. */
async function startProvider(redirectUri: string): Promise<ProviderProcess> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [PROVIDER_SCRIPT, '--exit-with-stdin'],
    {
      env: {
        ...process.env,
        OIDC_DEV_PORT: '0',
        OIDC_DEV_CLIENT_ID: CLIENT_ID,
        OIDC_DEV_CLIENT_SECRET: CLIENT_SECRET,
        OIDC_DEV_REDIRECT_URIS: redirectUri,
        OIDC_DEV_USERS: JSON.stringify(CAMPUS_USERS),
      },
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const issuer = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`the OIDC provider did not start: ${stderr}`)), 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { issuer: string }).issuer);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the OIDC provider exited (${code}): ${stderr}`));
    });
  });
  return {
    issuer,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const OIDC_VARIABLES = [
  'UNIONFED_OIDC_ISSUER',
  'UNIONFED_OIDC_CLIENT_ID',
  'UNIONFED_OIDC_CLIENT_SECRET',
  'UNIONFED_OIDC_REDIRECT_URI',
];

/**
 * The gateway's Nest application in this process, as main.ts starts it, with the given environment (and the test
 * broker: the gateway consumes membership's events — its consumers are not started here, its producer is).
 */
async function startGateway(
  given: Record<string, string>,
  port = 0,
): Promise<{ app: INestApplication; baseUrl: string }> {
  const env = { KAFKA_BROKERS: testInfrastructure().kafkaBrokers.join(','), ...given };
  const saved = Object.fromEntries([...OIDC_VARIABLES, ...Object.keys(env)].map((k) => [k, process.env[k]]));
  for (const name of OIDC_VARIABLES) delete process.env[name];
  Object.assign(process.env, env);
  try {
    const app = await NestFactory.create(GatewayModule, { logger: ['error'], abortOnError: false });
    limits.configureHttp(app);
    await app.listen(port, '127.0.0.1');
    const { port: listening } = app.getHttpServer().address() as { port: number };
    return { app, baseUrl: `http://127.0.0.1:${listening}` };
  } finally {
    for (const [name, value] of Object.entries(saved))
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
  }
}

/** A browser: follows nothing by itself, keeps cookies per host and path as browsers do (ports aside). */
class Browser {
  private readonly jar = new Map<string, { host: string; path: string; name: string; value: string }>();

  async get(url: string | URL, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(new URL(url), { method: 'GET', headers });
  }

  async submit(url: URL, form: Record<string, string>): Promise<Response> {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  cookie(name: string): string | undefined {
    return [...this.jar.values()].find((c) => c.name === name)?.value;
  }

  private async request(
    url: URL,
    init: RequestInit & { headers: Record<string, string> },
  ): Promise<Response> {
    const cookies = [...this.jar.values()]
      .filter((c) => c.host === url.hostname && url.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`);
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(cookies.length ? { cookie: cookies.join('; ') } : {}), ...init.headers },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf('='));
      const value = pair.slice(pair.indexOf('=') + 1);
      const attribute = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const path = attribute('path') ?? '/';
      const key = `${url.hostname}|${path}|${name}`;
      const expires = attribute('expires');
      const gone =
        attribute('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
      if (gone) this.jar.delete(key);
      else this.jar.set(key, { host: url.hostname, path, name, value });
    }
    return response;
  }
}

interface TokensJson {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

interface ErrorJson {
  statusCode: number;
  error: string;
  reason: string;
  message: string;
}

describe('campus SSO with OpenID Connect against a real provider (oidc-provider in its own process)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let provider: ProviderProcess;
  let gateway: { app: INestApplication; baseUrl: string };
  let admin: SignedIn;
  let callbackBase: string;
  const accountIds: Record<string, string> = {};
  const gql = (query: string, headers: Record<string, string> = {}) =>
    graphqlRequest(`${gateway.baseUrl}/graphql`, query, {}, headers);

  /** The browser goes to the gateway's login route; the gateway answers with a redirect to the provider. */
  async function startSignIn(browser: Browser, returnTo?: string): Promise<URL> {
    const query = returnTo === undefined ? '' : `?return_to=${encodeURIComponent(returnTo)}`;
    const response = await browser.get(`${gateway.baseUrl}/auth/oidc/login${query}`);
    expect(response.status).toBe(302);
    return new URL(response.headers.get('location')!);
  }

  /**
   * At the provider, as a person does: follows its redirects, signs in on its login form as `sub` (any password)
   * and agrees on its consent page (or cancels), until it sends the browser back to the gateway; returns that
   * callback URL.
   */
  async function atProvider(
    browser: Browser,
    authorizationUrl: URL,
    sub: string,
    { cancel = false } = {},
  ): Promise<URL> {
    let url = authorizationUrl;
    for (let step = 0; step < 20; step++) {
      if (url.href.startsWith(callbackBase)) return url;
      let response = await browser.get(url);
      if (response.status === 200) {
        const page = await response.text();
        const cancelLink = page.match(/<a href="([^"]+)">\[ Cancel \]<\/a>/)?.[1];
        if (cancel && cancelLink) {
          response = await browser.get(new URL(cancelLink.replace(/&amp;/g, '&'), url));
          url = new URL(response.headers.get('location')!, url);
          continue;
        }
        const action = page.match(/<form[^>]*action="([^"]+)"/)?.[1]?.replace(/&amp;/g, '&');
        const prompt = page.match(/name="prompt" value="([a-z]+)"/)?.[1];
        if (!action || !prompt) throw new Error(`unexpected provider page: ${page.slice(0, 300)}`);
        response = await browser.submit(
          new URL(action, url),
          prompt === 'login' ? { prompt, login: sub, password: 'any-password-1' } : { prompt },
        );
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location)
        throw new Error(`the provider answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
      url = new URL(location, url);
    }
    throw new Error('the provider never sent the browser back to the gateway');
  }

  /** The whole sign-in in a browser of its own: gateway → provider → gateway callback; returns the answer. */
  async function signInAtCampus(sub: string, browser = new Browser()): Promise<Response> {
    const callback = await atProvider(browser, await startSignIn(browser), sub);
    return browser.get(callback);
  }

  const me = async (accessToken: string) =>
    (
      await graphqlData<{ me: { id: string; name: string; grants: { role: string }[] } }>(
        `${gateway.baseUrl}/graphql`,
        '{ me { id name grants { role } } }',
        {},
        { authorization: `Bearer ${accessToken}` },
      )
    ).me;

  const auditRows = (where: string, params: unknown[] = []) =>
    queryDatabase<{
      action: string;
      outcome: string;
      actor_id: string | null;
      actor_name: string | null;
      entity_id: string | null;
      details: Record<string, unknown>;
    }>(
      database.url,
      `SELECT action, outcome, nullif(actor_id, '') AS actor_id, nullif(actor_name, '') AS actor_name, entity_id, details
         FROM audit_log WHERE ${where} ORDER BY id`,
      params,
    );

  /** An account as HQ admins create them, with its one-time password changed (as its owner does at first). */
  async function existingAccount(username: string): Promise<string> {
    const { createAccount } = await graphqlData<{
      createAccount: { account: { id: string }; oneTimePassword: string };
    }>(
      `${gateway.baseUrl}/graphql`,
      'mutation($u: String!) { createAccount(input: { username: $u, displayName: $u, grants: [{ role: "VIEWER" }] }) { account { id } oneTimePassword } }',
      { u: username },
      admin.headers,
    );
    const first = await signIn(`${gateway.baseUrl}/graphql`, username, createAccount.oneTimePassword);
    await graphqlData(
      `${gateway.baseUrl}/graphql`,
      'mutation($c: String!) { changePassword(currentPassword: $c, newPassword: "Tongxin-9527-Gonghui") }',
      { c: createAccount.oneTimePassword },
      first.headers,
    );
    accountIds[username] = createAccount.account.id;
    return createAccount.account.id;
  }

  beforeAll(async () => {
    database = await createTestDatabase('gateway_oidc');
    const port = await freePort();
    callbackBase = `http://127.0.0.1:${port}/auth/oidc/callback`;
    provider = await startProvider(callbackBase);
    gateway = await startGateway(
      {
        DATABASE_URL: database.url,
        UNIONFED_ADMIN_PASSWORD: ADMIN_PASSWORD,
        UNIONFED_OIDC_ISSUER: provider.issuer,
        UNIONFED_OIDC_CLIENT_ID: CLIENT_ID,
        UNIONFED_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      },
      port,
    );
    admin = await signIn(`${gateway.baseUrl}/graphql`, 'admin', ADMIN_PASSWORD);
    for (const username of [
      'zhang.wei@campus.example.edu',
      'lina',
      'wang.fang@campus.example.edu',
      'zhao.lei@campus.example.edu',
    ])
      await existingAccount(username);
  });

  afterAll(async () => {
    await gateway?.app.close();
    await provider?.stop();
    await database?.drop();
  });

  it('sends the browser to the provider with the authorization code flow, PKCE S256, state and nonce', async () => {
    const browser = new Browser();
    const response = await browser.get(`${gateway.baseUrl}/auth/oidc/login`);
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${provider.issuer}/auth`);
    const params = Object.fromEntries(location.searchParams);
    expect(params).toEqual({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: callbackBase,
      scope: 'openid email profile',
      state: expect.stringMatching(/^[\w-]{43}$/),
      nonce: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
    });
    // the state is kept in an HttpOnly cookie only the callback gets back, for the 10 minutes a sign-in may take
    expect(response.headers.getSetCookie()).toEqual([
      `unionfed_oidc_state=${params.state}; Path=/auth/oidc; Max-Age=600; HttpOnly; SameSite=Lax`,
    ]);
    expect(response.headers.get('cache-control')).toBe('no-store');
    // and server-side, by its hash only
    const [row] = await queryDatabase<{ n: number }>(
      database.url,
      `SELECT count(*)::int AS n FROM oidc_login_attempt WHERE state_hash = sha256(convert_to($1, 'UTF8'))`,
      [params.state],
    );
    expect(row.n).toBe(1);
  });

  it('links an existing account whose username is the verified e-mail address, audits it, and signs it in', async () => {
    const response = await signInAtCampus('u-1001');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const tokens = (await response.json()) as TokensJson;
    expect(Object.keys(tokens).sort()).toEqual([
      'accessToken',
      'accessTokenExpiresAt',
      'refreshToken',
      'refreshTokenExpiresAt',
    ]);
    expect(Date.parse(tokens.accessTokenExpiresAt)).toBeGreaterThan(Date.now());
    expect(tokens.refreshToken).toMatch(/^ufr_/);

    const accountId = accountIds['zhang.wei@campus.example.edu'];
    expect(await me(tokens.accessToken)).toEqual({
      id: accountId,
      name: 'zhang.wei@campus.example.edu',
      grants: [{ role: 'VIEWER' }],
    });
    expect(
      await queryDatabase(database.url, `SELECT oidc_issuer, oidc_subject FROM account WHERE id = $1`, [
        accountId,
      ]),
    ).toEqual([{ oidc_issuer: provider.issuer, oidc_subject: 'u-1001' }]);
    expect(await auditRows(`action = 'OIDC_LINKED'`)).toEqual([
      {
        action: 'OIDC_LINKED',
        outcome: 'SUCCESS',
        actor_id: accountId,
        actor_name: 'zhang.wei@campus.example.edu',
        entity_id: accountId,
        details: { issuer: provider.issuer, subject: 'u-1001', matchedBy: 'email' },
      },
    ]);
    expect(
      await auditRows(`action = 'LOGIN' AND details->>'method' = 'oidc' AND actor_id = $1`, [accountId]),
    ).toEqual([expect.objectContaining({ outcome: 'SUCCESS', details: { method: 'oidc' } })]);
    // the refresh token works like one from a password sign-in
    const refreshed = await gql(
      `mutation { refreshSession(refreshToken: "${tokens.refreshToken}") { account { id } } }`,
    );
    expect(refreshed).toEqual({ data: { refreshSession: { account: { id: accountId } } } });
  });

  it('finds the linked account again at the next sign-in of the same campus identity, without linking again', async () => {
    const response = await signInAtCampus('u-1001');
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as TokensJson;
    expect((await me(tokens.accessToken)).id).toBe(accountIds['zhang.wei@campus.example.edu']);
    expect(await auditRows(`action = 'OIDC_LINKED'`)).toHaveLength(1);
    expect(
      await auditRows(
        `action = 'LOGIN' AND outcome = 'SUCCESS' AND details->>'method' = 'oidc' AND actor_id = $1`,
        [accountIds['zhang.wei@campus.example.edu']],
      ),
    ).toHaveLength(2);
  });

  it('links by the provider login name (preferred_username) when the e-mail address is not verified', async () => {
    const response = await signInAtCampus('u-1002');
    expect(response.status).toBe(200);
    const tokens = (await response.json()) as TokensJson;
    expect((await me(tokens.accessToken)).name).toBe('lina');
    expect(await auditRows(`action = 'OIDC_LINKED' AND actor_name = 'lina'`)).toEqual([
      expect.objectContaining({
        details: { issuer: provider.issuer, subject: 'u-1002', matchedBy: 'preferred_username' },
      }),
    ]);
  });

  it('refuses a campus identity with no account with 403, and audits the refusal', async () => {
    const response = await signInAtCampus('u-1004');
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      reason: 'OIDC_UNKNOWN_ACCOUNT',
      message: expect.stringContaining('no account for this campus identity; ask an HQ admin'),
    });
    expect(
      await auditRows(
        `action = 'LOGIN' AND outcome = 'REFUSED' AND actor_name = 'visitor@campus.example.edu'`,
      ),
    ).toEqual([
      {
        action: 'LOGIN',
        outcome: 'REFUSED',
        actor_id: null,
        actor_name: 'visitor@campus.example.edu',
        entity_id: null,
        details: {
          reason: 'OIDC_UNKNOWN_ACCOUNT',
          method: 'oidc',
          issuer: provider.issuer,
          subject: 'u-1004',
          tried: [
            { username: 'visitor@campus.example.edu', outcome: 'NO_ACCOUNT' },
            { username: 'visitor', outcome: 'NO_ACCOUNT' },
          ],
        },
      },
    ]);
    expect(await queryDatabase(database.url, `SELECT id FROM account WHERE oidc_subject = 'u-1004'`)).toEqual(
      [],
    );
  });

  it('never links on an e-mail address the provider has not verified, even when an account has that username', async () => {
    const response = await signInAtCampus('u-1003');
    expect(response.status).toBe(403);
    expect(((await response.json()) as ErrorJson).reason).toBe('OIDC_UNKNOWN_ACCOUNT');
    expect(
      await queryDatabase(database.url, `SELECT oidc_subject FROM account WHERE username = $1`, [
        'wang.fang@campus.example.edu',
      ]),
    ).toEqual([{ oidc_subject: null }]);
  });

  it('answers 401 when the person cancels at the provider, and audits the failure', async () => {
    const browser = new Browser();
    const callback = await atProvider(browser, await startSignIn(browser), 'u-1001', { cancel: true });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    const response = await browser.get(callback);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      reason: 'OIDC_DENIED_BY_PROVIDER',
      message: expect.stringContaining('(access_denied)'),
    });
    expect(await auditRows(`action = 'LOGIN' AND details->>'reason' = 'OIDC_DENIED_BY_PROVIDER'`)).toEqual([
      expect.objectContaining({ outcome: 'FAILURE' }),
    ]);
  });

  it('refuses a callback whose state was altered, and leaves the genuine sign-in untouched', async () => {
    const browser = new Browser();
    const callback = await atProvider(browser, await startSignIn(browser), 'u-1001');
    const state = callback.searchParams.get('state')!;
    const tampered = new URL(callback);
    tampered.searchParams.set('state', randomBytes(32).toString('base64url'));
    const refused = await browser.get(tampered);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      reason: 'OIDC_STATE_MISMATCH',
      message: expect.stringContaining('state was altered'),
    });
    // the refusal was about the state alone: the genuine callback still finishes that sign-in
    const genuine = await fetch(callback, {
      redirect: 'manual',
      headers: { cookie: `unionfed_oidc_state=${state}` },
    });
    expect(genuine.status).toBe(200);
  });

  it('refuses a callback in a browser that did not start the sign-in (no state cookie)', async () => {
    const victim = new Browser();
    const attacker = new Browser();
    const callback = await atProvider(attacker, await startSignIn(attacker), 'u-1001');
    const response = await victim.get(callback);
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorJson).reason).toBe('OIDC_STATE_MISMATCH');
  });

  it('refuses a replayed callback (same code, same state, same cookie) and audits the failure', async () => {
    const browser = new Browser();
    const callback = await atProvider(browser, await startSignIn(browser), 'u-1001');
    const cookie = `unionfed_oidc_state=${browser.cookie('unionfed_oidc_state')}`;
    const first = await browser.get(callback);
    expect(first.status).toBe(200);
    // the state cookie is cleared by the answer…
    expect(first.headers.getSetCookie()).toEqual([
      'unionfed_oidc_state=; Path=/auth/oidc; Max-Age=0; HttpOnly; SameSite=Lax',
    ]);
    // …and even sent again as it was, the callback is good once
    const replay = await fetch(callback, { redirect: 'manual', headers: { cookie } });
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      reason: 'OIDC_STATE_UNKNOWN',
      message: expect.stringContaining('already used'),
    });
    expect(await auditRows(`action = 'LOGIN' AND details->>'reason' = 'OIDC_STATE_UNKNOWN'`)).toEqual([
      expect.objectContaining({
        outcome: 'FAILURE',
        details: { reason: 'OIDC_STATE_UNKNOWN', method: 'oidc' },
      }),
    ]);
  });

  it('returns to a same-origin path with the tokens in the URL fragment when asked to', async () => {
    const browser = new Browser();
    const callback = await atProvider(
      browser,
      await startSignIn(browser, '/dashboard/members?branch=cs'),
      'u-1002',
    );
    const response = await browser.get(callback);
    expect(response.status).toBe(303);
    const location = response.headers.get('location')!;
    expect(location).toMatch(/^\/dashboard\/members\?branch=cs#accessToken=/);
    const fragment = new URLSearchParams(location.slice(location.indexOf('#') + 1));
    expect([...fragment.keys()]).toEqual([
      'accessToken',
      'accessTokenExpiresAt',
      'refreshToken',
      'refreshTokenExpiresAt',
    ]);
    expect((await me(fragment.get('accessToken')!)).name).toBe('lina');
  });

  it('refuses to return to another site', async () => {
    for (const returnTo of ['https://evil.example/steal', '//evil.example/steal']) {
      const response = await new Browser().get(
        `${gateway.baseUrl}/auth/oidc/login?return_to=${encodeURIComponent(returnTo)}`,
      );
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(((await response.json()) as ErrorJson).reason).toBe('OIDC_RETURN_TO_INVALID');
    }
  });

  it('refuses a linked campus identity whose account has been disabled', async () => {
    expect((await signInAtCampus('u-1005')).status).toBe(200);
    await graphqlData(
      `${gateway.baseUrl}/graphql`,
      'mutation($id: ID!) { disableAccount(accountId: $id) { status } }',
      { id: accountIds['zhao.lei@campus.example.edu'] },
      admin.headers,
    );
    const response = await signInAtCampus('u-1005');
    expect(response.status).toBe(403);
    expect(((await response.json()) as ErrorJson).reason).toBe('ACCOUNT_DISABLED');
    expect(
      await auditRows(`action = 'LOGIN' AND outcome = 'REFUSED' AND actor_id = $1`, [
        accountIds['zhao.lei@campus.example.edu'],
      ]),
    ).toEqual([expect.objectContaining({ details: { reason: 'ACCOUNT_DISABLED', method: 'oidc' } })]);
  });

  describe('when the provider goes away (runs last: it stops the provider)', () => {
    it('answers 503 with a clear message, never a stack trace, at the callback and at the next login', async () => {
      const browser = new Browser();
      // the provider's configuration was discovered already, so the login still redirects
      const authorizationUrl = await startSignIn(browser);
      await provider.stop();
      const callback = new URL(callbackBase);
      callback.search = new URLSearchParams({
        code: 'a-code-the-provider-would-have-issued',
        state: authorizationUrl.searchParams.get('state')!,
        iss: provider.issuer,
      }).toString();
      for (const response of [
        await browser.get(callback),
        await browser.get(`${gateway.baseUrl}/auth/oidc/login`),
      ]) {
        expect(response.status).toBe(503);
        const text = await response.text();
        expect(JSON.parse(text)).toEqual({
          statusCode: 503,
          error: 'Service Unavailable',
          reason: 'OIDC_PROVIDER_UNREACHABLE',
          message: expect.stringContaining('The campus identity provider cannot be reached'),
        });
        expect(text).not.toMatch(/\bat \S+ \(|fetch failed|ECONNREFUSED/);
      }
    });
  });

  describe('configuration', () => {
    it('answers 404 with what to set when campus SSO is not configured', async () => {
      const unconfigured = await startGateway({ DATABASE_URL: database.url });
      try {
        for (const route of ['/auth/oidc/login', '/auth/oidc/callback?code=x&state=y']) {
          const response = await fetch(`${unconfigured.baseUrl}${route}`, { redirect: 'manual' });
          expect(response.status).toBe(404);
          expect(await response.json()).toEqual({
            statusCode: 404,
            error: 'Not Found',
            reason: 'OIDC_NOT_CONFIGURED',
            message: expect.stringContaining(
              'set UNIONFED_OIDC_ISSUER, UNIONFED_OIDC_CLIENT_ID and UNIONFED_OIDC_CLIENT_SECRET',
            ),
          });
        }
      } finally {
        await unconfigured.app.close();
      }
    });

    it('answers 503 when the configured provider cannot be reached at all', async () => {
      const unreachable = await startGateway({
        DATABASE_URL: database.url,
        UNIONFED_OIDC_ISSUER: `http://127.0.0.1:${await freePort()}`,
        UNIONFED_OIDC_CLIENT_ID: CLIENT_ID,
        UNIONFED_OIDC_CLIENT_SECRET: CLIENT_SECRET,
      });
      try {
        const response = await fetch(`${unreachable.baseUrl}/auth/oidc/login`, { redirect: 'manual' });
        expect(response.status).toBe(503);
        expect(((await response.json()) as ErrorJson).reason).toBe('OIDC_PROVIDER_UNREACHABLE');
      } finally {
        await unreachable.app.close();
      }
    });
  });
});
