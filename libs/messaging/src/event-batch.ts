import type { EachBatchPayload, KafkaMessage } from 'kafkajs';

/**
 * What the consumer hands over at once: consecutive messages of ONE partition, in offset order, and the means to
 * say how far they are done. `EventDispatcher.dispatchBatch` processes it; the Kafka client stays behind this
 * interface (`eventBatchOf` adapts kafkajs' `eachBatch` payload).
 */
export interface EventBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  /**
   * Marks the messages up to and including `offset` as done (effects committed, dead-lettered or ignored); the
   * consumer commits resolved offsets to Kafka. Offsets not resolved are delivered again.
   */
  resolveOffset(offset: string): void;
  /** keeps the consumer's group session alive; rejects when the group is rebalancing */
  heartbeat(): Promise<void>;
  /** commits the resolved offsets now if the consumer's auto-commit policy asks for it */
  commitOffsetsIfNecessary(): Promise<void>;
  /** false once the consumer is stopping or the partition was moved away: stop, the rest is delivered again */
  isActive(): boolean;
}

/** The batch kafkajs hands to `eachBatch` (run with `eachBatchAutoResolve: false`). */
export function eventBatchOf(payload: EachBatchPayload): EventBatch {
  const { batch } = payload;
  return {
    topic: batch.topic,
    partition: batch.partition,
    messages: batch.messages,
    resolveOffset: (offset) => payload.resolveOffset(offset),
    heartbeat: () => payload.heartbeat(),
    commitOffsetsIfNecessary: () => payload.commitOffsetsIfNecessary(),
    isActive: () => payload.isRunning() && !payload.isStale(),
  };
}
