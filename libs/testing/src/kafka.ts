import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { testInfrastructure } from './environment';

export interface ConsumedMessage {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads a topic from the beginning with a throwaway consumer group (so it sees every message), either until
 * `until(messages)` holds (rejecting when `timeoutMs` runs out first) or, without `until`, for `timeoutMs`.
 */
export async function readTopic(
  topic: string,
  { until, timeoutMs = 30_000 }: { until?: (messages: ConsumedMessage[]) => boolean; timeoutMs?: number },
): Promise<ConsumedMessage[]> {
  const kafka = new Kafka({
    clientId: 'test-reader',
    brokers: testInfrastructure().kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: `test-reader-${randomBytes(6).toString('hex')}`,
    sessionTimeout: 10_000,
  });
  const messages: ConsumedMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (until)
          reject(new Error(`only ${messages.length} messages arrived on ${topic} in ${timeoutMs} ms`));
        else resolve();
      }, timeoutMs);
      consumer
        .run({
          eachMessage: async ({ topic: t, partition, message }) => {
            messages.push({ topic: t, partition, message });
            if (until?.(messages)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return messages;
  } finally {
    await consumer.disconnect();
  }
}

export function header(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  return value === undefined ? undefined : String(Array.isArray(value) ? value[0] : value);
}
