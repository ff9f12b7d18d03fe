// The event catalogue: an AsyncAPI 3.0 document generated from proto/ (the payloads, with their fields, types and
// comments), the topic registry (libs/contracts: topics, keys, CloudEvents types, producers) and the services'
// consumers (libs/service-kit EVENT_CONSUMERS). `npm run contracts:asyncapi` writes docs/events.asyncapi.yaml;
// tools/contracts/asyncapi.spec.ts fails when the committed document is not what this generates.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  createFileRegistry,
  fromBinary,
  ScalarType,
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  type FileRegistry,
} from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { stringify } from 'yaml';
import { dlqTopicOf, EVENT_REGISTRY, type EventContract, type TopicContract } from '@unionfed/contracts';
import { EVENT_CONSUMERS, START_ORDER } from '@unionfed/service-kit';

/** The repository's root: the nearest folder above this file with a package.json (from tools/ or dist/tools/). */
export function repositoryRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root above ${from}`);
  }
}

export const CATALOGUE_PATH = join('docs', 'events.asyncapi.yaml');

/** proto/ compiled by buf into descriptors with their comments (source info), as a registry. */
export function protoDescriptors(root: string = repositoryRoot()): FileRegistry {
  const work = mkdtempSync(join(tmpdir(), 'unionfed-asyncapi-'));
  try {
    const out = join(work, 'proto.binpb');
    const result = spawnSync(join(root, 'node_modules', '.bin', 'buf'), ['build', 'proto', '-o', out], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (result.status !== 0) throw new Error(`buf build failed: ${result.stderr || result.error}`);
    return createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(out)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The comment written above a declaration in its .proto file (source info path), trimmed; '' when none. */
function commentOf(file: DescFile, path: number[]): string {
  const location = file.proto.sourceCodeInfo?.location.find(
    (l) => l.path.length === path.length && l.path.every((p, i) => p === path[i]),
  );
  return (location?.leadingComments ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join('\n');
}

/** The source-info path of a message (top-level or nested) in its file. */
function messagePath(message: DescMessage): number[] {
  if (message.parent) {
    return [...messagePath(message.parent), 3, message.parent.nestedMessages.indexOf(message)];
  }
  return [4, message.file.messages.indexOf(message)];
}

function enumPath(desc: DescEnum): number[] {
  if (desc.parent) return [...messagePath(desc.parent), 4, desc.parent.nestedEnums.indexOf(desc)];
  return [5, desc.file.enums.indexOf(desc)];
}

const SCALAR_SCHEMAS: Record<ScalarType, Record<string, unknown>> = {
  [ScalarType.DOUBLE]: { type: 'number', format: 'double' },
  [ScalarType.FLOAT]: { type: 'number', format: 'float' },
  [ScalarType.INT64]: { type: 'string', format: 'int64' },
  [ScalarType.UINT64]: { type: 'string', format: 'uint64' },
  [ScalarType.INT32]: { type: 'integer', format: 'int32' },
  [ScalarType.FIXED64]: { type: 'string', format: 'fixed64' },
  [ScalarType.FIXED32]: { type: 'integer', format: 'fixed32' },
  [ScalarType.BOOL]: { type: 'boolean' },
  [ScalarType.STRING]: { type: 'string' },
  [ScalarType.BYTES]: { type: 'string', contentEncoding: 'base64' },
  [ScalarType.UINT32]: { type: 'integer', format: 'uint32' },
  [ScalarType.SFIXED32]: { type: 'integer', format: 'sfixed32' },
  [ScalarType.SFIXED64]: { type: 'string', format: 'sfixed64' },
  [ScalarType.SINT32]: { type: 'integer', format: 'sint32' },
  [ScalarType.SINT64]: { type: 'string', format: 'sint64' },
};

const schemaRef = (typeName: string) => ({ $ref: `#/components/schemas/${typeName}` });

/** A field's schema: its protobuf type as JSON Schema (messages and enums by reference), number and comment. */
function fieldSchema(field: DescField, schemas: Map<string, object>): Record<string, unknown> {
  const element = (): Record<string, unknown> => {
    switch (field.fieldKind) {
      case 'scalar':
        return { ...SCALAR_SCHEMAS[field.scalar], 'x-protobuf-type': ScalarType[field.scalar].toLowerCase() };
      case 'enum':
        addEnum(field.enum, schemas);
        return schemaRef(field.enum.typeName);
      case 'message':
        addMessage(field.message, schemas);
        return schemaRef(field.message.typeName);
      case 'list':
        if (field.listKind === 'scalar') return { type: 'array', items: SCALAR_SCHEMAS[field.scalar] };
        if (field.listKind === 'enum') {
          addEnum(field.enum, schemas);
          return { type: 'array', items: schemaRef(field.enum.typeName) };
        }
        addMessage(field.message, schemas);
        return { type: 'array', items: schemaRef(field.message.typeName) };
      case 'map':
        return { type: 'object', 'x-protobuf-type': 'map' };
    }
  };
  const description = commentOf(field.parent.file, [
    ...messagePath(field.parent),
    2,
    field.parent.fields.indexOf(field),
  ]);
  return { ...element(), 'x-protobuf-field': field.number, ...(description ? { description } : {}) };
}

function addEnum(desc: DescEnum, schemas: Map<string, object>): void {
  if (schemas.has(desc.typeName)) return;
  const description = commentOf(desc.file, enumPath(desc));
  const values = desc.values.map((value, i) => {
    const comment = commentOf(desc.file, [...enumPath(desc), 2, i]);
    return { name: value.name, number: value.number, ...(comment ? { description: comment } : {}) };
  });
  schemas.set(desc.typeName, {
    type: 'string',
    ...(description ? { description } : {}),
    enum: values.map((v) => v.name),
    'x-protobuf-enum': values,
  });
}

function addMessage(message: DescMessage, schemas: Map<string, object>): void {
  if (schemas.has(message.typeName)) return;
  if (message.typeName === 'google.protobuf.Timestamp') {
    schemas.set(message.typeName, {
      type: 'object',
      description: 'A point in time (protobuf well-known type): seconds and nanos since the Unix epoch, UTC.',
      properties: {
        seconds: { type: 'string', format: 'int64' },
        nanos: { type: 'integer', format: 'int32' },
      },
    });
    return;
  }
  schemas.set(message.typeName, {}); // taken before its fields, for recursive types
  const description = commentOf(message.file, messagePath(message));
  const properties: Record<string, unknown> = {};
  for (const field of message.fields) properties[field.name] = fieldSchema(field, schemas);
  schemas.set(message.typeName, {
    type: 'object',
    ...(description ? { description } : {}),
    'x-protobuf-message': message.typeName,
    properties,
  });
}

/** An id usable as an AsyncAPI component or channel key: `unionfed.membership.member.v1` → `membership.member.v1`. */
const channelId = (topic: TopicContract) => topic.name.replace(/^unionfed\./, '');
const messageId = (contract: EventContract) => contract.type.replace(/^unionfed\./, '');

/** Who consumes what: per topic, the consumers (`<service>.<name>`) and the event types each handles. */
export function consumersByTopic(): Map<string, { consumer: string; service: string; types: string[] }[]> {
  const byTopic = new Map<string, { consumer: string; service: string; types: string[] }[]>();
  for (const service of START_ORDER) {
    for (const entry of EVENT_CONSUMERS[service]) {
      const consumer = `${service}.${entry.name}`;
      const perTopic = new Map<string, string[]>();
      for (const contract of entry.handles) {
        perTopic.set(contract.topic.name, [...(perTopic.get(contract.topic.name) ?? []), contract.type]);
      }
      for (const [topic, types] of perTopic) {
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), { consumer, service, types }]);
      }
    }
  }
  return byTopic;
}

/** The catalogue as an object (what the YAML says). */
export function buildCatalogue(descriptors: FileRegistry = protoDescriptors()): Record<string, unknown> {
  const schemas = new Map<string, object>();
  const messages: Record<string, unknown> = {};
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const consumers = consumersByTopic();
  const contracts = EVENT_REGISTRY.types().map((type) => EVENT_REGISTRY.contract(type)!);

  for (const contract of contracts) {
    const desc = descriptors.getMessage(contract.schema.typeName);
    if (!desc) throw new Error(`${contract.type}: ${contract.schema.typeName} is not in proto/`);
    addMessage(desc, schemas);
    const summary = commentOf(desc.file, messagePath(desc));
    messages[messageId(contract)] = {
      name: contract.type,
      title: desc.name,
      ...(summary ? { summary } : {}),
      contentType: 'application/protobuf',
      headers: { $ref: '#/components/schemas/CloudEventsHeaders' },
      payload: schemaRef(desc.typeName),
      'x-protobuf-message': desc.typeName,
    };
  }

  for (const topic of EVENT_REGISTRY.topics()) {
    const onTopic = contracts.filter((c) => c.topic.name === topic.name);
    const refs = (types: string[]) =>
      onTopic
        .filter((c) => types.includes(c.type))
        .map((c) => ({ $ref: `#/channels/${channelId(topic)}/messages/${messageId(c)}` }));
    const readers = consumers.get(topic.name) ?? [];
    channels[channelId(topic)] = {
      address: topic.name,
      title: topic.name,
      description:
        `Events of ${topic.service}'s ${topic.aggregate} aggregate. Message key: the ${topic.key}, so one ` +
        `${topic.aggregate}'s events stay in order. Produced by ${topic.producers.join(', ')}; consumed by ` +
        `${readers.length ? readers.map((r) => r.consumer).join(', ') : 'no service yet'}. Messages a consumer ` +
        `cannot process go to ${dlqTopicOf(topic.name)}.`,
      messages: Object.fromEntries(
        onTopic.map((c) => [messageId(c), { $ref: `#/components/messages/${messageId(c)}` }]),
      ),
      'x-producer': topic.producers.join(', '),
      'x-consumers': readers.map((r) => r.consumer),
      'x-key': topic.key,
      'x-dead-letter-topic': dlqTopicOf(topic.name),
    };
    for (const producer of topic.producers)
      operations[`${producer}.publish.${channelId(topic)}`] = {
        action: 'send',
        channel: { $ref: `#/channels/${channelId(topic)}` },
        title: `${producer} publishes ${topic.name}`,
        summary: `Written to ${producer}'s outbox in the transaction of the change; published by its relay.`,
        messages: refs(onTopic.map((c) => c.type)),
        'x-service': producer,
      };
    for (const reader of readers) {
      operations[`${reader.consumer}.receive.${channelId(topic)}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${channelId(topic)}` },
        title: `${reader.consumer} consumes ${topic.name}`,
        summary: `Consumer group ${reader.service}; applied through the idempotent inbox.`,
        messages: refs(reader.types),
        'x-service': reader.service,
        'x-consumer': reader.consumer,
      };
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'unionfed integration events',
      version: '1.0.0',
      description:
        'Every integration event of the platform, generated from proto/ (payloads), the topic registry ' +
        '(libs/contracts) and the services’ consumers (libs/service-kit EVENT_CONSUMERS) by ' +
        '`npm run contracts:asyncapi`; do not edit by hand. Messages are CloudEvents in Kafka binary mode: the ' +
        'attributes travel as headers, the value is the protobuf encoding of the payload (fields are only ever ' +
        'added, never renumbered; consumers ignore fields they do not know).',
    },
    defaultContentType: 'application/protobuf',
    servers: {
      kafka: {
        host: 'localhost:9092',
        protocol: 'kafka',
        description: 'The platform’s Kafka (KAFKA_BROKERS); locally, the one `npm start` runs.',
      },
    },
    channels,
    operations,
    components: {
      messages,
      schemas: {
        CloudEventsHeaders: {
          type: 'object',
          description:
            'CloudEvents 1.0 attributes (Kafka protocol binding, binary mode) and the W3C trace context.',
          required: ['ce_id', 'ce_type', 'ce_source', 'ce_time', 'ce_specversion', 'content-type'],
          properties: {
            ce_id: {
              type: 'string',
              format: 'uuid',
              description: 'The event id (UUIDv7): consumers deduplicate by it.',
            },
            ce_type: {
              type: 'string',
              description: 'The event type, e.g. unionfed.membership.MemberJoined.v1.',
            },
            ce_source: { type: 'string', description: 'The producing service: /unionfed/<service>.' },
            ce_time: { type: 'string', format: 'date-time' },
            ce_specversion: { type: 'string', const: '1.0' },
            'content-type': { type: 'string', const: 'application/protobuf' },
            traceparent: {
              type: 'string',
              description:
                'W3C trace context of the span that wrote the event; the consumer’s span continues it.',
            },
            tracestate: { type: 'string' },
            unionfed_branch_id: {
              type: 'string',
              description: 'The branch the event belongs to, when it belongs to one.',
            },
          },
        },
        ...Object.fromEntries([...schemas.entries()].sort(([a], [b]) => a.localeCompare(b))),
      },
    },
  };
}

/** The catalogue as the committed YAML. */
export function renderCatalogue(catalogue: Record<string, unknown> = buildCatalogue()): string {
  return `# Generated by \`npm run contracts:asyncapi\` (tools/contracts/asyncapi.ts) — do not edit by hand.\n${stringify(catalogue, { lineWidth: 0 })}`;
}

if (require.main === module) {
  const root = repositoryRoot();
  writeFileSync(join(root, CATALOGUE_PATH), renderCatalogue(buildCatalogue(protoDescriptors(root))));
  console.log(`wrote ${CATALOGUE_PATH}`);
}
