import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { claim, claimIfOrphaned } from './ownership';
import { type InfraProfile, profilePaths, repoRoot, unionfedHome } from './profile';
import {
  commandLine,
  defaultLog,
  isRecordAlive,
  lastLines,
  type Log,
  makeDirs,
  portAnswers,
  type ProcessRecord,
  readPidFile,
  recordOf,
  removeFile,
  run,
  sleep,
  tailFile,
  terminateProcessGroup,
  withFileLock,
  writePidFile,
} from './process';

export const JAVA_MAVEN_NEEDED =
  'Java 17+ and Maven are needed to run Kafka locally: apt-get install openjdk-17-jre-headless maven — or use `docker compose up`';

/** Partitions of __consumer_offsets on our broker: few, so a fresh broker loads its group coordinators fast. */
export const OFFSETS_TOPIC_PARTITIONS = 3;

const kafkaRecipeDir = () => join(repoRoot(), 'deploy', 'local', 'kafka');

export function kafkaBrokersFor(p: InfraProfile): string[] {
  return [`127.0.0.1:${p.kafkaPort}`];
}

/** The broker version pinned in deploy/local/kafka/pom.xml. */
export function kafkaVersion(
  pomXml: string = readFileSync(join(kafkaRecipeDir(), 'pom.xml'), 'utf8'),
): string {
  const match = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pomXml);
  if (!match) throw new Error('deploy/local/kafka/pom.xml does not define <kafka.version>');
  return match[1];
}

/** Parses `java -version` output ("17.0.15", "21", "1.8.0_392") into the major version. */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

async function toolOutput(command: string, args: string[]): Promise<string | undefined> {
  try {
    const result = await run(command, args);
    return result.code === 0 ? result.output : undefined;
  } catch {
    return undefined; // ENOENT: not installed
  }
}

let javaChecked: Promise<void> | undefined;

function assertJava(): Promise<void> {
  javaChecked ??= (async () => {
    const output = await toolOutput('java', ['-version']);
    const major = output === undefined ? undefined : javaMajorVersion(output);
    if (major === undefined || major < 17) {
      javaChecked = undefined;
      const found = major === undefined ? 'no usable `java` on PATH' : `found Java ${major}`;
      throw new Error(`${JAVA_MAVEN_NEEDED} (${found})`);
    }
  })();
  return javaChecked;
}

/**
 * The broker's jars, resolved once from Maven Central into <home>/kafka-libs/<version> and reused after
 * (a `.complete` marker tells a finished copy from an interrupted one). Returns that directory.
 */
export async function resolveKafkaJars(opts: { log?: Log; home?: string } = {}): Promise<string> {
  const log = opts.log ?? defaultLog;
  const version = kafkaVersion();
  const dir = join(opts.home ?? unionfedHome(), 'kafka-libs', version);
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return dir;
  return withFileLock(`${dir}.lock`, async () => {
    if (existsSync(marker)) return dir; // another process resolved them while we waited
    await assertJava();
    if ((await toolOutput('mvn', ['-v'])) === undefined)
      throw new Error(`${JAVA_MAVEN_NEEDED} (no usable \`mvn\` on PATH)`);
    log(`resolving Kafka ${version} from Maven Central into ${dir} (once)`);
    const started = Date.now();
    const result = await run('mvn', [
      '-q',
      '-B',
      '-f',
      join(kafkaRecipeDir(), 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${dir}`,
    ]);
    if (result.code !== 0) {
      throw new Error(
        `mvn could not resolve the Kafka broker jars (exit ${result.code ?? result.signal}):\n${lastLines(result.output)}`,
      );
    }
    const jars = existsSync(dir) ? readdirSync(dir) : [];
    if (!jars.some((f) => f.startsWith(`kafka_2.13-${version}`))) {
      throw new Error(`mvn finished but ${dir} holds no kafka_2.13-${version} jar`);
    }
    writeFileSync(marker, `${new Date().toISOString()}\n`);
    log(`Kafka jars ready (${jars.length} files, ${((Date.now() - started) / 1000).toFixed(1)}s)`);
    return dir;
  });
}

/** Single-node KRaft: one process is broker and controller; clients use only the PLAINTEXT listener. */
export function renderServerProperties(p: InfraProfile, dataDir: string = profilePaths(p).kafkaData): string {
  return [
    '# Written by libs/infra on every start; edit libs/infra/src/kafka.ts instead.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${p.kafkaControllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${p.kafkaPort},CONTROLLER://127.0.0.1:${p.kafkaControllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${p.kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    'offsets.topic.replication.factor=1',
    `offsets.topic.num.partitions=${OFFSETS_TOPIC_PARTITIONS}`,
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=3',
    'group.initial.rebalance.delay.ms=0',
    // topics are created on purpose, from the topic registry in libs/contracts
    'auto.create.topics.enable=false',
    '',
  ].join('\n');
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (22 chars), as `kafka-storage random-uuid`. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka avoids ids that look like a command-line flag, so do we
  }
}

/** Java's String.hashCode, which Kafka uses to place a consumer group on a partition of __consumer_offsets. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** One group id per __consumer_offsets partition, so probing them all proves every group coordinator loaded. */
export function groupIdsCoveringOffsetPartitions(
  partitions: number,
  prefix = 'unionfed-infra-readiness',
): string[] {
  const byPartition = new Map<number, string>();
  for (let i = 0; byPartition.size < partitions; i++) {
    const id = `${prefix}-${i}`;
    const partition = (javaStringHashCode(id) & 0x7fffffff) % partitions;
    if (!byPartition.has(partition)) byPartition.set(partition, id);
  }
  return [...byPartition.entries()].sort(([a], [b]) => a - b).map(([, id]) => id);
}

/** The broker process of this profile, if it runs (the pid file, checked against the live command line). */
export function runningKafka(p: InfraProfile): ProcessRecord | undefined {
  const { kafkaPid, kafkaProperties } = profilePaths(p);
  const rec = readPidFile(kafkaPid);
  if (!isRecordAlive(rec)) return undefined;
  const cmd = commandLine(rec.pid);
  if (cmd && !(cmd.includes('kafka.Kafka') && cmd.includes(kafkaProperties))) return undefined;
  return rec;
}

/**
 * Waits until the broker does what tests and services need right after start: answers metadata, accepts
 * topic admin requests, and has loaded the group coordinator for every __consumer_offsets partition (a fresh
 * broker answers "coordinator is loading" for a moment, which would make the first consumers flaky).
 */
export async function waitForKafka(
  brokers: string[],
  opts: { timeoutMs: number; offsetsPartitions?: number; stillRunning?: () => boolean; logFile?: string },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const groups = groupIdsCoveringOffsetPartitions(opts.offsetsPartitions ?? 1);
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    if (opts.stillRunning && !opts.stillRunning()) {
      throw new Error(`The Kafka broker exited during start-up.${logTail(opts.logFile)}`);
    }
    const kafka = new Kafka({
      clientId: 'unionfed-infra-readiness',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      requestTimeout: 5000,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.listTopics();
      await admin.createTopics({
        validateOnly: true,
        waitForLeaders: false,
        topics: [{ topic: 'unionfed-infra-readiness', numPartitions: 1, replicationFactor: 1 }],
      });
      for (const groupId of groups) await admin.fetchOffsets({ groupId, topics: [] });
      return;
    } catch (e) {
      lastError = e;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(200 * 1.5 ** attempt, 2000));
  }
  throw new Error(
    `Kafka at ${brokers.join(',')} was not ready within ${opts.timeoutMs / 1000}s: ${String(lastError)}${logTail(opts.logFile)}`,
  );
}

function logTail(logFile: string | undefined): string {
  if (!logFile) return '';
  const tail = tailFile(logFile);
  return tail ? `\n--- ${logFile} ---\n${tail}` : '';
}

function javaArgs(jarsDir: string, mainClass: string, args: string[], heap: string[]): string[] {
  return [
    ...heap,
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(kafkaRecipeDir(), 'log4j2.properties')}`,
    '-cp',
    `${jarsDir}/*`, // expanded by java itself
    mainClass,
    ...args,
  ];
}

/** Formats the storage once: KRaft refuses to start on an unformatted log dir. */
async function formatStorage(p: InfraProfile, jarsDir: string, log: Log): Promise<void> {
  const { kafkaData, kafkaProperties } = profilePaths(p);
  if (existsSync(join(kafkaData, 'meta.properties'))) return;
  const clusterId = newClusterId();
  log(`formatting Kafka storage in ${kafkaData} (cluster ${clusterId})`);
  const result = await run(
    'java',
    javaArgs(
      jarsDir,
      'kafka.tools.StorageTool',
      ['format', '-t', clusterId, '-c', kafkaProperties, '--standalone'],
      ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'],
    ),
  );
  if (result.code !== 0) {
    throw new Error(
      `Formatting the Kafka storage failed (exit ${result.code ?? result.signal}):\n${lastLines(result.output)}`,
    );
  }
}

/**
 * Starts this profile's broker unless it already runs. Returns whether the caller owns it (must stop it).
 * Not locked: callers hold the profile lock.
 */
export async function startKafkaUnlocked(p: InfraProfile, log: Log): Promise<{ owned: boolean }> {
  const paths = profilePaths(p);
  const brokers = kafkaBrokersFor(p);
  const running = runningKafka(p);
  if (running) {
    await waitForKafka(brokers, {
      timeoutMs: 90_000,
      offsetsPartitions: OFFSETS_TOPIC_PARTITIONS,
      stillRunning: () => isRecordAlive(running),
      logFile: paths.kafkaLog,
    });
    const owned = claimIfOrphaned(paths.kafkaOwner);
    log(`Kafka already running on 127.0.0.1:${p.kafkaPort}${owned ? ' (left over; adopted)' : ''}`);
    return { owned };
  }
  if (await portAnswers(p.kafkaPort)) {
    try {
      await waitForKafka(brokers, { timeoutMs: 5000 });
    } catch {
      throw new Error(
        `Port ${p.kafkaPort} is taken by another program, not this profile's Kafka. Stop it, or set KAFKA_BROKERS ` +
          'to use an existing Kafka.',
      );
    }
    log(
      `reusing the Kafka that already answers on 127.0.0.1:${p.kafkaPort} (not started from ${p.stateDir})`,
    );
    return { owned: false };
  }

  const started = Date.now();
  const jarsDir = await resolveKafkaJars({ log });
  await assertJava();
  makeDirs(paths.kafkaData);
  writeFileSync(paths.kafkaProperties, renderServerProperties(p));
  await formatStorage(p, jarsDir, log);

  const out = openSync(paths.kafkaLog, 'a');
  let child: ChildProcess;
  try {
    // its own process group (detached): Ctrl-C in a terminal does not hit the broker; we stop it deliberately
    child = spawn(
      'java',
      javaArgs(
        jarsDir,
        'kafka.Kafka',
        [paths.kafkaProperties],
        [
          '-Xms256m',
          '-Xmx512m',
          '-XX:+UseSerialGC',
          '-XX:TieredStopAtLevel=1',
          '-XX:+ExitOnOutOfMemoryError',
        ],
      ),
      { cwd: paths.kafkaDir, detached: true, stdio: ['ignore', out, out] },
    );
  } finally {
    closeSync(out);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const failed = child;
    throw new Error(
      await new Promise<string>((r) => failed.once('error', (e) => r(`Could not start java: ${e.message}`))),
    );
  }
  child.unref();
  const rec = recordOf(pid);
  writePidFile(paths.kafkaPid, rec);
  claim(paths.kafkaOwner);
  try {
    await waitForKafka(brokers, {
      timeoutMs: 90_000,
      offsetsPartitions: OFFSETS_TOPIC_PARTITIONS,
      stillRunning: () => isRecordAlive(rec),
      logFile: paths.kafkaLog,
    });
  } catch (e) {
    await stopKafkaUnlocked(p, () => undefined);
    throw e;
  }
  log(`Kafka ready on 127.0.0.1:${p.kafkaPort} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  return { owned: true };
}

/** SIGTERM (controlled shutdown) to the broker's process group; SIGKILL if it is not gone after 20s. */
export async function stopKafkaUnlocked(p: InfraProfile, log: Log): Promise<void> {
  const paths = profilePaths(p);
  const rec = runningKafka(p);
  if (rec) {
    const how = await terminateProcessGroup(rec, 20_000);
    log(`Kafka on 127.0.0.1:${p.kafkaPort} stopped${how === 'killed' ? ' (killed after 20s)' : ''}`);
  }
  removeFile(paths.kafkaPid);
  removeFile(paths.kafkaOwner);
}
