import {
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Kafka, Producer } from 'kafkajs';
import { Transport, type KafkaOptions } from '@nestjs/microservices';
import { createKafka, kafkaClientConfig, RELIABLE_PRODUCER } from './kafka-config';
import { DeadLetters } from './dead-letters';
import { MessagingMetrics } from './metrics';
import { Outbox } from './outbox';
import { OutboxRelay } from './relay';

export const KAFKA = Symbol('KAFKA');
export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

export interface MessagingOptions {
  /** the service name: CloudEvents source `/unionfed/<service>`, Kafka client id, consumer group */
  service: string;
  databaseUrl: string;
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
      databaseUrl: this.options.databaseUrl,
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
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: MESSAGING_OPTIONS, useValue: options },
        { provide: KAFKA, useFactory: () => createKafka(`${options.service}-${process.pid}`) },
        { provide: Outbox, useValue: new Outbox(`/unionfed/${options.service}`) },
        ProducerHost,
        RelayHost,
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
      exports: [KAFKA, Outbox, MESSAGING_OPTIONS, ProducerHost, RelayHost, DeadLetters, MessagingMetrics],
    };
  }
}

/**
 * Options for the service's event consumers on the @nestjs/microservices Kafka transport: one consumer group
 * per service, raw bytes kept (the payload is protobuf), offsets committed by kafkajs only after the handler —
 * and with it the inbox transaction — has finished.
 */
export function eventConsumerTransport(service: string): KafkaOptions {
  return {
    transport: Transport.KAFKA,
    options: {
      postfixId: '',
      client: kafkaClientConfig(`${service}-consumer-${process.pid}`),
      consumer: {
        groupId: service,
        // a crashed instance's partitions move to the others after 10 s; handlers are short transactions
        sessionTimeout: 10000,
        heartbeatInterval: 1000,
        allowAutoTopicCreation: false,
        // enough to ride out a broker restart of a few minutes instead of crashing the consumer for good
        retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 60 },
      },
      subscribe: { fromBeginning: true },
      run: { partitionsConsumedConcurrently: 3 },
      parser: { keepBinary: true },
    },
  };
}
