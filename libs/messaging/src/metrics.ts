import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { Kafka } from 'kafkajs';
import type { BatchOutcome, ConsumerObserver, DispatchOutcome } from './dispatcher';
import type { RelayObserver } from './relay';

/**
 * The event backbone's Prometheus metrics for one service: outbox backlog and age of its oldest unpublished row,
 * publish rate and failures, consumer lag per partition, handler duration, retries, dead letters and the
 * duplicates the inbox absorbed. Gauges that need a query (backlog, lag) are computed when scraped.
 */
export class MessagingMetrics {
  readonly registry = new Registry();
  private readonly published = new Counter({
    name: 'unionfed_outbox_published_total',
    help: 'Outbox rows published to Kafka',
    registers: [this.registry],
  });
  private readonly publishFailures = new Counter({
    name: 'unionfed_outbox_publish_failures_total',
    help: 'Outbox batches Kafka refused (the rows stay and are retried)',
    registers: [this.registry],
  });
  private readonly handled = new Counter({
    name: 'unionfed_consumer_events_total',
    help: 'Events received by a consumer, by outcome (applied, duplicate, ignored, dead-lettered)',
    labelNames: ['consumer', 'outcome', 'type'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'unionfed_consumer_handler_duration_seconds',
    help: 'Time to handle one event, retries included (in a batch: its handler plus its share of the transaction)',
    labelNames: ['consumer', 'type'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'unionfed_consumer_retries_total',
    help: 'Handler attempts that failed and were retried',
    labelNames: ['consumer', 'type', 'transient'],
    registers: [this.registry],
  });
  private readonly deadLetters = new Counter({
    name: 'unionfed_consumer_dead_letters_total',
    help: 'Messages sent to a dead-letter topic',
    labelNames: ['consumer'],
    registers: [this.registry],
  });
  private readonly duplicates = new Counter({
    name: 'unionfed_consumer_duplicates_total',
    help: 'Redelivered events the inbox absorbed',
    labelNames: ['consumer'],
    registers: [this.registry],
  });
  private readonly batches = new Counter({
    name: 'unionfed_consumer_batches_total',
    help: 'Batch transactions of a consumer, by outcome (committed, fell-back: applied one transaction per event)',
    labelNames: ['consumer', 'outcome'],
    registers: [this.registry],
  });
  private readonly batchSize = new Histogram({
    name: 'unionfed_consumer_batch_events',
    help: 'Events per committed batch transaction',
    labelNames: ['consumer'],
    buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });
  private readonly lagWatches: { groupId: string; topics: string[] }[] = [];

  constructor(service: string, dataSource: DataSource, kafka: Kafka) {
    this.registry.setDefaultLabels({ service });
    new Gauge({
      name: 'unionfed_outbox_backlog',
      help: 'Outbox rows not yet published',
      registers: [this.registry],
      async collect() {
        const [row] = await dataSource
          .query(`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL`)
          .catch(() => [{ n: -1 }]);
        this.set(row.n);
      },
    });
    new Gauge({
      name: 'unionfed_outbox_oldest_unpublished_age_seconds',
      help: 'Age of the oldest unpublished outbox row (0 when none)',
      registers: [this.registry],
      async collect() {
        const [row] = await dataSource
          .query(
            `SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float AS age FROM outbox WHERE published_at IS NULL`,
          )
          .catch(() => [{ age: -1 }]);
        this.set(row.age);
      },
    });
    const watches = this.lagWatches;
    new Gauge({
      name: 'unionfed_consumer_lag',
      help: 'Messages on a partition not yet consumed by the group',
      labelNames: ['group', 'topic', 'partition'],
      registers: [this.registry],
      async collect() {
        this.reset();
        if (watches.length === 0) return;
        const admin = kafka.admin();
        try {
          await admin.connect();
          for (const { groupId, topics } of watches) {
            const committed = await admin.fetchOffsets({ groupId, topics });
            for (const { topic, partitions } of committed) {
              const ends = new Map(
                (await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]),
              );
              for (const { partition, offset } of partitions) {
                const end = ends.get(partition) ?? 0;
                const done = Number(offset) < 0 ? 0 : Number(offset);
                this.set({ group: groupId, topic, partition: String(partition) }, Math.max(0, end - done));
              }
            }
          }
        } catch {
          // Kafka away: no lag figures in this scrape (the outbox gauges still tell the story)
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      },
    });
  }

  relayObserver(): RelayObserver {
    return {
      published: (rows) => this.published.inc(rows),
      failed: () => this.publishFailures.inc(),
    };
  }

  consumerObserver(consumer: string): ConsumerObserver {
    return {
      handled: (outcome: DispatchOutcome, type: string, durationMs: number) => {
        this.handled.inc({ consumer, outcome, type });
        this.duration.observe({ consumer, type }, durationMs / 1000);
        if (outcome === 'dead-lettered') this.deadLetters.inc({ consumer });
        if (outcome === 'duplicate') this.duplicates.inc({ consumer });
      },
      retried: (type: string, transient: boolean) =>
        this.retries.inc({ consumer, type, transient: String(transient) }),
      batch: (outcome: BatchOutcome, events: number) => {
        this.batches.inc({ consumer, outcome });
        if (outcome === 'committed') this.batchSize.observe({ consumer }, events);
      },
    };
  }

  /** Reports the lag of a consumer group on its topics. */
  watchConsumerLag(groupId: string, topics: string[]): void {
    this.lagWatches.push({ groupId, topics });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
