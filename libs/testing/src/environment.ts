import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { databaseUrlFor } from '@unionfed/infra';

/** Addresses of the real PostgreSQL and Kafka that the global setup brought up. */
export function testInfrastructure(): { databaseUrl: string; kafkaBrokers: string[] } {
  const databaseUrl = process.env.UNIONFED_TEST_DATABASE_URL;
  const brokers = process.env.UNIONFED_TEST_KAFKA_BROKERS;
  if (!databaseUrl || !brokers) {
    throw new Error(
      'the test infrastructure is not up: run integration tests through jest (its global setup starts it)',
    );
  }
  return { databaseUrl, kafkaBrokers: brokers.split(',') };
}

/** A fresh, empty database of its own for one test file; drop it with the returned function. */
export async function createTestDatabase(
  label: string,
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const { databaseUrl } = testInfrastructure();
  const name = `it_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: databaseUrlFor(databaseUrl, name),
    drop: async () => {
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A topic name no other test uses. */
export function uniqueTopic(label: string): string {
  return `it.${label}.${randomBytes(4).toString('hex')}`;
}
