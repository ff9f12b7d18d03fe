import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import {
  databaseUrlFor,
  ensureDatabases,
  type InfraProfile,
  infraStatus,
  type RunningInfra,
  runningKafka,
  runningPostgres,
  startInfra,
  startKafka,
  stopInfra,
  stopKafka,
  unionfedHome,
} from '../src';

// A profile of its own: the integration project's global setup already runs the 'test' profile, and this
// suite stops and restarts things.
const profile: InfraProfile = {
  name: 'test',
  stateDir: join(unionfedHome(), 'infra-it'),
  postgresPort: 55434,
  kafkaPort: 59292,
  kafkaControllerPort: 59293,
};

const run = `${Date.now().toString(36)}${process.pid}`;

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

async function roundTripOneMessage(brokers: string[], topic: string, value: string): Promise<string> {
  const kafka = new Kafka({ clientId: `infra-it-${run}`, brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: 'k', value }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `${topic}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no message within 30s')), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          clearTimeout(timer);
          resolve(message.value?.toString() ?? '');
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** Processes whose command line mentions this profile's state folder (postgres -D …, java … server.properties). */
const processesOfProfile = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(profile.stateDir) && alive(Number(pid));
      } catch {
        return false;
      }
    });

describe('local infrastructure (libs/infra)', () => {
  let infra: RunningInfra;
  const saved = { DATABASE_URL: process.env.DATABASE_URL, KAFKA_BROKERS: process.env.KAFKA_BROKERS };
  const log: string[] = [];

  beforeAll(async () => {
    // this suite is about starting our own servers, whatever the surrounding environment points at
    delete process.env.DATABASE_URL;
    delete process.env.KAFKA_BROKERS;
    infra = await startInfra(profile, { log: (line) => log.push(line) });
  }, 300_000);

  afterAll(async () => {
    await infra?.stop();
    await stopInfra(profile, { log: () => undefined }); // safety net if a test failed half-way
    Object.assign(process.env, saved);
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  }, 120_000);

  it('starts a PostgreSQL that answers queries and stores Chinese text as UTF-8', async () => {
    expect(infra.owned).toBe(true);
    expect(infra.databaseUrl).toBe('postgres://postgres:postgres@127.0.0.1:55434/postgres');
    const [row] = await query<{ one: number; encoding: string; name: string }>(
      infra.databaseUrl,
      "SELECT 1 AS one, current_setting('server_encoding') AS encoding, '校工会 · 分工会' AS name",
    );
    expect(row).toEqual({ one: 1, encoding: 'UTF8', name: '校工会 · 分工会' });
  });

  it('creates missing databases, and asking again (even concurrently) is harmless', async () => {
    const name = `infra_it_${run}`;
    await ensureDatabases(infra.databaseUrl, [name]);
    await Promise.all([
      ensureDatabases(infra.databaseUrl, [name]),
      ensureDatabases(infra.databaseUrl, [name]),
    ]);
    const [row] = await query<{ db: string }>(
      databaseUrlFor(infra.databaseUrl, name),
      'SELECT current_database() AS db',
    );
    expect(row.db).toBe(name);
    await query(infra.databaseUrl, `DROP DATABASE ${name}`);
  });

  it('runs a Kafka broker on which a topic can be created and a message produced and consumed', async () => {
    expect(infra.kafkaBrokers).toEqual(['127.0.0.1:59292']);
    await expect(
      roundTripOneMessage(infra.kafkaBrokers, `infra-it.first.${run}`, '你好, Kafka'),
    ).resolves.toBe('你好, Kafka');
  });

  it('reuses what already runs, quickly and without taking it over', async () => {
    const started = Date.now();
    const again = await startInfra(profile, { log: () => undefined });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(again.owned).toBe(false);
    expect(again.databaseUrl).toBe(infra.databaseUrl);
    await again.stop(); // a no-op: it started nothing
    expect(await infraStatus(profile)).toEqual({ postgres: 'running', kafka: 'running' });
  });

  it('stops and restarts the broker alone, leaving PostgreSQL up', async () => {
    const before = runningKafka(profile)!.pid;
    await stopKafka(profile, { log: () => undefined });
    expect(alive(before)).toBe(false);
    expect(await infraStatus(profile)).toEqual({ postgres: 'running', kafka: 'stopped' });

    await startKafka(profile, { log: () => undefined });
    expect(await infraStatus(profile)).toEqual({ postgres: 'running', kafka: 'running' });
    await expect(
      roundTripOneMessage(infra.kafkaBrokers, `infra-it.after-restart.${run}`, 'again'),
    ).resolves.toBe('again');
  });

  it('stops everything it started and leaves no server process behind', async () => {
    const postgresPid = runningPostgres(profile)!.pid;
    const kafkaPid = runningKafka(profile)!.pid;
    expect(processesOfProfile().length).toBeGreaterThan(0);

    await infra.stop();

    expect(await infraStatus(profile)).toEqual({ postgres: 'stopped', kafka: 'stopped' });
    expect(alive(postgresPid)).toBe(false);
    expect(alive(kafkaPid)).toBe(false);
    expect(processesOfProfile()).toEqual([]);
  });
});
