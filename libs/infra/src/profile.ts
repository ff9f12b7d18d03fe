import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * A profile is one isolated set of local infrastructure: its own state folder and its own ports, so that
 * `npm start` (dev) and `npm test` (test) can run side by side on one machine.
 */
export type ProfileName = 'dev' | 'test';

export interface InfraProfile {
  name: ProfileName;
  /** everything this profile keeps on disk: PostgreSQL data, Kafka data, logs, pid files */
  stateDir: string;
  postgresPort: number;
  /** the PLAINTEXT listener clients use */
  kafkaPort: number;
  /** the KRaft controller listener; brokers only, never clients */
  kafkaControllerPort: number;
}

const PORTS: Record<ProfileName, Pick<InfraProfile, 'postgresPort' | 'kafkaPort' | 'kafkaControllerPort'>> = {
  dev: { postgresPort: 55432, kafkaPort: 59092, kafkaControllerPort: 59093 },
  test: { postgresPort: 55433, kafkaPort: 59192, kafkaControllerPort: 59193 },
};

/** The directory holding nx.json, found upward from this file (works from src, from jest and from tools/). */
export function repoRoot(from: string = __dirname): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(`Cannot find the repository root (a folder with nx.json) above ${from}`);
    dir = parent;
  }
}

/** Root of all local infrastructure state: $UNIONFED_HOME, else <repoRoot>/.unionfed (git-ignored). */
export function unionfedHome(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.UNIONFED_HOME?.trim();
  return override ? resolve(override) : join(repoRoot(), '.unionfed');
}

/**
 * $UNIONFED_PORT_OFFSET (0–999, default 0) shifts every port of every profile, so that two checkouts on one
 * machine (say, two git worktrees, each with its own UNIONFED_HOME) can run their tests at the same time.
 */
export function portOffset(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.UNIONFED_PORT_OFFSET?.trim();
  if (!raw) return 0;
  const offset = Number(raw);
  if (!Number.isInteger(offset) || offset < 0 || offset > 999)
    throw new Error(`UNIONFED_PORT_OFFSET must be a whole number from 0 to 999, not '${raw}'`);
  return offset;
}

export function infraProfile(name: ProfileName, env: NodeJS.ProcessEnv = process.env): InfraProfile {
  const ports = PORTS[name];
  if (!ports) throw new Error(`Unknown infrastructure profile '${name}' (expected 'dev' or 'test')`);
  const offset = portOffset(env);
  return {
    name,
    stateDir: join(unionfedHome(env), name),
    postgresPort: ports.postgresPort + offset,
    kafkaPort: ports.kafkaPort + offset,
    kafkaControllerPort: ports.kafkaControllerPort + offset,
  };
}

/** Where the pieces of a profile keep their files. One place, so the CLI, stop and status agree. */
export function profilePaths(p: InfraProfile) {
  const postgresDir = join(p.stateDir, 'postgres');
  const kafkaDir = join(p.stateDir, 'kafka');
  return {
    lockFile: join(p.stateDir, 'infra.lock'),
    postgresDir,
    postgresData: join(postgresDir, 'data'),
    postgresLog: join(postgresDir, 'postgres.log'),
    postgresSocketDir: join(postgresDir, 'run'),
    postgresOwner: join(postgresDir, 'owner.pid'),
    kafkaDir,
    kafkaData: join(kafkaDir, 'data'),
    kafkaLog: join(kafkaDir, 'kafka.log'),
    kafkaPid: join(kafkaDir, 'kafka.pid'),
    kafkaOwner: join(kafkaDir, 'owner.pid'),
    kafkaProperties: join(kafkaDir, 'server.properties'),
  };
}
