import type { DataSource, EntityManager } from 'typeorm';
import { queryPrepared } from '@unionfed/persistence';
import type { EventEnvelope } from './envelope';

export interface Delivery {
  envelope: EventEnvelope;
  topic: string;
  partition: number;
  offset: string;
  /** the message key: the aggregate id (the event's subject) */
  key?: string;
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

  /**
   * Many deliveries of ONE partition in ONE transaction: records them all with one statement, runs `effect` with
   * those not seen before — in the order given; of an event delivered twice in the same batch only the first —
   * and commits. Resolves to the deliveries that were applied; the others were duplicates.
   */
  async processMany(
    consumer: string,
    deliveries: readonly Delivery[],
    effect: (manager: EntityManager, fresh: ReadonlySet<Delivery>) => Promise<void>,
  ): Promise<ReadonlySet<Delivery>> {
    if (deliveries.length === 0) return new Set();
    const { topic, partition } = deliveries[0];
    if (deliveries.some((d) => d.topic !== topic || d.partition !== partition)) {
      throw new Error('Inbox.processMany takes the deliveries of one partition');
    }
    return this.dataSource.transaction(async (manager) => {
      // the offset identifies a delivery within its partition; rows are inserted in the order given, so of two
      // deliveries of one event the first is the one inserted (the second meets the conflict)
      const inserted = await queryPrepared<{ kafka_offset: string }>(
        manager,
        `INSERT INTO inbox (consumer, event_id, event_type, topic, kafka_partition, kafka_offset)
         SELECT $1, d.event_id, d.event_type, $2, $3, d.kafka_offset
           FROM unnest($4::uuid[], $5::text[], $6::bigint[]) WITH ORDINALITY AS d(event_id, event_type, kafka_offset, n)
          ORDER BY d.n
         ON CONFLICT (consumer, event_id) DO NOTHING
         RETURNING kafka_offset::text`,
        [
          consumer,
          topic,
          partition,
          deliveries.map((d) => d.envelope.id),
          deliveries.map((d) => d.envelope.type),
          deliveries.map((d) => d.offset),
        ],
      );
      const offsets = new Set(inserted.map((row) => row.kafka_offset));
      const fresh = new Set(deliveries.filter((d) => offsets.has(d.offset)));
      await effect(manager, fresh);
      return fresh;
    });
  }
}
