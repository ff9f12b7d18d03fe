import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { databaseUrlFor, infraProfile, startInfra, type RunningInfra } from '@unionfed/infra';
import {
  databaseNameOf,
  Platform,
  seedDemoAccounts,
  seedDemoFederation,
  ServiceStartError,
  signIn,
  startPlatform,
} from '@unionfed/platform';
import { DOMAIN_SERVICES } from '@unionfed/service-kit';

/** Whether the gateway already has accounts (then the initial admin exists and keeps their password). */
async function hasAccounts(adminDatabaseUrl: string): Promise<boolean> {
  const client = new Client({
    connectionString: databaseUrlFor(adminDatabaseUrl, databaseNameOf('gateway')!),
  });
  try {
    await client.connect();
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM account');
    return rows[0].n > 0;
  } catch {
    return false; // no database or no table yet: the first start
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `npm start`: the whole platform on one machine, no Docker. Real PostgreSQL and Kafka (or DATABASE_URL /
 * KAFKA_BROKERS), databases and topics, every service and the gateway, the demo federation when empty.
 */
// filled in as things start, so that a signal — or a failure — at any moment stops what this start started
// (infrastructure it found running is left running: RunningInfra.stop stops only its own)
const running: { infra?: RunningInfra; platform?: Platform } = {};

async function stopStarted(): Promise<void> {
  await running.platform?.stopAll();
  await running.infra?.stop();
}

async function main(): Promise<void> {
  const started = Date.now();
  const say = (line: string) => console.log(`[unionfed] ${line}`);
  const profile = infraProfile('dev');
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping…`);
    await stopStarted();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const infra = await startInfra(profile, { log: (line) => say(line) });
  running.infra = infra;
  // the first start creates the HQ admin: with UNIONFED_ADMIN_PASSWORD, or a password made here and shown once
  const username = process.env.UNIONFED_ADMIN_USERNAME ?? 'admin';
  const firstStart = !(await hasAccounts(infra.databaseUrl));
  const password =
    process.env.UNIONFED_ADMIN_PASSWORD ??
    (firstStart ? `${randomBytes(12).toString('base64url')}7a` : undefined);
  say('starting the services…');
  const platform = await startPlatform({
    adminDatabaseUrl: infra.databaseUrl,
    kafkaBrokers: infra.kafkaBrokers,
    logDir: join(profile.stateDir, 'logs'),
    env: password ? { UNIONFED_ADMIN_USERNAME: username, UNIONFED_ADMIN_PASSWORD: password } : {},
  });
  running.platform = platform;
  let demoLogins: { username: string; displayName: string; oneTimePassword: string }[] = [];
  if (password) {
    const admin = await signIn(platform.gatewayUrl, username, password);
    if (await seedDemoFederation(platform.gatewayUrl, admin.headers, say)) {
      demoLogins = await seedDemoAccounts(platform.gatewayUrl, admin.headers);
      say('(the services are catching up with the demo events)');
    }
  }
  const dashboardUrl = new URL('/', platform.gatewayUrl).href;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  say(`ready in ${seconds}s`);
  console.log(`
  Dashboard           ${dashboardUrl}
  GraphQL gateway     ${platform.gatewayUrl}
${DOMAIN_SERVICES.map((name) => `  ${name.padEnd(19)} ${platform.service(name).baseUrl}/graphql`).join('\n')}
  PostgreSQL          ${infra.databaseUrl}
  Kafka               ${infra.kafkaBrokers.join(',')}
  logs                ${join(profile.stateDir, 'logs')}

${
  firstStart && !process.env.UNIONFED_ADMIN_PASSWORD
    ? `  HQ admin            username "${username}", password "${password}"  (shown only now: keep it)\n`
    : ''
}${
    demoLogins.length
      ? `  Demo logins (one-time passwords, shown only now; each is changed at the first sign-in):\n${demoLogins
          .map((login) => `    ${login.username.padEnd(12)} ${login.oneTimePassword}  ${login.displayName}`)
          .join('\n')}\n`
      : ''
  }
  Open the dashboard at ${dashboardUrl} and sign in (HQ admin "${username}"), or through the API:
  Sign in:  curl -s ${platform.gatewayUrl} -H 'content-type: application/json' \\
              -d '{"query":"mutation { login(username: \\"${username}\\", password: \\"…\\") { accessToken } }"}'
  then:     curl -s ${platform.gatewayUrl} -H 'content-type: application/json' -H 'authorization: Bearer <accessToken>' \\
              -d '{"query":"{ branches { name activeMembers joinRateDetail { percent exceedsHeadcount } } }"}'
  Ctrl-C stops everything.
`);
}

main().catch(async (error: unknown) => {
  // the reason first, as one plain line; then what this start had started is stopped again
  console.error(
    `[unionfed] start failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
  );
  if (error instanceof ServiceStartError) console.error(`[unionfed] its log: ${error.logFile}`);
  await stopStarted().catch((cleanup: unknown) =>
    console.error(
      `[unionfed] could not stop everything: ${cleanup instanceof Error ? cleanup.message : cleanup}`,
    ),
  );
  process.exit(1);
});
