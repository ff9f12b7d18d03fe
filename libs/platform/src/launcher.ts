import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_EVENTS, type TopicContract } from '@unionfed/contracts';
import { createKafka, ensureTopics } from '@unionfed/messaging';
import {
  DOMAIN_SERVICES,
  SERVICES,
  START_ORDER,
  subgraphUrlVariable,
  type ServiceName,
} from '@unionfed/service-kit';
import { databaseUrlFor, ensureDatabases, repoRoot } from '@unionfed/infra';

export interface PlatformOptions {
  /** admin URL of the PostgreSQL server (database `postgres`) */
  adminDatabaseUrl: string;
  kafkaBrokers: string[];
  /** added to every service's default port, so a test platform can run beside a dev one */
  portOffset?: number;
  /** where each service's log goes (<logDir>/<service>.log) */
  logDir: string;
  /** suffix for database names (tests use their own databases) */
  databaseSuffix?: string;
  /** extra environment for every service */
  env?: NodeJS.ProcessEnv;
  /** Node flags for every service instead of NODE_FLAGS (e.g. production's, to measure as it runs) */
  nodeFlags?: string[];
  readyTimeoutMs?: number;
}

export interface ServiceProcess {
  name: ServiceName;
  port: number;
  baseUrl: string;
  logFile: string;
  child?: ChildProcess;
}

export function platformTopics(): TopicContract[] {
  return [...new Map(ALL_EVENTS.map((e) => [e.topic.name, e.topic])).values()];
}

export function databaseNameOf(name: ServiceName, suffix = ''): string | undefined {
  const database = SERVICES[name].database;
  return database ? `${database}${suffix}` : undefined;
}

/** Creates the services' databases and every topic (with its DLQ) when missing. Idempotent. */
export async function preparePlatform(options: PlatformOptions): Promise<void> {
  const databases = START_ORDER.map((name) => databaseNameOf(name, options.databaseSuffix)).filter(
    (name): name is string => name !== undefined,
  );
  await ensureDatabases(options.adminDatabaseUrl, databases);
  await ensureTopics(createKafka('unionfed-setup', options.kafkaBrokers), platformTopics());
}

/** Small young generation: six services share one machine; measured to save ~30 MB each at idle. */
export const NODE_FLAGS = ['--max-semi-space-size=2', '--enable-source-maps'];

/**
 * The gateway takes every request and allocates for each (plans, subgraph answers, the merged result): with the
 * small young generation it spends ≈ 20 % more CPU collecting garbage under load, so it keeps V8's default
 * (16 MB semi-spaces), as in production (deploy/docker/Dockerfile), for a few MB more at idle.
 */
export const GATEWAY_NODE_FLAGS = ['--enable-source-maps'];

/** The Node flags a service runs with (unless the options give others for every service). */
export function nodeFlagsFor(name: ServiceName): string[] {
  return name === 'gateway' ? GATEWAY_NODE_FLAGS : NODE_FLAGS;
}

/** Services run compiled (`npm run build` → dist/): no compiler in the running process. */
export function builtEntryPoint(name: ServiceName): string {
  const entry = join(repoRoot(), 'dist', 'apps', name, 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return entry;
}

/** A child that was killed by a signal has no exit code, only a signal code. */
function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Why a service stopped while starting, in one plain line: from its log (pino JSON lines), the last fatal or
 * error entry — its message and its error's — else the log's last line.
 */
export function failureReason(log: string): string {
  const lines = log.trimEnd().split('\n').filter(Boolean);
  for (const line of [...lines].reverse()) {
    let entry: { level?: number | string; msg?: string; message?: string; err?: { message?: string } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    const level = typeof entry.level === 'number' ? entry.level : String(entry.level).toUpperCase();
    if (!(level === 'ERROR' || level === 'FATAL' || (typeof level === 'number' && level >= 50))) continue;
    const what = entry.msg ?? entry.message ?? '';
    const why = entry.err?.message?.split('\n')[0];
    return (
      [what, why]
        .filter(Boolean)
        .map((part) => part!.replace(/^Error: /, ''))
        .join(': ') || line.slice(0, 300)
    );
  }
  return lines.at(-1)?.slice(0, 300) ?? '(nothing logged)';
}

/** A service that did not come up: `message` is one plain line; the log file says the rest. */
export class ServiceStartError extends Error {
  constructor(
    readonly service: ServiceName,
    reason: string,
    readonly logFile: string,
  ) {
    super(`${service} ${reason}`);
    this.name = 'ServiceStartError';
  }
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The running platform: every service as its own Node process, as in production. Used by `npm start` and by
 * the end-to-end tests, which also kill and restart services to prove nothing is lost.
 */
export class Platform {
  readonly services = new Map<ServiceName, ServiceProcess>();

  constructor(private readonly options: PlatformOptions) {
    const offset = options.portOffset ?? 0;
    for (const name of START_ORDER) {
      const port = SERVICES[name].port + offset;
      this.services.set(name, {
        name,
        port,
        baseUrl: `http://127.0.0.1:${port}`,
        logFile: join(options.logDir, `${name}.log`),
      });
    }
  }

  get gatewayUrl(): string {
    return `${this.service('gateway').baseUrl}/graphql`;
  }

  service(name: ServiceName): ServiceProcess {
    return this.services.get(name)!;
  }

  private environment(name: ServiceName): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...this.options.env,
      PORT: String(this.service(name).port),
      HOST: '127.0.0.1',
      KAFKA_BROKERS: this.options.kafkaBrokers.join(','),
    };
    const database = databaseNameOf(name, this.options.databaseSuffix);
    if (database) env.DATABASE_URL = databaseUrlFor(this.options.adminDatabaseUrl, database);
    else delete env.DATABASE_URL;
    if (name === 'gateway') {
      for (const subgraph of DOMAIN_SERVICES)
        env[subgraphUrlVariable(subgraph)] = `${this.service(subgraph).baseUrl}/graphql`;
    } else {
      // subgraphs verify access tokens with the gateway's published keys
      env.UNIONFED_JWKS_URL ??= `${this.service('gateway').baseUrl}/.well-known/jwks.json`;
    }
    return env;
  }

  /** Starts the domain services side by side, then the gateway once they are ready. */
  async startAll(): Promise<void> {
    await Promise.all(DOMAIN_SERVICES.map((name) => this.start(name)));
    await this.start('gateway');
  }

  async start(name: ServiceName): Promise<void> {
    const service = this.service(name);
    if (service.child && isRunning(service.child)) return;
    mkdirSync(this.options.logDir, { recursive: true });
    const log = createWriteStream(service.logFile, { flags: 'a' });
    await new Promise((resolve) => log.once('open', resolve));
    const child = spawn(
      process.execPath,
      [...(this.options.nodeFlags ?? nodeFlagsFor(name)), builtEntryPoint(name)],
      {
        cwd: repoRoot(),
        env: this.environment(name),
        stdio: ['ignore', log, log],
      },
    );
    service.child = child;
    child.once('exit', () => log.end());
    await this.waitReady(service);
  }

  private async waitReady(service: ServiceProcess): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 90_000);
    for (let delay = 100; ; delay = Math.min(delay * 1.5, 1000)) {
      if (service.child && !isRunning(service.child)) {
        const how = service.child.exitCode ?? service.child.signalCode;
        throw new ServiceStartError(
          service.name,
          `exited (${how}) while starting: ${failureReason(readLog(service.logFile))}`,
          service.logFile,
        );
      }
      const ready = await fetch(`${service.baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) })
        .then((r) => r.ok)
        .catch(() => false);
      if (ready) return;
      if (Date.now() > deadline)
        throw new ServiceStartError(
          service.name,
          `was not ready in time (last logged: ${failureReason(readLog(service.logFile))})`,
          service.logFile,
        );
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** Stops a service: SIGTERM (graceful: the relay and consumers finish their batch), or the given signal. */
  async stop(name: ServiceName, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<void> {
    const child = this.service(name).child;
    if (!child || !isRunning(child)) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  /** Stops everything, the gateway first. */
  async stopAll(): Promise<void> {
    await this.stop('gateway');
    await Promise.all(DOMAIN_SERVICES.map((name) => this.stop(name)));
  }
}

/** Prepares and starts the whole platform. */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  await preparePlatform(options);
  const platform = new Platform(options);
  try {
    await platform.startAll();
  } catch (error) {
    await platform.stopAll();
    throw error;
  }
  return platform;
}
