import type { KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { EncodedEvent, EventContract, EventRegistry } from '@unionfed/contracts';
import {
  extractTraceContext,
  inSpan,
  linkTo,
  ROOT_CONTEXT,
  SpanKind,
  traceIdIn,
  type Link,
} from '@unionfed/telemetry';
import { fromKafkaHeaders, MalformedEnvelopeError, type EventEnvelope } from './envelope';
import type { EventBatch } from './event-batch';
import { Inbox, type Delivery } from './inbox';
import type { Outbox } from './outbox';
import { BatchWrites } from './batch-writes';
import { backoffMs, isTransient, retryPolicyFromEnv, type RetryPolicy } from './retry';
import type { DeadLetterReason, DeadLetters } from './dead-letters';

/** The outbox of a handler's transaction: what it adds commits with its effect and its inbox row. */
export interface HandlerOutbox {
  /** writes the events in the handler's transaction; they carry the handler's span (which continues the incoming event's trace) */
  add(events: EncodedEvent | EncodedEvent[]): Promise<string[]>;
}

/**
 * What a handler works with: the unit of work of the inbox transaction it runs in. Everything it writes —
 * through `manager`, `writes` or `outbox` — commits together with the event's inbox row, or not at all. It runs
 * in a span of its own (`process <event type>`) whose parent is the producer's span, read from the message's
 * `traceparent`: its SQL, log lines and emitted events continue the producer's trace.
 */
export interface HandlerContext {
  /** the consumer's name in the inbox, e.g. `finance.directory` */
  consumer: string;
  /** the transaction's EntityManager */
  manager: EntityManager;
  /** the event's CloudEvents attributes: id, type, source, time, the producer's trace context, branch */
  envelope: EventEnvelope;
  /** where it came from: topic, partition, offset, key (the aggregate id, the event's subject) */
  delivery: Delivery;
  /** emits the next events in the same transaction (sagas); needs the dispatcher's `outbox` */
  outbox: HandlerOutbox;
  /** projection rows written in bulk before the commit, newest version winning (see BatchWrites) */
  writes: BatchWrites;
}

export type EventHandler<Desc extends DescMessage = DescMessage> = (
  event: MessageShape<Desc>,
  context: HandlerContext,
) => Promise<void>;

export type DispatchOutcome = 'applied' | 'duplicate' | 'ignored' | 'dead-lettered';

/** How a batch's transaction ended: committed, or given up for one transaction per event (`fell-back`). */
export type BatchOutcome = 'committed' | 'fell-back';

export type ConsumerLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** What a dispatcher reports, for metrics. */
export interface ConsumerObserver {
  handled(outcome: DispatchOutcome, eventType: string, durationMs: number): void;
  retried(eventType: string, transient: boolean): void;
  /** a batch transaction ended; `events` is how many events it carried (duplicates included) */
  batch?(outcome: BatchOutcome, events: number): void;
}

export interface DispatcherOptions {
  /** the consumer's name in the inbox, e.g. `finance.directory` */
  consumer: string;
  registry: EventRegistry;
  log?: ConsumerLog;
  /** where messages that cannot be processed go; without it they are retried until they can */
  deadLetters?: DeadLetters;
  retry?: Partial<RetryPolicy>;
  observer?: ConsumerObserver;
  /** keeps the consumer's group session alive while a message is retried */
  sleep?: (ms: number) => Promise<void>;
  /** the service's outbox, for handlers that emit events (`context.outbox`) */
  outbox?: Outbox;
  /**
   * most messages of a partition applied in one transaction (default: `consumerBatchSizeFromEnv()`); a larger
   * batch from Kafka is cut into transactions of this size, its offsets resolved after each
   */
  batchSize?: number;
}

/** Most messages of a partition applied in one transaction (UNIONFED_CONSUMER_BATCH_SIZE, default 500). */
export function consumerBatchSizeFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return Math.max(1, Number(env.UNIONFED_CONSUMER_BATCH_SIZE ?? 500) || 500);
}

const MAJOR_VERSION = /^(.*)\.v(\d+)$/;
/** A consumer's spans: `process <event type>` per event (under the producer's span), `process <topic>` per batch. */
export const CONSUMER_SPAN = 'process';
/** how often a long batch transaction heartbeats the group session (kafkajs sends at most one per interval) */
const HEARTBEAT_EVERY_MS = 500;

/** A received message, read: what the dispatcher will do with it. */
type Step =
  | {
      kind: 'apply';
      message: KafkaMessage;
      type: string;
      delivery: Delivery;
      event: MessageShape<DescMessage>;
      handler: EventHandler;
    }
  | { kind: 'ignored'; message: KafkaMessage; type: string }
  | {
      kind: 'dead-letter';
      message: KafkaMessage;
      type: string;
      reason: DeadLetterReason;
      error: string;
      envelope?: EventEnvelope;
    };
type ApplyStep = Extract<Step, { kind: 'apply' }>;

/** A failed attempt carried from a batch transaction into the event's own retries. */
interface EarlierFailure {
  attempts: number;
  error: unknown;
}

/**
 * Routes received Kafka messages to typed handlers through the idempotent inbox.
 *
 * - `dispatchBatch` takes what the consumer fetched from one partition and applies it in ONE transaction per
 *   `batchSize` messages: one inbox insert for all, the handlers of the events not seen before in offset order,
 *   commit, then the offsets are resolved. A transient failure (database away) retries the transaction with
 *   backoff; any other failure falls back to one transaction per event for that batch, with the retries and
 *   dead-lettering below, so a poison message cannot take the good messages down with it.
 * - `dispatch` handles one message in its own transaction (the fallback, and for callers that have one message).
 * - An event type this consumer does not handle is acknowledged and counted (`ignored`).
 * - A message that cannot be read — no CloudEvents envelope, a major version this consumer does not know, an
 *   undecodable payload — goes to the dead-letter topic at once: retrying cannot help.
 * - A handler that fails is retried with exponential backoff and jitter; after `maxAttempts` the message goes
 *   to the dead-letter topic and the partition moves on. Infrastructure being away (database down) is retried
 *   for as long as it lasts and never dead-letters a message.
 * Retries happen inside the partition's handler, so other partitions go on meanwhile.
 */
export class EventDispatcher {
  private readonly handlers = new Map<string, EventHandler>();
  private readonly topics = new Set<string>();
  private readonly inbox: Inbox;
  private readonly policy: RetryPolicy;
  private readonly batchSize: number;
  readonly counts: Record<DispatchOutcome, number> = {
    applied: 0,
    duplicate: 0,
    ignored: 0,
    'dead-lettered': 0,
  };

  constructor(
    dataSource: DataSource,
    private readonly options: DispatcherOptions,
  ) {
    this.inbox = new Inbox(dataSource);
    this.policy = { ...retryPolicyFromEnv(), ...options.retry };
    this.batchSize = Math.max(1, options.batchSize ?? consumerBatchSizeFromEnv());
  }

  get consumer(): string {
    return this.options.consumer;
  }

  on<Desc extends DescMessage>(contract: EventContract<Desc>, handler: EventHandler<Desc>): this {
    if (this.handlers.has(contract.type)) {
      throw new Error(`${this.options.consumer} handles ${contract.type} twice`);
    }
    this.handlers.set(contract.type, handler as unknown as EventHandler);
    this.topics.add(contract.topic.name);
    return this;
  }

  handledTypes(): string[] {
    return [...this.handlers.keys()];
  }

  /** One message in its own transaction, retried and dead-lettered as the policy says. */
  async dispatch(
    message: KafkaMessage,
    topic: string,
    partition: number,
    heartbeat?: () => Promise<void>,
  ): Promise<DispatchOutcome> {
    const started = performance.now();
    const step = this.read(message, topic, partition);
    const outcome =
      step.kind === 'apply'
        ? await this.applyAlone(step, heartbeat)
        : step.kind === 'dead-letter'
          ? await this.deadLetter(step, topic, partition, 1)
          : 'ignored';
    this.report(step, outcome, performance.now() - started);
    return outcome;
  }

  /**
   * A partition's batch: applied in transactions of up to `batchSize` messages, each followed by resolving its
   * offsets, a commit if the consumer's policy asks for one, and a heartbeat. Stops between transactions when
   * the consumer stops or loses the partition (what is not resolved is delivered again, the inbox absorbs it).
   */
  async dispatchBatch(batch: EventBatch): Promise<void> {
    await dispatchBatchTo([this], batch);
  }

  /** The most messages this dispatcher applies in one transaction. */
  get maxBatch(): number {
    return this.batchSize;
  }

  /** The topics of the event types this dispatcher handles. */
  handledTopics(): string[] {
    return [...this.topics];
  }

  /** Whether any event type this dispatcher handles travels on `topic`. */
  handlesTopic(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** @internal one transaction's messages (see dispatchBatchTo) */
  async dispatchTogether(messages: KafkaMessage[], batch: EventBatch): Promise<void> {
    const steps = messages.map((message) => this.read(message, batch.topic, batch.partition));
    const toApply = steps.filter((step): step is ApplyStep => step.kind === 'apply');
    const outcomes = new Map<Step, { outcome: DispatchOutcome; ms: number }>();

    if (toApply.length > 0) {
      const started = performance.now();
      const applied = await this.applyTogether(toApply, batch);
      // each event's own time (its handler, or its own transactions after a fall-back) plus an equal share of
      // what the events had in common (inbox insert, commit, failed batch attempts)
      const own = [...applied.values()].reduce((sum, a) => sum + a.ms, 0);
      const share = Math.max(0, performance.now() - started - own) / toApply.length;
      for (const [step, a] of applied) outcomes.set(step, { outcome: a.outcome, ms: a.ms + share });
    }
    for (const step of steps) {
      if (step.kind === 'dead-letter') {
        const started = performance.now();
        const outcome = await this.deadLetter(step, batch.topic, batch.partition, 1);
        outcomes.set(step, { outcome, ms: performance.now() - started });
      } else if (step.kind === 'ignored') {
        outcomes.set(step, { outcome: 'ignored', ms: 0 });
      }
    }
    for (const step of steps) {
      const { outcome, ms } = outcomes.get(step)!;
      this.report(step, outcome, ms);
    }
  }

  /**
   * The events of a batch in ONE inbox transaction. A transient failure retries it (for as long as it lasts,
   * heartbeating between attempts); any other failure falls back to one transaction per event, the failed
   * handler's attempt counting as its first.
   */
  private async applyTogether(
    steps: ApplyStep[],
    batch: EventBatch,
  ): Promise<Map<ApplyStep, { outcome: DispatchOutcome; ms: number }>> {
    const keepAlive = heartbeatEvery(HEARTBEAT_EVERY_MS, () => batch.heartbeat());
    for (let attempt = 1; ; attempt++) {
      const handlerMs = new Map<ApplyStep, number>();
      let running: ApplyStep | undefined;
      try {
        // the batch's own span (inbox insert, bulk writes, commit), linked to the traces of its events; each
        // handler runs in its event's span, under the producer's
        const fresh = await inSpan(
          `${CONSUMER_SPAN} ${batch.topic}`,
          {
            parent: ROOT_CONTEXT,
            links: () => steps.map((step) => linkTo(step.delivery.envelope)).filter((l): l is Link => !!l),
            attributes: () => ({
              'messaging.system': 'kafka',
              'messaging.operation.type': 'process',
              'messaging.destination.name': batch.topic,
              'messaging.destination.partition.id': String(batch.partition),
              'messaging.batch.message_count': steps.length,
              'messaging.consumer.group.name': this.options.consumer,
            }),
          },
          () =>
            this.inbox.processMany(
              this.options.consumer,
              steps.map((step) => step.delivery),
              async (manager, fresh) => {
                handlerMs.clear(); // a retried attempt starts over
                const writes = new BatchWrites();
                for (const step of steps) {
                  if (!fresh.has(step.delivery)) continue;
                  running = step;
                  const started = performance.now();
                  await this.inEventSpan(step, () =>
                    step.handler(step.event, this.contextOf(step, manager, writes)),
                  );
                  handlerMs.set(step, performance.now() - started);
                  const beat = keepAlive();
                  if (beat) await beat;
                }
                running = undefined;
                await writes.flush(manager);
              },
            ),
        );
        this.options.observer?.batch?.('committed', steps.length);
        const outcomes = new Map<ApplyStep, { outcome: DispatchOutcome; ms: number }>();
        for (const step of steps) {
          const outcome = fresh.has(step.delivery) ? 'applied' : 'duplicate';
          this.logSettled(step, outcome);
          outcomes.set(step, { outcome, ms: handlerMs.get(step) ?? 0 });
        }
        return outcomes;
      } catch (error) {
        const transient = isTransient(error);
        const failed: ApplyStep = running ?? steps[0];
        this.options.observer?.retried(failed.type, transient);
        const fields = {
          topic: batch.topic,
          partition: batch.partition,
          from_offset: steps[0].delivery.offset,
          to_offset: steps[steps.length - 1].delivery.offset,
          events: steps.length,
          failed_event_id: running?.delivery.envelope.id,
          attempt,
          error: (error as Error).message,
        };
        if (!transient) {
          this.options.observer?.batch?.('fell-back', steps.length);
          this.options.log?.('warn', `batch failed; applying its events one transaction each`, fields);
          return this.applyOneByOne(steps, batch, running && { step: running, error });
        }
        // a consumer that is stopping or lost the partition leaves the batch unresolved: it is delivered again
        if (!batch.isActive()) throw error;
        this.options.log?.('warn', `batch failed (transient); retrying`, fields);
        await (this.options.sleep ?? delay)(backoffMs(this.policy, Math.min(attempt, 5)));
        await batch.heartbeat().catch(() => undefined);
      }
    }
  }

  private async applyOneByOne(
    steps: ApplyStep[],
    batch: EventBatch,
    blamed?: { step: ApplyStep; error: unknown },
  ): Promise<Map<ApplyStep, { outcome: DispatchOutcome; ms: number }>> {
    const outcomes = new Map<ApplyStep, { outcome: DispatchOutcome; ms: number }>();
    for (const step of steps) {
      const started = performance.now();
      const earlier = blamed?.step === step ? { attempts: 1, error: blamed.error } : undefined;
      const outcome = await this.applyAlone(step, () => batch.heartbeat(), earlier);
      outcomes.set(step, { outcome, ms: performance.now() - started });
    }
    return outcomes;
  }

  /** One event in its own inbox transaction, retried with backoff, dead-lettered after the policy's attempts. */
  private async applyAlone(
    step: ApplyStep,
    heartbeat?: () => Promise<void>,
    earlier?: EarlierFailure,
  ): Promise<DispatchOutcome> {
    if (earlier) {
      const next = await this.afterFailure(step, earlier.attempts, earlier.error, heartbeat);
      if (next === 'dead-lettered') return next;
    }
    for (let attempt = (earlier?.attempts ?? 0) + 1; ; attempt++) {
      try {
        const outcome = await this.inEventSpan(step, () =>
          this.inbox.process(this.options.consumer, step.delivery, async (manager) => {
            const writes = new BatchWrites();
            await step.handler(step.event, this.contextOf(step, manager, writes));
            await writes.flush(manager);
          }),
        );
        this.logSettled(step, outcome);
        return outcome;
      } catch (error) {
        this.options.observer?.retried(step.type, isTransient(error));
        const next = await this.afterFailure(step, attempt, error, heartbeat);
        if (next === 'dead-lettered') return next;
      }
    }
  }

  /** After a failed attempt: dead-letter when the policy's attempts are used up, otherwise wait to retry. */
  private async afterFailure(
    step: ApplyStep,
    attempt: number,
    error: unknown,
    heartbeat?: () => Promise<void>,
  ): Promise<'dead-lettered' | 'retry'> {
    const { envelope } = step.delivery;
    const transient = isTransient(error);
    const fields = {
      trace_id: traceIdIn(envelope),
      event_id: envelope.id,
      attempt,
      error: (error as Error).message,
    };
    if (!transient && attempt >= this.policy.maxAttempts && this.options.deadLetters) {
      this.options.log?.('error', `giving up on ${envelope.type} after ${attempt} attempts`, fields);
      return this.deadLetter(
        {
          kind: 'dead-letter',
          message: step.message,
          type: step.type,
          reason: 'HANDLER_FAILED',
          error: (error as Error).message,
          envelope,
        },
        step.delivery.topic,
        step.delivery.partition,
        attempt,
      );
    }
    this.options.log?.('warn', `${envelope.type} failed${transient ? ' (transient)' : ''}; retrying`, fields);
    // transient waits stay short (≤ 3.2 s by default) so the group session, heartbeated in between, stays alive
    await (this.options.sleep ?? delay)(backoffMs(this.policy, transient ? Math.min(attempt, 5) : attempt));
    await heartbeat?.().catch(() => undefined);
    return 'retry';
  }

  private contextOf(step: ApplyStep, manager: EntityManager, writes: BatchWrites): HandlerContext {
    const { consumer, outbox } = this.options;
    return {
      consumer,
      manager,
      envelope: step.delivery.envelope,
      delivery: step.delivery,
      writes,
      outbox: {
        add: (events) => {
          if (!outbox) throw new Error(`consumer ${consumer} has no outbox to emit events with`);
          return outbox.add(manager, events);
        },
      },
    };
  }

  /**
   * Runs `work` in the event's consumer span: `process <event type>`, its parent the producer's span (the
   * message's `traceparent`), so that the work continues the producer's trace.
   */
  private inEventSpan<T>(step: ApplyStep, work: () => Promise<T>): Promise<T> {
    const { envelope, topic, partition, offset } = step.delivery;
    return inSpan(
      `${CONSUMER_SPAN} ${envelope.type}`,
      {
        kind: SpanKind.CONSUMER,
        parent: extractTraceContext(envelope),
        attributes: () => ({
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': Number(offset),
          'messaging.message.id': envelope.id,
          'messaging.consumer.group.name': this.options.consumer,
          'cloudevents.event_type': envelope.type,
        }),
      },
      work,
    );
  }

  /** Reads a message's envelope and payload and finds its handler: what is to be done with it. */
  private read(message: KafkaMessage, topic: string, partition: number): Step {
    let envelope: EventEnvelope;
    try {
      envelope = fromKafkaHeaders(message.headers);
    } catch (error) {
      if (!(error instanceof MalformedEnvelopeError)) throw error;
      return {
        kind: 'dead-letter',
        message,
        type: 'unknown',
        reason: 'MALFORMED_ENVELOPE',
        error: error.message,
      };
    }
    const { type } = envelope;
    const handler = this.handlers.get(type);
    if (!handler) {
      if (this.handlesAnotherVersionOf(type)) {
        return {
          kind: 'dead-letter',
          message,
          type,
          reason: 'UNSUPPORTED_VERSION',
          error: `this consumer reads other versions of ${type}`,
          envelope,
        };
      }
      return { kind: 'ignored', message, type };
    }
    try {
      const decoded = this.options.registry.decode(type, message.value ?? Buffer.alloc(0));
      if (!decoded) return { kind: 'ignored', message, type };
      const delivery: Delivery = {
        envelope,
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8'),
      };
      return { kind: 'apply', message, type, delivery, event: decoded.message, handler };
    } catch (error) {
      return {
        kind: 'dead-letter',
        message,
        type,
        reason: 'UNDECODABLE',
        error: (error as Error).message,
        envelope,
      };
    }
  }

  private report(step: Step, outcome: DispatchOutcome, durationMs: number): void {
    this.counts[outcome] += 1;
    this.options.observer?.handled(outcome, step.type, durationMs);
  }

  private logSettled(step: ApplyStep, outcome: DispatchOutcome): void {
    const { envelope, topic, partition, offset } = step.delivery;
    this.options.log?.('info', `${outcome} ${envelope.type}`, {
      trace_id: traceIdIn(envelope),
      event_id: envelope.id,
      topic,
      partition,
      offset,
    });
  }

  private handlesAnotherVersionOf(type: string): boolean {
    const name = MAJOR_VERSION.exec(type)?.[1];
    return !!name && [...this.handlers.keys()].some((known) => MAJOR_VERSION.exec(known)?.[1] === name);
  }

  private async deadLetter(
    step: Extract<Step, { kind: 'dead-letter' }>,
    topic: string,
    partition: number,
    attempts: number,
  ): Promise<'dead-lettered'> {
    const { message, reason, error, envelope } = step;
    this.options.log?.('error', `dead-lettering a message: ${reason}`, {
      topic,
      partition,
      offset: message.offset,
      error,
      event_id: envelope?.id,
    });
    if (!this.options.deadLetters) throw new Error(`no dead-letter sink for ${reason}: ${error}`);
    await this.options.deadLetters.send({
      consumer: this.options.consumer,
      topic,
      partition,
      message,
      reason,
      error,
      attempts,
      eventId: envelope?.id,
      eventType: envelope?.type,
    });
    return 'dead-lettered';
  }
}

/**
 * A partition's batch for every consumer of a service that reads its topic: per transaction-sized slice, each
 * consumer applies it in its own inbox transaction, then the slice's offsets are resolved, committed if the
 * policy asks for it and the session heartbeated — so an offset is never resolved before every consumer has
 * committed what it did with the message. Stops between slices when the consumer stops or loses the partition.
 */
export async function dispatchBatchTo(
  dispatchers: readonly EventDispatcher[],
  batch: EventBatch,
): Promise<void> {
  if (dispatchers.length === 0) throw new Error(`no consumer for ${batch.topic}`);
  const size = Math.min(...dispatchers.map((d) => d.maxBatch));
  for (let from = 0; from < batch.messages.length; from += size) {
    if (!batch.isActive()) return;
    const messages = batch.messages.slice(from, from + size);
    for (const dispatcher of dispatchers) await dispatcher.dispatchTogether(messages, batch);
    batch.resolveOffset(messages[messages.length - 1].offset);
    await batch.commitOffsetsIfNecessary();
    await batch.heartbeat();
  }
}

/** A heartbeat that is sent at most every `ms` and never fails the work it keeps alive. */
/** A heartbeat at most every `ms`: the call answers a promise only when one is due (no await per event). */
function heartbeatEvery(ms: number, heartbeat: () => Promise<void>): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < ms) return undefined;
    last = now;
    return heartbeat().catch(() => undefined);
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
