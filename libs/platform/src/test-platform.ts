import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Client } from 'pg';
import { databaseUrlFor, infraProfile, repoRoot } from '@unionfed/infra';
import { databaseNameOf, startPlatform, type Platform } from './launcher';
import { graphqlData, signIn, type SignedIn } from './graphql-client';
import { SERVICES, START_ORDER, type ServiceName } from '@unionfed/service-kit';

/** The HQ admin every test platform starts with (UNIONFED_ADMIN_PASSWORD). */
export const TEST_ADMIN = { username: 'admin', password: 'Hq-Password-2026' } as const;

export interface TestPlatform {
  platform: Platform;
  gatewayUrl: string;
  /** signed in as the initial HQ admin */
  admin: SignedIn;
  /** URL of a service's own database (to check, e.g., that no outbox row was written) */
  databaseUrl(name: ServiceName): string;
  stop(): Promise<void>;
}

/**
 * The whole platform for end-to-end tests: compiled services as separate processes on free ports and their own
 * fresh databases, over the given (real) PostgreSQL and Kafka.
 */
export async function startTestPlatform(
  infrastructure: { databaseUrl: string; kafkaBrokers: string[] },
  /** extra environment for every service, e.g. a smaller outbox batch for fault tests */
  env: NodeJS.ProcessEnv = {},
): Promise<TestPlatform> {
  const { databaseUrl, kafkaBrokers } = infrastructure;
  execFileSync(process.execPath, [join(repoRoot(), 'tools', 'build', 'build.mjs')], { stdio: 'inherit' });
  const suffix = `_e2e_${randomBytes(3).toString('hex')}`;
  const platform = await startPlatform({
    adminDatabaseUrl: databaseUrl,
    kafkaBrokers,
    portOffset: await freePortOffset(),
    env: {
      UNIONFED_ADMIN_USERNAME: TEST_ADMIN.username,
      UNIONFED_ADMIN_PASSWORD: TEST_ADMIN.password,
      // tests drive the gateway far faster than people do; the limits have tests of their own
      UNIONFED_RATE_LIMIT: '100000/100000',
      UNIONFED_ANONYMOUS_RATE_LIMIT: '100000/100000',
      ...env,
    },
    databaseSuffix: suffix,
    logDir: join(infraProfile('test').stateDir, 'logs', `e2e${suffix}`),
  });
  const admin = await signIn(platform.gatewayUrl, TEST_ADMIN.username, TEST_ADMIN.password);
  return {
    platform,
    gatewayUrl: platform.gatewayUrl,
    admin,
    databaseUrl: (name) => databaseUrlFor(databaseUrl, databaseNameOf(name, suffix)!),
    stop: async () => {
      await platform.stopAll();
      const admin = new Client({ connectionString: databaseUrl });
      await admin.connect();
      try {
        for (const name of START_ORDER)
          if (databaseNameOf(name, suffix))
            await admin.query(`DROP DATABASE IF EXISTS ${databaseNameOf(name, suffix)} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Ports that fetch() refuses to connect to (the WHATWG "bad ports" in this range), e.g. 6000 for X11. */
const FETCH_BLOCKED_PORTS = new Set([
  5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** An offset (from +300 up) at which every service's port is free: test runs never meet a dev platform or each other. */
async function freePortOffset(): Promise<number> {
  for (let offset = 300 + 100 * Math.floor(Math.random() * 20); offset < 20_000; offset += 100) {
    const ports = Object.values(SERVICES).map((s) => s.port + offset);
    if (ports.some((port) => FETCH_BLOCKED_PORTS.has(port))) continue;
    if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) return offset;
  }
  throw new Error('no free ports for a test platform');
}

/** One query against a service's database. */
export async function queryDatabase<T = Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Opens a campus (when `campusId` is not given) and a branch union through the gateway; returns their ids. */
export async function openBranchThroughGateway(
  gatewayUrl: string,
  branch: {
    code: string;
    name: string;
    staffHeadcount?: number;
    campusId?: string;
    campus?: { code: string; name: string };
  },
  /** an HQ admin's headers */
  headers: Record<string, string>,
): Promise<{ campusId: string; branchId: string }> {
  const campusId =
    branch.campusId ??
    (
      await graphqlData<{ openCampus: { id: string } }>(
        gatewayUrl,
        'mutation($input: OpenCampusInput!) { openCampus(input: $input) { id } }',
        { input: branch.campus ?? { code: `C-${branch.code}`, name: '测试校区' } },
        headers,
      )
    ).openCampus.id;
  const { openBranch } = await graphqlData<{ openBranch: { id: string } }>(
    gatewayUrl,
    'mutation($input: OpenBranchInput!) { openBranch(input: $input) { id } }',
    {
      input: {
        campusId,
        code: branch.code,
        name: branch.name,
        kind: 'COLLEGE',
        staffHeadcount: branch.staffHeadcount ?? 20,
      },
    },
    headers,
  );
  return { campusId, branchId: openBranch.id };
}
