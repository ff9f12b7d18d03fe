import { Kafka, logLevel } from 'kafkajs';
import { createDataSource } from '@unionfed/persistence';
import { DeadLetters, RELIABLE_PRODUCER, kafkaClientConfig } from '@unionfed/messaging';
import { adminUrlFor, databaseUrlFor, infraProfile, kafkaBrokersFor } from '@unionfed/infra';
import { DOMAIN_SERVICES, SERVICES, type ServiceName } from '@unionfed/service-kit';

/** The services that consume events, so have dead letters: every domain service, and the gateway. */
const CONSUMING: ServiceName[] = [...DOMAIN_SERVICES, 'gateway'];

/**
 * Dead-letter tooling for the platform's operators (HQ admins):
 *   npm run dlq -- <service> list                 what the service's consumers dead-lettered, not yet replayed
 *   npm run dlq -- <service> replay <id>… | --all  put them back on their original topic (same event ids)
 * Against `npm start`'s infrastructure by default; DATABASE_URL (the service's database) and KAFKA_BROKERS
 * point it elsewhere.
 */
async function main(): Promise<void> {
  const [service, command, ...rest] = process.argv.slice(2);
  if (!CONSUMING.includes(service as ServiceName) || !['list', 'replay'].includes(command)) {
    console.error(`usage: npm run dlq -- <${CONSUMING.join('|')}> list | replay <id>… | replay --all`);
    process.exit(2);
  }
  const profile = infraProfile('dev');
  const databaseUrl =
    process.env.DATABASE_URL ??
    databaseUrlFor(adminUrlFor(profile), SERVICES[service as ServiceName].database!);
  const brokers = process.env.KAFKA_BROKERS?.split(',') ?? kafkaBrokersFor(profile);
  const dataSource = createDataSource({
    url: databaseUrl,
    entities: [],
    migrations: [],
    applicationName: 'dlq-cli',
  });
  await dataSource.initialize();
  const producer = new Kafka({
    ...kafkaClientConfig('dlq-cli', brokers),
    logLevel: logLevel.NOTHING,
  }).producer(RELIABLE_PRODUCER);
  try {
    const deadLetters = new DeadLetters(dataSource, producer);
    const consumers: { consumer: string }[] = await dataSource.query(
      `SELECT DISTINCT consumer FROM dead_letter WHERE replayed_at IS NULL ORDER BY 1`,
    );
    if (command === 'list') {
      let total = 0;
      for (const { consumer } of consumers) {
        for (const letter of await deadLetters.list(consumer, 1000)) {
          total += 1;
          console.log(
            [
              letter.id,
              consumer,
              letter.reason,
              letter.eventType ?? '-',
              `${letter.topic}[${letter.partition}]@${letter.offset}`,
              `attempts=${letter.attempts}`,
              letter.error,
            ].join('  '),
          );
        }
      }
      console.log(`${total} dead letter(s) waiting in ${service}`);
      return;
    }
    const ids = rest.includes('--all') ? undefined : rest;
    if (ids && ids.length === 0)
      throw new Error('name the dead letters to replay (ids from `list`), or --all');
    await producer.connect();
    let replayed = 0;
    for (const { consumer } of consumers) replayed += await deadLetters.replay(consumer, ids);
    console.log(`replayed ${replayed} dead letter(s) to their original topics`);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(`dlq: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
