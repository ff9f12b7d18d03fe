import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, NoDeprecatedCustomRule, parse, validate } from 'graphql';
import { PersistedOperations, sha256 } from './persisted-operations';

const SUPERGRAPH_PATH = join(__dirname, '..', '..', 'supergraph.graphql');

describe('persisted operations', () => {
  const registered = PersistedOperations.fromDirectory();

  it('registers the statistics operations checked in under apps/gateway/persisted-operations', () => {
    expect(registered.list().map((operation) => operation.name)).toEqual(
      expect.arrayContaining([
        'MembershipStatistics',
        'BranchJoinRates',
        'MembershipStatisticsV2',
        'BranchJoinRatesV2',
      ]),
    );
    for (const operation of registered.list()) {
      expect(operation.id).toBe(sha256(operation.body));
      expect(registered.get(operation.id)).toBe(operation);
      expect(registered.hasDocument(operation.body)).toBe(true);
    }
  });

  it('keeps every registered operation valid against the supergraph', () => {
    const schema = buildSchema(readFileSync(SUPERGRAPH_PATH, 'utf8'));
    for (const operation of registered.list()) {
      expect({
        name: operation.name,
        errors: validate(schema, parse(operation.body)).map((e) => e.message),
      }).toEqual({ name: operation.name, errors: [] });
    }
  });

  it('asks no deprecated field in the current versions (the deprecated ones stay for the ids integrations call)', () => {
    const schema = buildSchema(readFileSync(SUPERGRAPH_PATH, 'utf8'));
    const deprecated = ['MembershipStatistics', 'BranchJoinRates'];
    for (const operation of registered.list().filter((o) => !deprecated.includes(o.name))) {
      expect({
        name: operation.name,
        uses: validate(schema, parse(operation.body), [NoDeprecatedCustomRule]).map((e) => e.message),
      }).toEqual({ name: operation.name, uses: [] });
    }
  });

  it('registers the printed document, so formatting does not change the hash', () => {
    const tidy = new PersistedOperations([{ source: 'a.graphql', text: 'query A { hello }' }]);
    const messy = new PersistedOperations([
      { source: 'a.graphql', text: '# note\nquery   A {\n\n  hello\n}\n' },
    ]);
    expect(messy.list()[0].id).toBe(tidy.list()[0].id);
    expect(tidy.hasDocument('query A { hello }')).toBe(false); // callers send the registered text
    expect(tidy.hasDocument(tidy.list()[0].body)).toBe(true);
  });

  it('refuses files that are not exactly one named operation', () => {
    expect(() => new PersistedOperations([{ source: 'x.graphql', text: '{ hello }' }])).toThrow(/x.graphql/);
    expect(
      () => new PersistedOperations([{ source: 'y.graphql', text: 'query A { a } query B { b }' }]),
    ).toThrow(/exactly one named operation/);
    expect(() => new PersistedOperations([{ source: 'z.graphql', text: 'query A {' }])).toThrow(/z.graphql/);
  });

  it('lists the operations in Apollo persisted query manifest format', () => {
    const manifest = registered.manifest();
    expect(manifest.format).toBe('apollo-persisted-query-manifest');
    expect(manifest.operations[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{64}$/),
      name: expect.any(String),
      type: 'query',
      body: expect.any(String),
    });
  });
});
