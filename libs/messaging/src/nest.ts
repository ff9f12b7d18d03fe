import {
  Controller,
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type ModuleMetadata,
  type Type,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import {
  BaseRpcContext,
  EventPattern,
  Payload,
  ServerKafka,
  type CustomStrategy,
  type KafkaContext,
} from '@nestjs/microservices';
import { EVENT_REGISTRY } from '@unionfed/contracts';
import { handledTopicsOf, ServiceConsumers } from './consumers';
import { createKafka, kafkaClientConfig, RELIABLE_PRODUCER } from './kafka-config';
import { eventBatchOf, type EventBatch } from './event-batch';
import { DeadLetters } from './dead-letters';
import { MessagingMetrics } from './metrics';
import { Outbox } from './outbox';
import { OutboxRelay } from './relay';

export const KAFKA = Symbol('KAFKA');
export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export interface MessagingOptions {
  /** the service name: CloudEvents source `/unionfed/<service>`, Kafka client id, consumer group */
  service: string;
  /** for the relay's own connection (LISTEN/NOTIFY): needed to publish */
  databaseUrl?: string;
  /**
   * false for a service that only consumes (the gateway): no outbox and no relay — its readiness does not wait
   * for a producer it never uses, and a handler that tries to emit fails instead of leaving rows nobody sends.
   * Default true.
   */
  publishes?: boolean;
}

/** The service's one Kafka producer (idempotent, acks=all): used by the outbox relay and for dead letters. */
@Injectable()
export class ProducerHost implements OnModuleInit, OnApplicationShutdown {
  readonly producer: Producer;
  private connected = false;

  constructor(@Inject(KAFKA) kafka: Kafka) {
    this.producer = kafka.producer(RELIABLE_PRODUCER);
    this.producer.on(this.producer.events.CONNECT, () => (this.connected = true));
    this.producer.on(this.producer.events.DISCONNECT, () => (this.connected = false));
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async onModuleInit(): Promise<void> {
    await this.producer.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}

/** Runs the outbox relay for the service's lifetime. */
@Injectable()
export class RelayHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  relay?: OutboxRelay;

  constructor(
    private readonly producerHost: ProducerHost,
    private readonly dataSource: DataSource,
    private readonly metrics: MessagingMetrics,
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.relay = new OutboxRelay(this.dataSource, this.producerHost.producer, {
      databaseUrl: this.options.databaseUrl!,
      observer: this.metrics.relayObserver(),
      batchSize: Number(process.env.UNIONFED_OUTBOX_BATCH_SIZE ?? 500),
      log: (level, message, fields) =>
        this.logger[level === 'info' ? 'log' : level](`${message} ${fields ? JSON.stringify(fields) : ''}`),
    });
    await this.relay.start();
  }

  /** Whether the relay runs with a connected producer (readiness; the outbox keeps events while it does not). */
  ready(): boolean {
    return this.producerHost.isConnected && !!this.relay;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay?.stop();
  }
}

@Module({})
export class MessagingModule {
  static forService(options: MessagingOptions): DynamicModule {
    const publishing = options.publishes ?? true;
    if (publishing && !options.databaseUrl)
      throw new Error(`${options.service} publishes: give its databaseUrl`);
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: options },
        { provide: KAFKA, useFactory: () => createKafka(`${options.service}-${process.pid}`) },
        ...(publishing
          ? [{ provide: Outbox, useValue: new Outbox(`/unionfed/${options.service}`) }, RelayHost]
          : []),
        ProducerHost,
        {
          provide: MessagingMetrics,
          inject: [DataSource, KAFKA],
          useFactory: (dataSource: DataSource, kafka: Kafka) =>
            new MessagingMetrics(options.service, dataSource, kafka),
        },
        {
          provide: DeadLetters,
          inject: [DataSource, ProducerHost],
          useFactory: (dataSource: DataSource, producerHost: ProducerHost) =>
            new DeadLetters(dataSource, producerHost.producer),
        },
      ],
      exports: [
        KAFKA,
        MESSAGING_OPTIONS,
        ProducerHost,
        DeadLetters,
        MessagingMetrics,
        ...(publishing ? [Outbox, RelayHost] : []),
      ],
    };
  }
}

export const SERVICE_CONSUMERS = Symbol('SERVICE_CONSUMERS');

/**
 * The controller receiving the service's topics, one `@EventPattern` per topic a consumer reads, each batch
 * handed to the consumers of that topic.
 */
function eventsControllerFor(topics: readonly string[]): Type<unknown> {
  @Controller()
  class ServiceEventsController {
    constructor(@Inject(SERVICE_CONSUMERS) readonly consumers: ServiceConsumers) {}
  }
  for (const topic of topics) {
    const method = `on ${topic}`;
    Object.defineProperty(ServiceEventsController.prototype, method, {
      // @nestjs/microservices types an event handler's payload as unknown; EventConsumerServer sends an EventBatch
      value: function (this: ServiceEventsController, batch: unknown) {
        return this.consumers.dispatchBatch(batch as EventBatch);
      },
      writable: true,
      configurable: true,
    });
    const descriptor = Object.getOwnPropertyDescriptor(ServiceEventsController.prototype, method)!;
    EventPattern(topic)(ServiceEventsController.prototype, method, descriptor);
    Payload()(ServiceEventsController.prototype, method, 0);
  }
  return ServiceEventsController;
}

/**
 * A service's event consumers — its `@EventConsumer` classes (`*.consumer.ts`), providers like any other (they
 * may inject what they need) — on the service's one consumer group (`eventConsumerTransport`), with the
 * service's dead-letter sink, retry policy, outbox and metrics. Exports `SERVICE_CONSUMERS` (ServiceConsumers).
 */
@Module({})
export class ConsumersModule {
  static forService(
    service: string,
    consumers: Type<object>[],
    /** modules whose providers the consumers inject (e.g. the gateway's identity store) */
    imports: NonNullable<ModuleMetadata['imports']> = [],
  ): DynamicModule {
    const logger = new Logger(`${service}.consumers`);
    const topics = new Set<string>();
    // the topics are known before Nest builds the controller: from the handlers' contracts
    for (const consumer of consumers) {
      for (const topic of handledTopicsOf(consumer)) topics.add(topic);
    }
    return {
      module: ConsumersModule,
      global: true,
      imports,
      controllers: [eventsControllerFor([...topics])],
      providers: [
        ...consumers,
        {
          provide: SERVICE_CONSUMERS,
          inject: [
            DataSource,
            DeadLetters,
            MessagingMetrics,
            { token: Outbox, optional: true },
            ...consumers,
          ],
          useFactory: (
            dataSource: DataSource,
            deadLetters: DeadLetters,
            metrics: MessagingMetrics,
            // none in a service that publishes nothing: its handlers cannot emit (context.outbox refuses)
            outbox: Outbox | undefined,
            ...instances: object[]
          ) => {
            metrics.watchConsumerLag(service, [...topics]);
            return new ServiceConsumers(dataSource, service, EVENT_REGISTRY, instances, (consumer) => ({
              deadLetters,
              outbox,
              observer: metrics.consumerObserver(consumer),
              log: (level, message, fields) =>
                logger[level === 'info' ? 'log' : level](
                  `${consumer}: ${message} ${fields ? JSON.stringify(fields) : ''}`,
                ),
            }));
          },
        },
      ],
      exports: [SERVICE_CONSUMERS],
    };
  }
}

/**
 * The Nest context of a batch handler: `@Ctx() context: EventBatchContext`, `context.getBatch()` (the same
 * object as `@Payload()`).
 */
export class EventBatchContext extends BaseRpcContext<[EventBatch]> {
  getBatch(): EventBatch {
    return this.args[0];
  }
}

/**
 * The @nestjs/microservices Kafka transport, consuming partition batches: kafkajs `eachBatch` with
 * `eachBatchAutoResolve: false`, so an `@EventPattern(topic)` handler receives an `EventBatch` — consecutive
 * messages of one partition — and resolves offsets as it finishes them (`EventDispatcher.dispatchBatch`);
 * offsets are committed only after that, never ahead of the inbox transaction. Everything else (client,
 * consumer group, status events, shutdown) is the stock `ServerKafka`.
 */
export class EventConsumerServer extends ServerKafka {
  override async bindEvents(consumer: Consumer): Promise<void> {
    const topics = [...this.messageHandlers.keys()];
    if (topics.length > 0) await consumer.subscribe({ ...this.options.subscribe, topics });
    await consumer.run({
      ...this.options.run,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const batch = eventBatchOf(payload);
    const { messages } = batch;
    const lastOffset = messages[messages.length - 1]?.offset;
    if (!lastOffset) return;
    if (!this.getHandlerByPattern(batch.topic)) {
      // as the stock transport does with a message nobody handles: say so and move on
      this.logger.error(`no event handler for topic ${batch.topic}; skipping offsets up to ${lastOffset}`);
      batch.resolveOffset(lastOffset);
      return;
    }
    let resolved = false;
    const tracked: EventBatch = {
      ...batch,
      resolveOffset: (offset) => {
        resolved = true;
        batch.resolveOffset(offset);
      },
    };
    // ServerKafka types the context as a per-message KafkaContext; it only hands it on to the handler
    await this.handleEvent(
      batch.topic,
      { pattern: batch.topic, data: tracked },
      new EventBatchContext([tracked]) as unknown as KafkaContext,
    );
    if (!resolved && batch.isActive()) {
      this.logger.warn(
        `the handler of ${batch.topic} resolved no offsets of partition ${batch.partition}: on this transport an ` +
          '@EventPattern handler receives an EventBatch (see EventDispatcher.dispatchBatch)',
      );
    }
  }
}

/**
 * The service's event consumers: `EventConsumerServer` (the @nestjs/microservices Kafka transport, in batches)
 * with one consumer group per service; offsets committed by kafkajs only after the handler has resolved them,
 * i.e. after the inbox transaction committed.
 */
export function eventConsumerTransport(service: string): CustomStrategy {
  return {
    strategy: new EventConsumerServer({
      postfixId: '',
      client: kafkaClientConfig(`${service}-consumer-${process.pid}`),
      consumer: {
        groupId: service,
        // a crashed instance's partitions move to the others after 10 s; a batch heartbeats between its
        // transactions (and during long ones), so the session outlives a long batch
        sessionTimeout: 10000,
        heartbeatInterval: 1000,
        allowAutoTopicCreation: false,
        // enough to ride out a broker restart of a few minutes instead of crashing the consumer for good
        retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 60 },
      },
      subscribe: { fromBeginning: true },
      run: { partitionsConsumedConcurrently: 3 },
    }),
  };
}
