import type { DataSource, EntityManager } from 'typeorm';
import type { EventEnvelope } from './envelope';

export interface Delivery {
  envelope: EventEnvelope;
  topic: string;
  partition: number;
  offset: string;
}

export type InboxOutcome = 'applied' | 'duplicate';

/**
 * The idempotent inbox: a consumer's effects and the record that it saw the event commit in ONE transaction,
 * so a redelivered event (after a crash, a rebalance or a replay) changes nothing.
 */
export class Inbox {
  constructor(private readonly dataSource: DataSource) {}

  process(
    consumer: string,
    delivery: Delivery,
    effect: (manager: EntityManager) => Promise<void>,
  ): Promise<InboxOutcome> {
    return this.dataSource.transaction(async (manager) => {
      const inserted: unknown[] = await manager.query(
        `INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (consumer, event_id) DO NOTHING
         RETURNING event_id`,
        [
          consumer,
          delivery.envelope.id,
          delivery.envelope.type,
          delivery.topic,
          delivery.partition,
          delivery.offset,
        ],
      );
      if (inserted.length === 0) return 'duplicate';
      await effect(manager);
      return 'applied';
    });
  }
}
