import type { EntityManager } from 'typeorm';
import type { EncodedEvent } from '@unionfed/contracts';
import { copyRows, uuidv7 } from '@unionfed/persistence';
import { injectTraceContext } from '@unionfed/telemetry';
import { toKafkaHeaders } from './envelope';

export const OUTBOX_CHANNEL = 'unionfed_outbox';

const OUTBOX_COLUMNS = ['id', 'topic', 'message_key', 'event_type', 'payload', 'headers'];
/** From this many events on, a transaction's events go in with COPY (bulk writes such as a roster import). */
const COPY_FROM_ROWS = 50;

/**
 * Writes integration events to the outbox inside the caller's transaction. The relay publishes them after the
 * transaction commits; if it rolls back, they never existed. Each row's headers keep the trace context of the
 * active span (the unit of work's, or a consumer handler's), which the relay sends as the message's
 * `traceparent`: the consumer's span continues it.
 */
export class Outbox {
  constructor(private readonly source: string) {}

  async add(manager: EntityManager, events: EncodedEvent | EncodedEvent[]): Promise<string[]> {
    const list = Array.isArray(events) ? events : [events];
    if (list.length === 0) return [];
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error(
        'Outbox.add must run inside the transaction that changes the state (run it in a UnitOfWork)',
      );
    }
    const trace = injectTraceContext<{ traceparent?: string; tracestate?: string }>({});
    const time = new Date().toISOString();
    const rows = list.map((event) => {
      const id = uuidv7();
      const headers = toKafkaHeaders({
        id,
        type: event.type,
        source: this.source,
        time,
        ...trace,
        branchId: event.branchId,
      });
      return [id, event.topic, event.key, event.type, event.payload, headers] as const;
    });
    if (rows.length >= COPY_FROM_ROWS) {
      await copyRows(manager, 'outbox', OUTBOX_COLUMNS, rows);
    } else {
      const values: unknown[] = [];
      const placeholders = rows.map(([id, topic, key, type, payload, headers], i) => {
        values.push(id, topic, key, type, Buffer.from(payload), JSON.stringify(headers));
        const o = i * 6;
        return `($${o + 1}, $${o + 2}, $${o + 3}, $${o + 4}, $${o + 5}, $${o + 6}::jsonb)`;
      });
      await manager.query(
        `INSERT INTO outbox (${OUTBOX_COLUMNS.join(', ')}) VALUES ${placeholders.join(', ')}`,
        values,
      );
    }
    return rows.map(([id]) => id);
  }
}
