import type { DataSource } from 'typeorm';
import type { DescMessage } from '@bufbuild/protobuf';
import type { EventContract, EventRegistry } from '@unionfed/contracts';
import { dispatchBatchTo, EventDispatcher, type DispatcherOptions, type EventHandler } from './dispatcher';
import type { EventBatch } from './event-batch';

interface ConsumerDefinition {
  name?: string;
  handlers: { contract: EventContract; method: string | symbol }[];
}

const DEFINITIONS = new WeakMap<object, ConsumerDefinition>();

function definitionOf(target: object): ConsumerDefinition {
  let definition = DEFINITIONS.get(target);
  if (!definition) DEFINITIONS.set(target, (definition = { handlers: [] }));
  return definition;
}

/**
 * Marks a class as one of a service's event consumers (`*.consumer.ts`): its name in the inbox, dead letters and
 * metrics is `<service>.<name>`. Its `@OnEvent` methods are its handlers.
 */
export function EventConsumer(name: string): ClassDecorator {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`consumer names are lower-case words: ${name}`);
  return (target) => {
    definitionOf(target.prototype).name = name;
  };
}

/**
 * The handler of one event type: `(event, context) => Promise<void>`, run in the consumer's inbox transaction
 * (see HandlerContext). One handler per type and consumer.
 */
export function OnEvent<Desc extends DescMessage>(contract: EventContract<Desc>) {
  return (
    target: object,
    method: string | symbol,
    _descriptor: TypedPropertyDescriptor<EventHandler<Desc>>,
  ): void => {
    definitionOf(target).handlers.push({ contract: contract as unknown as EventContract, method });
  };
}

/** The topics an `@EventConsumer` class reads: those of the event types it handles. */
export function handledTopicsOf(consumerClass: abstract new (...args: never[]) => object): string[] {
  const handlers = DEFINITIONS.get(consumerClass.prototype)?.handlers ?? [];
  return [...new Set(handlers.map((h) => h.contract.topic.name))];
}

/** The event contracts an `@EventConsumer` class handles, in the order its handlers are declared. */
export function handledEventsOf(consumerClass: abstract new (...args: never[]) => object): EventContract[] {
  return (DEFINITIONS.get(consumerClass.prototype)?.handlers ?? []).map((h) => h.contract);
}

/** The consumer name of an `@EventConsumer` class in a service: `<service>.<name>`. */
export function consumerNameOf(
  service: string,
  consumerClass: abstract new (...args: never[]) => object,
): string {
  const name = DEFINITIONS.get(consumerClass.prototype)?.name;
  if (!name) throw new Error(`${consumerClass.name} is not an @EventConsumer`);
  return `${service}.${name}`;
}

export type ConsumerDispatcherOptions = Omit<DispatcherOptions, 'consumer' | 'registry'>;

/**
 * All event consumers of one service: one dispatcher per consumer (its own inbox rows and dead letters, the
 * service's retry and dead-letter policy), fed by the service's one Kafka consumer group. A topic's batch goes
 * to every consumer that handles an event type of that topic (`dispatchBatchTo`).
 */
export class ServiceConsumers {
  readonly dispatchers: readonly EventDispatcher[];

  constructor(
    dataSource: DataSource,
    readonly service: string,
    registry: EventRegistry,
    instances: readonly object[],
    options: (consumer: string) => ConsumerDispatcherOptions = () => ({}),
  ) {
    const names = new Set<string>();
    this.dispatchers = instances.map((instance) => {
      const definition = DEFINITIONS.get(Object.getPrototypeOf(instance));
      if (!definition?.name) throw new Error(`${instance.constructor.name} is not an @EventConsumer`);
      const consumer = `${service}.${definition.name}`;
      if (names.has(consumer)) throw new Error(`two consumers named ${consumer}`);
      names.add(consumer);
      const dispatcher = new EventDispatcher(dataSource, { ...options(consumer), consumer, registry });
      for (const { contract, method } of definition.handlers) {
        const handler = (instance as Record<string | symbol, EventHandler>)[method].bind(instance);
        dispatcher.on(contract, handler);
      }
      return dispatcher;
    });
  }

  /** The inbox names of the service's consumers, e.g. `finance.directory`. */
  get consumers(): string[] {
    return this.dispatchers.map((d) => d.consumer);
  }

  /** Every topic a consumer of the service reads. */
  get topics(): string[] {
    const all = new Set<string>();
    for (const d of this.dispatchers) for (const topic of d.handledTopics()) all.add(topic);
    return [...all];
  }

  dispatcher(consumer: string): EventDispatcher {
    const found = this.dispatchers.find((d) => d.consumer === consumer);
    if (!found) throw new Error(`no consumer ${consumer} in ${this.service}`);
    return found;
  }

  /** A partition's batch, for every consumer reading its topic; offsets resolved after all of them. */
  dispatchBatch(batch: EventBatch): Promise<void> {
    return dispatchBatchTo(
      this.dispatchers.filter((d) => d.handlesTopic(batch.topic)),
      batch,
    );
  }
}
