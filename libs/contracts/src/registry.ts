import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';

/**
 * The topic registry: every integration event, the topic it travels on, its key and its CloudEvents type.
 * Topic names follow `unionfed.<service>.<aggregate>.v<N>`; the key is the aggregate id so that the events of
 * one aggregate stay ordered; each topic has a dead-letter twin `<topic>.dlq`.
 */
export interface TopicContract {
  name: string;
  service: string;
  aggregate: string;
  version: number;
  /** what the message key is, in words (always the aggregate id) */
  key: string;
  /**
   * the services that publish on it: the topic's own service, unless its contract is one that others speak to
   * it (finance's disbursement requests, published by the services that request them)
   */
  producers: readonly string[];
}

export interface EventContract<Desc extends DescMessage = DescMessage> {
  /** CloudEvents `ce_type`, e.g. `unionfed.membership.MemberJoined.v1` */
  type: string;
  schema: Desc;
  topic: TopicContract;
  /** the aggregate id: the Kafka key */
  keyOf(event: MessageShape<Desc>): string;
  /** the branch the event belongs to (header `unionfed_branch_id`), when it belongs to one */
  branchOf(event: MessageShape<Desc>): string | undefined;
}

export function defineTopic(
  service: string,
  aggregate: string,
  version = 1,
  { producers = [service], key = `${aggregate} id` }: { producers?: readonly string[]; key?: string } = {},
): TopicContract {
  return {
    name: `unionfed.${service}.${aggregate}.v${version}`,
    service,
    aggregate,
    version,
    key,
    producers,
  };
}

export function dlqTopicOf(topic: string): string {
  return `${topic}.dlq`;
}

export function defineEvent<Desc extends DescMessage>(
  topic: TopicContract,
  schema: Desc,
  keyOf: (event: MessageShape<Desc>) => string,
  branchOf: (event: MessageShape<Desc>) => string | undefined = () => undefined,
): EventContract<Desc> {
  const shortName = schema.typeName.split('.').pop();
  return { type: `unionfed.${topic.service}.${shortName}.v${topic.version}`, schema, topic, keyOf, branchOf };
}

/** An event ready for the outbox: bytes plus what the envelope needs. */
export interface EncodedEvent {
  type: string;
  topic: string;
  key: string;
  branchId?: string;
  payload: Uint8Array;
}

export function encodeEvent<Desc extends DescMessage>(
  contract: EventContract<Desc>,
  init: MessageInitShape<Desc>,
): EncodedEvent {
  const message = create(contract.schema, init);
  return {
    type: contract.type,
    topic: contract.topic.name,
    key: contract.keyOf(message),
    branchId: contract.branchOf(message) || undefined,
    payload: toBinary(contract.schema, message),
  };
}

export class EventRegistry {
  private readonly byType = new Map<string, EventContract>();

  constructor(contracts: EventContract[]) {
    for (const contract of contracts) {
      if (this.byType.has(contract.type)) throw new Error(`event type registered twice: ${contract.type}`);
      this.byType.set(contract.type, contract);
    }
  }

  contract(type: string): EventContract | undefined {
    return this.byType.get(type);
  }

  types(): string[] {
    return [...this.byType.keys()];
  }

  topics(): TopicContract[] {
    return [...new Map([...this.byType.values()].map((c) => [c.topic.name, c.topic])).values()];
  }

  /**
   * Decodes an event's bytes. Unknown fields are kept aside by protobuf (never an error), so an older consumer
   * reads a newer producer's events. Returns undefined for a type this registry does not know.
   */
  decode(
    type: string,
    payload: Uint8Array,
  ): { contract: EventContract; message: MessageShape<DescMessage> } | undefined {
    const contract = this.byType.get(type);
    if (!contract) return undefined;
    return { contract, message: fromBinary(contract.schema, payload) };
  }
}
