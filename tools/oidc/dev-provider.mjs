// A local OpenID Connect provider (the certified `oidc-provider` package) standing in for the campus identity
// provider: for trying campus SSO against `npm start`, and for the gateway's tests, which run it in a child process
// (oidc-provider is ESM-only and wants its own HTTP server). Development only: its login form accepts ANY password
// for a known user (devInteractions), and its keys and sessions live in memory.
//
//   node tools/oidc/dev-provider.mjs
//   UNIONFED_OIDC_ISSUER=http://127.0.0.1:4400 UNIONFED_OIDC_CLIENT_ID=unionfed-gateway \
//   UNIONFED_OIDC_CLIENT_SECRET=dev-only-campus-sso-secret npm start
//
// Environment: OIDC_DEV_PORT (4400; 0 picks a free port), OIDC_DEV_CLIENT_ID, OIDC_DEV_CLIENT_SECRET,
// OIDC_DEV_REDIRECT_URIS (comma-separated), OIDC_DEV_USERS (JSON: { "<sub>": { email, email_verified,
// preferred_username, name } }). When it listens it prints one JSON line: {"issuer":"http://127.0.0.1:<port>"}.
// With --exit-with-stdin it stops when its standard input closes (its parent is gone), so a test never leaves it
// behind.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const DEFAULT_USERS = {
  'campus-0001': {
    email: 'admin@campus.example.edu',
    email_verified: true,
    preferred_username: 'admin',
    name: '校工会管理员',
  },
  'campus-0002': {
    email: 'chen.si@campus.example.edu',
    email_verified: true,
    preferred_username: 'chensi',
    name: '陈思',
  },
};

const env = process.env;
const host = env.OIDC_DEV_HOST ?? '127.0.0.1';
const port = Number(env.OIDC_DEV_PORT ?? 4400);
const clientId = env.OIDC_DEV_CLIENT_ID ?? 'unionfed-gateway';
const clientSecret = env.OIDC_DEV_CLIENT_SECRET ?? 'dev-only-campus-sso-secret';
const redirectUris = (env.OIDC_DEV_REDIRECT_URIS ?? 'http://127.0.0.1:4000/auth/oidc/callback').split(',');
const users = env.OIDC_DEV_USERS ? JSON.parse(env.OIDC_DEV_USERS) : DEFAULT_USERS;

const server = createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, host, resolve);
});
const issuer = `http://${host}:${server.address().port}`;

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // the dev login form signs in as whatever login is typed; only the users listed here exist
  findAccount: (_ctx, sub) =>
    Object.hasOwn(users, sub) ? { accountId: sub, claims: () => ({ sub, ...users[sub] }) } : undefined,
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username'],
  },
  features: { devInteractions: { enabled: true } },
  // as a campus provider should: PKCE for every client, not only public ones
  pkce: { required: () => true },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  jwks: { keys: [{ ...signingKey, kid: 'dev-provider', use: 'sig', alg: 'RS256' }] },
});
server.on('request', provider.callback());

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (process.argv.includes('--exit-with-stdin')) {
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
}
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
