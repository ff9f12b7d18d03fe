import type { Kafka } from 'kafkajs';
import { dlqTopicOf, type TopicContract } from '@unionfed/contracts';

export interface TopicLayout {
  partitions: number;
  replicationFactor: number;
}

export const LOCAL_TOPIC_LAYOUT: TopicLayout = { partitions: 3, replicationFactor: 1 };

/** Creates every topic of the registry and its dead-letter twin; topics that exist are left as they are. */
export async function ensureTopics(
  kafka: Kafka,
  topics: TopicContract[],
  layout = LOCAL_TOPIC_LAYOUT,
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = topics.flatMap((t) => [
      { topic: t.name, numPartitions: layout.partitions },
      { topic: dlqTopicOf(t.name), numPartitions: 1 },
    ]);
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        topics: missing.map((t) => ({ ...t, replicationFactor: layout.replicationFactor })),
        waitForLeaders: true,
      });
    }
    return missing.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}
