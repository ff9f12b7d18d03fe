import { join } from 'node:path';
import { infraProfile, startInfra, type RunningInfra } from '@unionfed/infra';
import { Platform, seedDemoFederation, startPlatform } from '@unionfed/platform';
import { DOMAIN_SERVICES } from '@unionfed/service-kit';

/**
 * `npm start`: the whole platform on one machine, no Docker. Real PostgreSQL and Kafka (or DATABASE_URL /
 * KAFKA_BROKERS), databases and topics, every service and the gateway, the demo federation when empty.
 */
async function main(): Promise<void> {
  const started = Date.now();
  const say = (line: string) => console.log(`[unionfed] ${line}`);
  const profile = infraProfile('dev');
  // filled in as things start, so that a signal at any moment stops what is running
  const running: { infra?: RunningInfra; platform?: Platform } = {};
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: stopping…`);
    await running.platform?.stopAll();
    await running.infra?.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const infra = await startInfra(profile, { log: (line) => say(line) });
  running.infra = infra;
  say('starting the services…');
  const platform = await startPlatform({
    adminDatabaseUrl: infra.databaseUrl,
    kafkaBrokers: infra.kafkaBrokers,
    logDir: join(profile.stateDir, 'logs'),
  });
  running.platform = platform;
  if (await seedDemoFederation(platform.gatewayUrl, say))
    say('(the services are catching up with the demo events)');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  say(`ready in ${seconds}s`);
  console.log(`
  GraphQL gateway     ${platform.gatewayUrl}
${DOMAIN_SERVICES.map((name) => `  ${name.padEnd(19)} ${platform.service(name).baseUrl}/graphql`).join('\n')}
  PostgreSQL          ${infra.databaseUrl}
  Kafka               ${infra.kafkaBrokers.join(',')}
  logs                ${join(profile.stateDir, 'logs')}

  Try:  curl -s ${platform.gatewayUrl} -H 'content-type: application/json' \\
          -d '{"query":"{ branches { name joinRate activeMembers } }"}'
  (Accounts and logins arrive with the identity work; until then the API is open on 127.0.0.1 only.)
  Ctrl-C stops everything.
`);
}

main().catch((error: unknown) => {
  console.error(`[unionfed] start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
