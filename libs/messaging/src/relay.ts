import { Client } from 'pg';
import type { DataSource, QueryRunner } from 'typeorm';
import type { Producer } from 'kafkajs';
import { inSpan, linkTo, ROOT_CONTEXT, SpanKind, type Link } from '@unionfed/telemetry';
import { OUTBOX_CHANNEL } from './outbox';

/** The relay's span per published batch (a root, linked to the spans that wrote its rows). */
export const RELAY_SPAN = 'outbox publish';

export interface RelayObserver {
  published(rows: number): void;
  failed(rows: number): void;
}

export interface RelayOptions {
  /** connection string for the LISTEN connection (the pool's connections are not kept for it) */
  databaseUrl: string;
  batchSize?: number;
  /** fallback poll when no NOTIFY arrives (missed notification, relay restarted, another replica's rows) */
  pollIntervalMs?: number;
  maxBackoffMs?: number;
  /**
   * Most bytes (payloads, plus an allowance per message for its key and headers) one send to Kafka carries; a
   * larger batch goes out in several sends, one after the other (default 512 KiB). A partition's messages of one
   * send travel as one record batch, which the broker refuses above its `message.max.bytes` (1 MiB by default).
   */
  maxSendBytes?: number;
  /** published rows older than this are deleted, in bounded batches (default 7 days; 0 keeps them) */
  retentionMs?: number;
  observer?: RelayObserver;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/** First key of the two-key advisory locks the relays take on message keys (a constant of this platform). */
const KEY_LOCK_SPACE = 7_302_001;

/** A batch claimed in its own (open) transaction: its rows' keys and rows are locked until it ends. */
interface Claim {
  runner: QueryRunner;
  rows: OutboxRow[];
  /** whether the window was full: more unpublished rows may follow it */
  full: boolean;
  /** where the next batch of this drain starts: after the window, or at its first row another relay holds */
  resumeAfter: string;
}

/** A claimed row, with the figures of the claim's window (the same on every row). */
interface ClaimedRow extends OutboxRow {
  /** unpublished rows the window saw, claimed or not */
  seen: number;
  /** the window's last row */
  window_end: string;
  /** the window's first row whose key another relay holds, if any */
  first_held: string | null;
}

interface OutboxRow {
  seq: string;
  id: string;
  topic: string;
  message_key: string;
  payload: Buffer;
  headers: Record<string, string>;
}

/**
 * Publishes committed outbox rows to Kafka, in order per key, in batches.
 *
 * - Woken by LISTEN/NOTIFY on commit, with a polling fallback.
 * - Rows are claimed together with their key (a transaction-scoped advisory lock on the key), skipping keys
 *   that another replica holds — SKIP LOCKED over keys — so several replicas can run and a key's events are
 *   never reordered between them.
 * - Rows are marked published only after Kafka acknowledged them (idempotent producer, acks=all). If Kafka
 *   refuses, attempts and the error are recorded and the relay backs off; nothing is lost.
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxSendBytes: number;
  private listener?: Client;
  private timer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private running = false;
  private draining?: Promise<void>;
  private wakeRequested = false;
  private failures = 0;
  private published = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly producer: Producer,
    private readonly options: RelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.maxSendBytes = options.maxSendBytes ?? 512 * 1024;
  }

  get publishedCount(): number {
    return this.published;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.listen();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.draining;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /** Publishes until the outbox holds nothing publishable; resolves when done. */
  wake(): Promise<void> {
    if (this.draining) {
      this.wakeRequested = true;
      return this.draining;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.wakeRequested && this.running) {
        this.wakeRequested = false;
        void this.wake();
      }
    });
    return this.draining;
  }

  private async listen(): Promise<void> {
    const client = new Client({
      connectionString: this.options.databaseUrl,
      application_name: 'outbox-relay',
    });
    client.on('notification', () => void this.wake());
    client.on('error', (error) => {
      this.log('warn', 'outbox LISTEN connection lost; polling until it is back', { error: error.message });
      this.listener = undefined;
      this.reconnectTimer = setTimeout(
        () => this.running && this.listen().catch(() => undefined),
        this.pollIntervalMs,
      );
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.listener = client;
    } catch (error) {
      this.log('warn', 'outbox LISTEN unavailable; polling', { error: (error as Error).message });
      await client.end().catch(() => undefined);
    }
  }

  private lastPrune = 0;

  private schedule(delayMs: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      await this.wake();
      if (Date.now() - this.lastPrune > 10 * 60_000) {
        this.lastPrune = Date.now();
        await this.prune().catch((error) =>
          this.log('warn', 'outbox pruning failed', { error: (error as Error).message }),
        );
      }
      const backoff = this.failures === 0 ? this.pollIntervalMs : this.backoffMs();
      this.schedule(backoff);
    }, delayMs);
  }

  private backoffMs(): number {
    const exp = Math.min(this.maxBackoffMs, 200 * 2 ** Math.min(this.failures, 10));
    return exp / 2 + Math.random() * (exp / 2);
  }

  private async drain(): Promise<void> {
    // Two batches at a time: the next one is claimed (read, keys and rows locked) while the one before it is sent
    // to Kafka and marked, so PostgreSQL and Kafka work at once; batches go out one after the other, in queue
    // order. A batch holds its keys until it commits, so the one claimed meanwhile never takes a row of them —
    // when that leaves it nothing (a few keys with many events each), the drain goes on one batch at a time.
    // Within one drain the relay reads on from where its last batch ended: the queue's index still holds the
    // entries of rows published moments ago (until vacuum), and starting from the front each time would wade
    // through them. A row whose key another relay holds is never left behind, though: the next batch starts at it
    // again, so no later row of its key can be claimed before it. After any failure the drain ends; the next one
    // starts from the front.
    let after = '0';
    let sending: Promise<number> | undefined;
    // off once a claim made meanwhile found only the keys of the batch being sent (few keys, many events each):
    // from then on this drain claims each batch after the one before it has committed
    let overlapping = true;
    try {
      for (;;) {
        if (!overlapping && sending) {
          const sent = await sending;
          sending = undefined;
          if (sent < 0) return; // Kafka refused the batch: the poll timer retries after a backoff
        }
        const claim = await this.claim(after);
        const before = await (sending ?? Promise.resolve(0)).catch(async (error: unknown) => {
          await this.abandon(claim);
          throw error;
        });
        if (before < 0) {
          await this.abandon(claim); // Kafka refused the batch before it: the poll timer retries after a backoff
          return;
        }
        if (claim.rows.length === 0) {
          await this.abandon(claim);
          if (sending) {
            // its keys were the batch's just sent: claim again now that they are free, one batch at a time
            sending = undefined;
            overlapping = false;
            continue;
          }
          return; // nothing, or the rest is held by another relay: the next poll
        }
        sending = this.publish(claim);
        if (!claim.full) break;
        after = claim.resumeAfter;
      }
      await sending;
    } catch (error) {
      await sending?.catch(() => undefined);
      this.log('error', 'outbox relay batch failed', { error: (error as Error).message });
    }
  }

  /** One batch: claim, send, mark. Returns how many rows were published, or -1 when Kafka refused. */
  async publishBatch(): Promise<number> {
    return this.publish(await this.claim('0'));
  }

  /** Claims the next batch after `afterSeq` in a transaction of its own, left open for `publish` or `abandon`. */
  private async claim(afterSeq: string): Promise<Claim> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      // The window: the queue's next `batchSize` rows. A relay takes a row only with its key — a
      // transaction-scoped advisory lock on the key's hash, tried ONCE per key of the window — so a key's rows in
      // the window are all claimed or all left, and another relay holding the key (publishing its earlier rows)
      // keeps them all. FOR UPDATE re-checks each row, so a row another relay published meanwhile is not sent
      // twice. Each statement is materialised: the locks are tried on the window's keys only, never on the whole
      // backlog's (a roster import leaves 100,000 distinct keys: a lock each would overflow the lock table).
      const rows: ClaimedRow[] = await runner.query(
        `WITH window_ AS MATERIALIZED (
                SELECT seq, message_key FROM outbox
                 WHERE published_at IS NULL AND seq > $2
                 ORDER BY seq
                 LIMIT $1),
              keys AS MATERIALIZED (
                SELECT message_key FROM (SELECT DISTINCT message_key FROM window_) AS window_keys
                 WHERE pg_try_advisory_xact_lock(${KEY_LOCK_SPACE}, hashtext(message_key)))
         SELECT o.seq, o.id, o.topic, o.message_key, o.payload, o.headers,
                (SELECT count(*) FROM window_)::int AS seen,
                (SELECT max(seq) FROM window_)::text AS window_end,
                (SELECT min(w.seq) FROM window_ w
                  WHERE NOT EXISTS (SELECT 1 FROM keys k WHERE k.message_key = w.message_key))::text AS first_held
           FROM window_ w
           JOIN keys k ON k.message_key = w.message_key
           JOIN outbox o ON o.seq = w.seq
          WHERE o.published_at IS NULL
          ORDER BY o.seq
            FOR UPDATE OF o SKIP LOCKED`,
        [this.batchSize, afterSeq],
      );
      // with no row claimed the window's figures are unknown: `seen` then only says whether to look again
      const [first] = rows;
      return {
        runner,
        rows,
        full: (first?.seen ?? 0) >= this.batchSize,
        resumeAfter: first?.first_held
          ? (BigInt(first.first_held) - 1n).toString()
          : (first?.window_end ?? afterSeq),
      };
    } catch (error) {
      await this.abandon({ runner });
      throw error;
    }
  }

  /** Ends a claim without publishing: its locks go, its rows stay for a later batch. */
  private async abandon({ runner }: Pick<Claim, 'runner'>): Promise<void> {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    await runner.release();
  }

  /**
   * Sends a claimed batch, marks its rows published and commits; -1 when Kafka refused it (attempts recorded).
   * Each message goes out with the trace context its row was written with (the producing span's), so that the
   * consumer continues the producer's trace; the batch has a span of its own, linked to those.
   */
  private publish(claim: Claim): Promise<number> {
    if (claim.rows.length === 0) return this.send(claim);
    return inSpan(
      RELAY_SPAN,
      {
        kind: SpanKind.PRODUCER,
        parent: ROOT_CONTEXT,
        links: () => claim.rows.map((row) => linkTo(row.headers)).filter((link): link is Link => !!link),
        attributes: () => ({
          'messaging.system': 'kafka',
          'messaging.operation.type': 'send',
          'messaging.batch.message_count': claim.rows.length,
        }),
      },
      () => this.send(claim),
    );
  }

  private async send(claim: Claim): Promise<number> {
    const { runner, rows } = claim;
    try {
      if (rows.length === 0) {
        await runner.commitTransaction();
        return 0;
      }
      const seqs = rows.map((r) => r.seq);
      try {
        // in order; if a later send fails, the earlier ones go again with the whole batch (consumers dedupe by id)
        for (const part of bySize(rows, this.maxSendBytes)) {
          await this.producer.sendBatch({ acks: -1, topicMessages: groupByTopic(part) });
        }
      } catch (error) {
        this.failures += 1;
        await runner.query(
          `UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = ANY($1::bigint[])`,
          [seqs, String((error as Error).message).slice(0, 2000)],
        );
        await runner.commitTransaction();
        this.options.observer?.failed(rows.length);
        this.log('warn', 'Kafka refused outbox batch; will retry', {
          rows: rows.length,
          error: (error as Error).message,
        });
        return -1;
      }
      await runner.query(
        `UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE seq = ANY($1::bigint[])`,
        [seqs],
      );
      await runner.commitTransaction();
      this.failures = 0;
      this.published += rows.length;
      this.options.observer?.published(rows.length);
      return rows.length;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  /**
   * Deletes published rows older than the retention, at most `batch` per statement so that pruning never holds
   * long locks; returns how many it deleted.
   */
  async prune(batch = 1000): Promise<number> {
    const retentionMs = this.options.retentionMs ?? 7 * 24 * 3600 * 1000;
    if (retentionMs <= 0) return 0;
    let total = 0;
    for (;;) {
      const [{ n }]: { n: number }[] = await this.dataSource.query(
        `WITH gone AS (
           DELETE FROM outbox WHERE seq IN (
             SELECT seq FROM outbox WHERE published_at < now() - make_interval(secs => $1) ORDER BY seq LIMIT $2)
           RETURNING seq)
         SELECT count(*)::int AS n FROM gone`,
        [retentionMs / 1000, batch],
      );
      total += n;
      if (n < batch) return total;
    }
  }

  private log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
    this.options.log?.(level, message, fields);
  }
}

/** What a message weighs in a send besides its payload: its key, its CloudEvents headers, the record's framing. */
const MESSAGE_OVERHEAD_BYTES = 512;

/** Consecutive runs of rows of at most `maxBytes` each (a single larger row goes alone). */
function* bySize(rows: OutboxRow[], maxBytes: number): Generator<OutboxRow[]> {
  let part: OutboxRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = row.payload.length + MESSAGE_OVERHEAD_BYTES;
    if (part.length > 0 && bytes + size > maxBytes) {
      yield part;
      part = [];
      bytes = 0;
    }
    part.push(row);
    bytes += size;
  }
  if (part.length > 0) yield part;
}

function groupByTopic(rows: OutboxRow[]) {
  const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
  for (const row of rows) {
    const messages = byTopic.get(row.topic) ?? [];
    messages.push({ key: row.message_key, value: row.payload, headers: row.headers });
    byTopic.set(row.topic, messages);
  }
  return [...byTopic.entries()].map(([topic, messages]) => ({ topic, messages }));
}
