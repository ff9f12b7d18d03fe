// The event catalogue (docs/events.asyncapi.yaml) is what the registry says: regenerated here and compared with
// the committed document, which is then checked against the registry itself — every registered event type with its
// payload's fields, every topic with its producer and its consumers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { EVENT_REGISTRY } from '@unionfed/contracts';
import { EVENT_CONSUMERS, START_ORDER } from '@unionfed/service-kit';
import { buildCatalogue, CATALOGUE_PATH, renderCatalogue, repositoryRoot } from './asyncapi';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = repositoryRoot(__dirname);

describe('the event catalogue (AsyncAPI)', () => {
  let committed: string;
  let doc: Doc;

  beforeAll(() => {
    committed = readFileSync(join(ROOT, CATALOGUE_PATH), 'utf8');
    doc = parse(committed) as Doc;
  });

  it('is what the generator makes of proto/ and the registry now (else run `npm run contracts:asyncapi`)', () => {
    const generated = renderCatalogue(buildCatalogue());
    if (generated !== committed) {
      throw new Error(
        `${CATALOGUE_PATH} is out of date with proto/, libs/contracts or EVENT_CONSUMERS: run \`npm run contracts:asyncapi\` and commit it`,
      );
    }
  });

  it('is an AsyncAPI 3.0 document whose every $ref resolves', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    const refs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') refs.push(value);
          else walk(value);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(0);
    const unresolved = refs.filter((ref) => {
      let node: unknown = doc;
      for (const part of ref.replace(/^#\//, '').split('/')) node = (node as Doc | undefined)?.[part];
      return node === undefined;
    });
    expect(unresolved).toEqual([]);
  });

  it('lists every registered event type with its payload’s fields, their protobuf numbers and types', () => {
    const byName = new Map(Object.values(doc.components.messages as Doc).map((m: Doc) => [m.name, m]));
    for (const type of EVENT_REGISTRY.types()) {
      const contract = EVENT_REGISTRY.contract(type)!;
      const message = byName.get(type);
      expect({ type, listed: !!message }).toEqual({ type, listed: true });
      const schemaName = (message!.payload.$ref as string).split('/').pop()!;
      expect(schemaName).toBe(contract.schema.typeName);
      const properties = doc.components.schemas[schemaName].properties as Doc;
      expect({
        type,
        fields: Object.entries(properties).map(([name, p]) => [name, p['x-protobuf-field']]),
      }).toEqual({
        type,
        fields: contract.schema.fields.map((f) => [f.name, f.number]),
      });
      for (const field of contract.schema.fields) {
        const property = properties[field.name] as Doc;
        const declared =
          property.$ref ?? property.items?.$ref ?? property['x-protobuf-type'] ?? property.type;
        expect({ type, field: field.name, typed: typeof declared === 'string' }).toEqual({
          type,
          field: field.name,
          typed: true,
        });
      }
    }
    expect(byName.size).toBe(EVENT_REGISTRY.types().length);
  });

  it('lists every topic with its producer and the consumers that run, each receiving the types it handles', () => {
    const channels = Object.values(doc.channels as Doc) as Doc[];
    expect(channels.map((c) => c.address).sort()).toEqual(
      EVENT_REGISTRY.topics()
        .map((t) => t.name)
        .sort(),
    );
    const operations = Object.values(doc.operations as Doc) as Doc[];
    for (const topic of EVENT_REGISTRY.topics()) {
      const channel = channels.find((c) => c.address === topic.name)!;
      expect(channel['x-producer']).toBe(topic.producers.join(', '));
      const expected = START_ORDER.flatMap((service) =>
        EVENT_CONSUMERS[service]
          .map((entry) => ({
            consumer: `${service}.${entry.name}`,
            types: entry.handles.filter((c) => c.topic.name === topic.name).map((c) => c.type),
          }))
          .filter((c) => c.types.length > 0),
      );
      expect({ topic: topic.name, consumers: channel['x-consumers'] }).toEqual({
        topic: topic.name,
        consumers: expected.map((c) => c.consumer),
      });
      const onChannel = operations.filter((o) => doc.channels[o.channel.$ref.split('/').pop()] === channel);
      const typeOf = (ref: string) => {
        const [, , , messageKey] = ref.replace(/^#\//, '').split('/');
        return doc.components.messages[messageKey].name as string;
      };
      expect(onChannel.filter((o) => o.action === 'send').map((o) => o['x-service'])).toEqual([
        ...topic.producers,
      ]);
      expect(
        onChannel
          .filter((o) => o.action === 'receive')
          .map((o) => ({ consumer: o['x-consumer'], types: o.messages.map((m: Doc) => typeOf(m.$ref)) })),
      ).toEqual(expected);
    }
  });
});
