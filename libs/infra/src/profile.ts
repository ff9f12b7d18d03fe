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

export function infraProfile(name: ProfileName, env: NodeJS.ProcessEnv = process.env): InfraProfile {
  const ports = PORTS[name];
  if (!ports) throw new Error(`Unknown infrastructure profile '${name}' (expected 'dev' or 'test')`);
  return { name, stateDir: join(unionfedHome(env), name), ...ports };
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
