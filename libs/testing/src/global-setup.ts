import { infraProfile, startInfra, type RunningInfra } from '@unionfed/infra';

/**
 * Jest global setup for the integration and e2e projects: brings up (or reuses) the real PostgreSQL and Kafka
 * of the 'test' profile — the same code `npm start` uses — and hands their addresses to the test workers.
 */
export default async function globalSetup(): Promise<void> {
  const infra = await startInfra(infraProfile('test'));
  (globalThis as { __unionfedInfra?: RunningInfra[] }).__unionfedInfra ??= [];
  (globalThis as { __unionfedInfra?: RunningInfra[] }).__unionfedInfra!.push(infra);
  process.env.UNIONFED_TEST_DATABASE_URL = infra.databaseUrl;
  process.env.UNIONFED_TEST_KAFKA_BROKERS = infra.kafkaBrokers.join(',');
}
