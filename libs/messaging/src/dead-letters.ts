import type { DataSource } from 'typeorm';
import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { dlqTopicOf } from '@unionfed/contracts';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export type DeadLetterReason =
  'MALFORMED_ENVELOPE' | 'UNSUPPORTED_VERSION' | 'UNDECODABLE' | 'HANDLER_FAILED';

export interface DeadLetter {
  consumer: string;
  topic: string;
  partition: number;
  message: KafkaMessage;
  reason: DeadLetterReason;
  error: string;
  attempts: number;
  eventId?: string;
  eventType?: string;
}

/** The dead letters a consumer has sent away, kept so HQ can list and replay them. */
export class DeadLetterTable1763800000010 implements MigrationInterface {
  name = 'DeadLetterTable1763800000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE dead_letter (
        id                 BIGSERIAL PRIMARY KEY,
        consumer           TEXT NOT NULL,
        event_id           TEXT,
        event_type         TEXT,
        original_topic     TEXT NOT NULL,
        original_partition INTEGER NOT NULL,
        original_offset    BIGINT NOT NULL,
        message_key        BYTEA,
        payload            BYTEA,
        headers            JSONB NOT NULL,
        reason             TEXT NOT NULL,
        error              TEXT NOT NULL,
        attempts           INTEGER NOT NULL,
        dead_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
        replayed_at        TIMESTAMPTZ,
        UNIQUE (consumer, original_topic, original_partition, original_offset)
      )`);
    await q.query(`CREATE INDEX dead_letter_open ON dead_letter (consumer, id) WHERE replayed_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE dead_letter`);
  }
}

function headersAsStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    out[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

/**
 * Sends a message that cannot be processed to `<topic>.dlq` — original headers plus ones naming the original
 * topic, partition, offset, error and attempts — and records it for listing and replay. The record is written
 * only after Kafka took the message; if either fails the caller does not acknowledge, so nothing is lost.
 */
export class DeadLetters {
  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: Producer,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    const original = headersAsStrings(letter.message.headers);
    const headers = {
      ...original,
      unionfed_dlq_consumer: letter.consumer,
      unionfed_dlq_original_topic: letter.topic,
      unionfed_dlq_original_partition: String(letter.partition),
      unionfed_dlq_original_offset: letter.message.offset,
      unionfed_dlq_reason: letter.reason,
      unionfed_dlq_error: letter.error.slice(0, 1000),
      unionfed_dlq_attempts: String(letter.attempts),
      unionfed_dlq_failed_at: new Date().toISOString(),
    };
    await this.producer.send({
      topic: dlqTopicOf(letter.topic),
      acks: -1,
      messages: [{ key: letter.message.key, value: letter.message.value, headers }],
    });
    await this.dataSource.query(
      `INSERT INTO dead_letter (consumer, event_id, event_type, original_topic, original_partition, original_offset,
                                message_key, payload, headers, reason, error, attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12)
       ON CONFLICT (consumer, original_topic, original_partition, original_offset) DO NOTHING`,
      [
        letter.consumer,
        letter.eventId ?? null,
        letter.eventType ?? null,
        letter.topic,
        letter.partition,
        letter.message.offset,
        letter.message.key ?? null,
        letter.message.value ?? null,
        JSON.stringify(original),
        letter.reason,
        letter.error.slice(0, 4000),
        letter.attempts,
      ],
    );
  }

  /** Dead letters of the consumer(s) (e.g. every consumer of a service) not yet replayed, oldest first. */
  async list(consumers: string | readonly string[], limit = 100): Promise<DeadLetterRow[]> {
    return this.dataSource.query(
      `SELECT id::text, consumer, event_id AS "eventId", event_type AS "eventType", original_topic AS topic,
              original_partition AS partition, original_offset::text AS "offset", reason, error, attempts,
              dead_at AS "deadAt"
         FROM dead_letter WHERE consumer = ANY($1::text[]) AND replayed_at IS NULL ORDER BY id LIMIT $2`,
      [typeof consumers === 'string' ? [consumers] : consumers, limit],
    );
  }

  /**
   * Puts dead letters back on their original topic, unchanged (same event id), once the cause is fixed. Every
   * consumer of the topic receives them again; the inbox keeps the effect to one per consumer.
   */
  async replay(consumers: string | readonly string[], ids?: string[]): Promise<number> {
    const rows: {
      id: string;
      original_topic: string;
      message_key: Buffer | null;
      payload: Buffer | null;
      headers: Record<string, string>;
    }[] = await this.dataSource.query(
      `SELECT id::text, original_topic, message_key, payload, headers FROM dead_letter
          WHERE consumer = ANY($1::text[]) AND replayed_at IS NULL AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))
          ORDER BY id`,
      [typeof consumers === 'string' ? [consumers] : consumers, ids ?? null],
    );
    for (const row of rows) {
      await this.producer.send({
        topic: row.original_topic,
        acks: -1,
        messages: [{ key: row.message_key, value: row.payload, headers: row.headers }],
      });
      await this.dataSource.query(`UPDATE dead_letter SET replayed_at = now() WHERE id = $1`, [row.id]);
    }
    return rows.length;
  }
}

export interface DeadLetterRow {
  id: string;
  consumer: string;
  eventId: string | null;
  eventType: string | null;
  topic: string;
  partition: number;
  offset: string;
  reason: DeadLetterReason;
  error: string;
  attempts: number;
  deadAt: Date;
}
