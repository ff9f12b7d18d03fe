/**
 * Local infrastructure by hand (npm run infra:up | infra:down | infra:status):
 *   up      starts the profile's PostgreSQL and Kafka and keeps them until Ctrl-C / SIGTERM, then stops them
 *   status  shows what runs
 *   down    stops what runs for the profile (found through pid files), whoever started it
 * Options: --profile dev|test (default dev).
 */
import { readFileSync } from 'node:fs';
import {
  infraProfile,
  infraStatus,
  type InfraProfile,
  kafkaBrokersFor,
  adminUrlFor,
  profilePaths,
  type ProfileName,
  runningKafka,
  runningPostgres,
  startInfra,
  stopInfra,
} from '@unionfed/infra';

const USAGE = 'usage: tools/infra/cli.ts up|down|status [--profile dev|test]';

function parseArgs(argv: string[]): { command: string; profile: ProfileName } {
  const [command = '', ...rest] = argv;
  let profile: ProfileName = 'dev';
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const value =
      arg === '--profile'
        ? rest[++i]
        : arg.startsWith('--profile=')
          ? arg.slice('--profile='.length)
          : undefined;
    if (value === 'dev' || value === 'test') profile = value;
    else fail(`unknown argument ${arg}${value !== undefined ? ` ${value}` : ''}\n${USAGE}`);
  }
  return { command, profile };
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function ownerOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split(/\s+/)[0];
  } catch {
    return '?';
  }
}

async function status(p: InfraProfile): Promise<void> {
  const s = await infraStatus(p);
  const paths = profilePaths(p);
  const pg = runningPostgres(p);
  const kafka = runningKafka(p);
  console.log(`profile ${p.name}  (${p.stateDir})`);
  console.log(
    `  postgres  ${s.postgres.padEnd(8)}${pg ? ` pid ${pg.pid}, owner ${ownerOf(paths.postgresOwner)}  ${adminUrlFor(p)}` : ''}`,
  );
  console.log(
    `  kafka     ${s.kafka.padEnd(8)}${kafka ? ` pid ${kafka.pid}, owner ${ownerOf(paths.kafkaOwner)}  ${kafkaBrokersFor(p).join(',')}` : ''}`,
  );
}

async function up(p: InfraProfile): Promise<void> {
  let signalled: NodeJS.Signals | undefined;
  let wake: () => void = () => undefined;
  // handlers go in first: a Ctrl-C during start-up still ends in a clean stop, not in orphaned servers
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (signalled) {
        process.stderr.write('[infra] still stopping…\n');
        return;
      }
      signalled = sig;
      wake();
    });
  }

  const infra = await startInfra(p);
  console.log(`PostgreSQL  ${infra.databaseUrl}`);
  console.log(`Kafka       ${infra.kafkaBrokers.join(',')}`);
  console.log(`state       ${p.stateDir}`);
  if (!infra.owned) {
    console.log('Already running, started by another process; leaving it to that process.');
    return;
  }
  let stoppedElsewhere = false;
  if (!signalled) {
    console.log('Running. Ctrl-C stops it.');
    await new Promise<void>((resolve) => {
      const parent = process.ppid;
      const watch = setInterval(async () => {
        // npm runs us through `sh -c`, and a SIGTERM to npm ends sh but is not passed on: when our parent
        // goes away, stop as if we had been signalled
        if (process.ppid !== parent && !signalled) {
          signalled = 'SIGHUP';
          wake();
          return;
        }
        // someone ran `infra:down` (or both servers died): nothing left to keep alive
        const s = await infraStatus(p);
        if (s.postgres === 'stopped' && s.kafka === 'stopped' && !signalled) {
          console.log('The infrastructure was stopped elsewhere.');
          stoppedElsewhere = true;
          wake();
        }
      }, 2000);
      wake = () => {
        clearInterval(watch);
        resolve();
      };
    });
  }
  if (stoppedElsewhere) return;
  console.log('Stopping…');
  await infra.stop();
  console.log('Stopped.');
}

async function main(): Promise<void> {
  const { command, profile } = parseArgs(process.argv.slice(2));
  const p = infraProfile(profile);
  switch (command) {
    case 'up':
      return up(p);
    case 'status':
      return status(p);
    case 'down':
      await stopInfra(p);
      return status(p);
    default:
      fail(USAGE);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`[infra] ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
