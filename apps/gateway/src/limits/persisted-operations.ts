import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, type OperationTypeNode } from 'graphql';

/** The operations registered for integrations, checked in beside the supergraph. */
export const PERSISTED_OPERATIONS_DIR = join(__dirname, '..', '..', 'persisted-operations');

export interface PersistedOperation {
  /** sha256 (hex) of `body`: what an APQ-style request sends as `extensions.persistedQuery.sha256Hash` */
  id: string;
  name: string;
  type: OperationTypeNode;
  /** the document in graphql-js's printed form: the exact text a caller sends to use it as free text */
  body: string;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * An allow-list of operations, by the sha256 of their document. Each `.graphql` file holds one named operation
 * (and the fragments it uses); its registered text is the printed document, so reformatting a file changes
 * nothing, and its hash is the sha256 of that text (see `manifest()`).
 */
export class PersistedOperations {
  private readonly byId = new Map<string, PersistedOperation>();

  constructor(documents: ReadonlyArray<{ source: string; text: string }>) {
    for (const { source, text } of documents) {
      const operation = registeredOperation(source, text);
      const taken = [...this.byId.values()].find((known) => known.name === operation.name);
      if (taken) throw new Error(`${source}: operation ${operation.name} is registered twice`);
      this.byId.set(operation.id, operation);
    }
  }

  /** Every `*.graphql` file of a directory (by default the gateway's persisted-operations/). */
  static fromDirectory(directory = PERSISTED_OPERATIONS_DIR): PersistedOperations {
    const files = readdirSync(directory)
      .filter((file) => file.endsWith('.graphql'))
      .sort();
    return new PersistedOperations(
      files.map((file) => ({ source: file, text: readFileSync(join(directory, file), 'utf8') })),
    );
  }

  get(id: string): PersistedOperation | undefined {
    return this.byId.get(id);
  }

  /** whether a document, sent as text, is a registered one */
  hasDocument(text: string): boolean {
    return this.byId.has(sha256(text));
  }

  list(): PersistedOperation[] {
    return [...this.byId.values()];
  }

  /** The list in Apollo's persisted query manifest format, for integrators and client tooling. */
  manifest(): { format: 'apollo-persisted-query-manifest'; version: 1; operations: PersistedOperation[] } {
    return { format: 'apollo-persisted-query-manifest', version: 1, operations: this.list() };
  }
}

function registeredOperation(source: string, text: string): PersistedOperation {
  let document;
  try {
    document = parse(text);
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
  const operations = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  const [operation] = operations;
  if (operations.length !== 1 || !operation?.name) {
    throw new Error(`${source}: a persisted operation file holds exactly one named operation`);
  }
  const body = print(document);
  return { id: sha256(body), name: operation.name.value, type: operation.operation, body };
}
