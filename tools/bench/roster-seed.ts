// Seeding the roster benchmarks (bench:roster, bench:dashboard): a roster import job followed to its end, the
// events it wrote published and the member table analysed before the clock starts, and the databases dropped.
import { Client } from 'pg';
import { databaseNameOf, graphqlData } from '@unionfed/platform';
import { START_ORDER } from '@unionfed/service-kit';
import { fmtNumber, sleep } from './lib';

export interface ImportJob {
  status: string;
  created: number;
  processed: number;
  totalRows: number | null;
}

/** Follows a roster import job (printing its progress) until it has ended. */
export async function waitForImport(
  url: string,
  headers: Record<string, string>,
  id: string,
): Promise<ImportJob> {
  for (let last = ''; ; await sleep(500)) {
    const { rosterImport } = await graphqlData<{ rosterImport: ImportJob & { phase: string } }>(
      url,
      'query($id: ID!) { rosterImport(id: $id) { status phase created processed totalRows } }',
      { id },
      headers,
    );
    const line = `  import ${rosterImport.phase.toLowerCase()} ${fmtNumber(rosterImport.processed)}/${fmtNumber(rosterImport.totalRows ?? 0)}`;
    if (line !== last) process.stdout.write(`${line}\n`);
    last = line;
    if (!['QUEUED', 'RUNNING'].includes(rosterImport.status)) return rosterImport;
  }
}

/** Waits until membership's relay has published the import's events, then vacuums the member table. */
export async function settle(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const deadline = Date.now() + 300_000; ; await sleep(500)) {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`);
      if (rows[0].n === 0) break;
      if (Date.now() > deadline) throw new Error(`${rows[0].n} events still unpublished after 300 s`);
    }
    await client.query('VACUUM ANALYZE member');
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM outbox`);
    return rows[0].n;
  } finally {
    await client.end();
  }
}

/** Drops the databases of a platform started with this database suffix. */
export async function dropDatabases(adminUrl: string, suffix: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const name of START_ORDER) {
      const database = databaseNameOf(name, suffix);
      if (database)
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
    }
  } finally {
    await client.end();
  }
}
