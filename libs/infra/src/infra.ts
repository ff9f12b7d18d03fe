import { kafkaBrokersFor, runningKafka, startKafkaUnlocked, stopKafkaUnlocked, waitForKafka } from './kafka';
import { adminUrlFor, runningPostgres, startPostgres, stopPostgres, waitForPostgres } from './postgres';
import { defaultLog, type Log, withFileLock } from './process';
import { type InfraProfile, profilePaths } from './profile';

export interface InfraOptions {
  log?: (line: string) => void;
}

export interface RunningInfra {
  /** admin URL to the 'postgres' database; see databaseUrlFor() for a service's own database */
  databaseUrl: string;
  kafkaBrokers: string[];
  /** true if this call started (or adopted) something, which stop() will stop */
  owned: boolean;
  /** stops what this call started; no-op for reused or external pieces */
  stop(): Promise<void>;
}

const lockOf = (p: InfraProfile) => profilePaths(p).lockFile;

/**
 * Brings up PostgreSQL and Kafka for a profile, or reuses what already runs. `DATABASE_URL` / `KAFKA_BROKERS`
 * point at existing infrastructure instead, which is then only awaited.
 */
export async function startInfra(p: InfraProfile, opts: InfraOptions = {}): Promise<RunningInfra> {
  const log: Log = opts.log ?? defaultLog;
  const externalDb = process.env.DATABASE_URL?.trim();
  const externalKafka = process.env.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);

  return withFileLock(lockOf(p), async () => {
    // both at once: initdb and the JVM start-up overlap
    const [pg, kafka] = await Promise.allSettled([
      externalDb ? waitForPostgres(externalDb, 60_000).then(() => ({ owned: false })) : startPostgres(p, log),
      externalKafka?.length
        ? waitForKafka(externalKafka, { timeoutMs: 90_000 }).then(() => ({ owned: false }))
        : startKafkaUnlocked(p, log),
    ]);
    const ownsPostgres = pg.status === 'fulfilled' && pg.value.owned;
    const ownsKafka = kafka.status === 'fulfilled' && kafka.value.owned;

    const stopOwned = async () => {
      if (ownsKafka) await stopKafkaUnlocked(p, log);
      if (ownsPostgres) await stopPostgres(p, log);
    };
    const failure = [pg, kafka].find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) {
      await stopOwned().catch(() => undefined); // do not leave half a profile running
      throw failure.reason;
    }

    let stopping: Promise<void> | undefined;
    return {
      databaseUrl: externalDb || adminUrlFor(p),
      kafkaBrokers: externalKafka?.length ? externalKafka : kafkaBrokersFor(p),
      owned: ownsPostgres || ownsKafka,
      stop: () =>
        (stopping ??= ownsPostgres || ownsKafka ? withFileLock(lockOf(p), stopOwned) : Promise.resolve()),
    };
  });
}

/** Stops whatever runs for the profile, whoever started it (found through pid files). */
export async function stopInfra(p: InfraProfile, opts: InfraOptions = {}): Promise<void> {
  const log = opts.log ?? defaultLog;
  await withFileLock(lockOf(p), async () => {
    await stopKafkaUnlocked(p, log);
    await stopPostgres(p, log);
  });
}

export async function infraStatus(
  p: InfraProfile,
): Promise<{ postgres: 'running' | 'stopped'; kafka: 'running' | 'stopped' }> {
  return {
    postgres: runningPostgres(p) ? 'running' : 'stopped',
    kafka: runningKafka(p) ? 'running' : 'stopped',
  };
}

/** Starts the broker alone (fault tests stop and restart it); this process then owns it. */
export async function startKafka(p: InfraProfile, opts: InfraOptions = {}): Promise<void> {
  const log = opts.log ?? defaultLog;
  await withFileLock(lockOf(p), () => startKafkaUnlocked(p, log));
}

/** Stops the broker alone, leaving PostgreSQL running. */
export async function stopKafka(p: InfraProfile, opts: InfraOptions = {}): Promise<void> {
  const log = opts.log ?? defaultLog;
  await withFileLock(lockOf(p), () => stopKafkaUnlocked(p, log));
}
