import type { KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { EventContract, EventRegistry } from '@unionfed/contracts';
import { fromKafkaHeaders, MalformedEnvelopeError, traceIdOf, type EventEnvelope } from './envelope';
import { Inbox, type Delivery } from './inbox';
import { backoffMs, isTransient, retryPolicyFromEnv, type RetryPolicy } from './retry';
import type { DeadLetterReason, DeadLetters } from './dead-letters';

export interface HandlerContext {
  manager: EntityManager;
  envelope: EventEnvelope;
  delivery: Delivery;
}

export type EventHandler<Desc extends DescMessage = DescMessage> = (
  event: MessageShape<Desc>,
  context: HandlerContext,
) => Promise<void>;

export type DispatchOutcome = 'applied' | 'duplicate' | 'ignored' | 'dead-lettered';

export type ConsumerLog = (
  level: 'info' | 'warn' | 'error',
  message: string,
  fields?: Record<string, unknown>,
) => void;

/** What a dispatcher reports, for metrics. */
export interface ConsumerObserver {
  handled(outcome: DispatchOutcome, eventType: string, durationMs: number): void;
  retried(eventType: string, transient: boolean): void;
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
}

const MAJOR_VERSION = /^(.*)\.v(\d+)$/;

/**
 * Routes received Kafka messages to typed handlers through the idempotent inbox.
 *
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
  private readonly inbox: Inbox;
  private readonly policy: RetryPolicy;
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
  }

  get consumer(): string {
    return this.options.consumer;
  }

  on<Desc extends DescMessage>(contract: EventContract<Desc>, handler: EventHandler<Desc>): this {
    this.handlers.set(contract.type, handler as unknown as EventHandler);
    return this;
  }

  handledTypes(): string[] {
    return [...this.handlers.keys()];
  }

  async dispatch(
    message: KafkaMessage,
    topic: string,
    partition: number,
    heartbeat?: () => Promise<void>,
  ): Promise<DispatchOutcome> {
    const started = performance.now();
    const { outcome, type } = await this.route(message, topic, partition, heartbeat);
    this.counts[outcome] += 1;
    this.options.observer?.handled(outcome, type, performance.now() - started);
    return outcome;
  }

  private async route(
    message: KafkaMessage,
    topic: string,
    partition: number,
    heartbeat?: () => Promise<void>,
  ): Promise<{ outcome: DispatchOutcome; type: string }> {
    let envelope: EventEnvelope;
    try {
      envelope = fromKafkaHeaders(message.headers);
    } catch (error) {
      if (!(error instanceof MalformedEnvelopeError)) throw error;
      await this.deadLetter(message, topic, partition, 'MALFORMED_ENVELOPE', error.message, 1);
      return { outcome: 'dead-lettered', type: 'unknown' };
    }
    const letter = (reason: DeadLetterReason, error: string, attempts: number) =>
      this.deadLetter(message, topic, partition, reason, error, attempts, envelope).then(() => ({
        outcome: 'dead-lettered' as const,
        type: envelope.type,
      }));

    const handler = this.handlers.get(envelope.type);
    if (!handler) {
      if (this.handlesAnotherVersionOf(envelope.type)) {
        return letter('UNSUPPORTED_VERSION', `this consumer reads other versions of ${envelope.type}`, 1);
      }
      return { outcome: 'ignored', type: envelope.type };
    }
    let event: MessageShape<DescMessage>;
    try {
      const decoded = this.options.registry.decode(envelope.type, message.value ?? Buffer.alloc(0));
      if (!decoded) return { outcome: 'ignored', type: envelope.type };
      event = decoded.message;
    } catch (error) {
      return letter('UNDECODABLE', (error as Error).message, 1);
    }

    const delivery: Delivery = { envelope, topic, partition, offset: message.offset };
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.inbox.process(this.options.consumer, delivery, (manager) =>
          handler(event, { manager, envelope, delivery }),
        );
        this.options.log?.('info', `${outcome} ${envelope.type}`, {
          trace_id: traceIdOf(envelope.traceparent),
          event_id: envelope.id,
          topic,
          partition,
          offset: message.offset,
        });
        return { outcome, type: envelope.type };
      } catch (error) {
        const transient = isTransient(error);
        this.options.observer?.retried(envelope.type, transient);
        const fields = {
          trace_id: traceIdOf(envelope.traceparent),
          event_id: envelope.id,
          attempt,
          error: (error as Error).message,
        };
        if (!transient && attempt >= this.policy.maxAttempts && this.options.deadLetters) {
          this.options.log?.('error', `giving up on ${envelope.type} after ${attempt} attempts`, fields);
          return letter('HANDLER_FAILED', (error as Error).message, attempt);
        }
        this.options.log?.(
          'warn',
          `${envelope.type} failed${transient ? ' (transient)' : ''}; retrying`,
          fields,
        );
        // transient waits stay short (≤ 3.2 s by default) so the group session, heartbeated in between, stays alive
        await (this.options.sleep ?? delay)(
          backoffMs(this.policy, transient ? Math.min(attempt, 5) : attempt),
        );
        await heartbeat?.().catch(() => undefined);
      }
    }
  }

  private handlesAnotherVersionOf(type: string): boolean {
    const name = MAJOR_VERSION.exec(type)?.[1];
    return !!name && [...this.handlers.keys()].some((known) => MAJOR_VERSION.exec(known)?.[1] === name);
  }

  private async deadLetter(
    message: KafkaMessage,
    topic: string,
    partition: number,
    reason: DeadLetterReason,
    error: string,
    attempts: number,
    envelope?: EventEnvelope,
  ): Promise<void> {
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
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
