import { Kafka, logLevel, type KafkaConfig, type ProducerConfig } from 'kafkajs';

/** Brokers from KAFKA_BROKERS (comma-separated host:port). */
export function kafkaBrokersFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set (e.g. KAFKA_BROKERS=127.0.0.1:59092)');
  return brokers;
}

/**
 * The one Kafka client configuration of the platform: unique client ids, timeouts from the environment and
 * retries long enough to ride out a broker restart.
 */
export function kafkaClientConfig(clientId: string, brokers: string[] = kafkaBrokersFromEnv()): KafkaConfig {
  return {
    clientId,
    brokers,
    connectionTimeout: Number(process.env.KAFKA_CONNECTION_TIMEOUT_MS ?? 3000),
    requestTimeout: Number(process.env.KAFKA_REQUEST_TIMEOUT_MS ?? 30000),
    retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 3000 },
    logLevel: process.env.KAFKA_LOG_LEVEL === 'debug' ? logLevel.DEBUG : logLevel.ERROR,
  };
}

/** Idempotent producer with acks=all; one request in flight keeps per-partition order through retries. */
export const RELIABLE_PRODUCER: ProducerConfig = {
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  // few quick retries: the outbox relay owns the long-term retry (rows stay unpublished, backoff), so a
  // batch fails fast and its row locks are released while the broker is away
  retry: { initialRetryTime: 200, retries: 2, maxRetryTime: 2000 },
};

export function createKafka(clientId: string, brokers?: string[]): Kafka {
  return new Kafka(kafkaClientConfig(clientId, brokers));
}
