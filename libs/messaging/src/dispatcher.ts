import type { KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import type { EventContract, EventRegistry } from '@unionfed/contracts';
import { fromKafkaHeaders, MalformedEnvelopeError, type EventEnvelope } from './envelope';
import { Inbox, type Delivery } from './inbox';

export interface HandlerContext {
  manager: EntityManager;
  envelope: EventEnvelope;
  delivery: Delivery;
}

export type EventHandler<Desc extends DescMessage = DescMessage> = (
  event: MessageShape<Desc>,
  context: HandlerContext,
) => Promise<void>;

export type DispatchOutcome = 'applied' | 'duplicate' | 'ignored' | 'rejected';

export interface DispatcherOptions {
  /** the consumer's name in the inbox, e.g. `finance.directory` */
  consumer: string;
  registry: EventRegistry;
  log?: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Routes received Kafka messages to typed handlers through the idempotent inbox. Unknown event types are
 * acknowledged (`ignored`); a message that cannot be read is `rejected` (logged; dead-lettering comes with the
 * retry policy). A handler failure propagates, so the transport redelivers the message.
 */
export class EventDispatcher {
  private readonly handlers = new Map<string, EventHandler>();
  private readonly inbox: Inbox;
  readonly counts: Record<DispatchOutcome, number> = { applied: 0, duplicate: 0, ignored: 0, rejected: 0 };

  constructor(
    dataSource: DataSource,
    private readonly options: DispatcherOptions,
  ) {
    this.inbox = new Inbox(dataSource);
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

  async dispatch(message: KafkaMessage, topic: string, partition: number): Promise<DispatchOutcome> {
    const outcome = await this.route(message, topic, partition);
    this.counts[outcome] += 1;
    return outcome;
  }

  private async route(message: KafkaMessage, topic: string, partition: number): Promise<DispatchOutcome> {
    let envelope: EventEnvelope;
    try {
      envelope = fromKafkaHeaders(message.headers);
    } catch (error) {
      if (!(error instanceof MalformedEnvelopeError)) throw error;
      this.options.log?.('error', 'message without a readable envelope', {
        topic,
        partition,
        offset: message.offset,
        error: error.message,
      });
      return 'rejected';
    }
    const handler = this.handlers.get(envelope.type);
    if (!handler) return 'ignored';
    let event: MessageShape<DescMessage>;
    try {
      const decoded = this.options.registry.decode(envelope.type, message.value ?? Buffer.alloc(0));
      if (!decoded) return 'ignored';
      event = decoded.message;
    } catch (error) {
      this.options.log?.('error', 'undecodable event payload', {
        topic,
        partition,
        offset: message.offset,
        type: envelope.type,
        error: (error as Error).message,
      });
      return 'rejected';
    }
    const delivery: Delivery = { envelope, topic, partition, offset: message.offset };
    return this.inbox.process(this.options.consumer, delivery, (manager) =>
      handler(event, { manager, envelope, delivery }),
    );
  }
}
