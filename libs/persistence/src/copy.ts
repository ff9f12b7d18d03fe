import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';

/** A value as `copyRows` writes it: null/undefined → NULL; bytes → bytea; objects → JSON (json/jsonb columns). */
export type CopyValue = string | number | boolean | bigint | Date | Uint8Array | object | null | undefined;

/** Rows of this many bytes or so are handed to the connection at a time. */
const CHUNK_BYTES = 1 << 20;

/**
 * Appends `rows` (values in the order of `columns`) to `table` with `COPY … FROM STDIN` in the caller's
 * transaction: PostgreSQL's bulk path, much cheaper per row than an INSERT of many VALUES or of a JSON
 * recordset (no statement to parse and plan per batch, no JSON to unpack). Constraints, indexes and triggers
 * apply as to an INSERT (a statement trigger fires once); a violated constraint fails the whole COPY — and
 * leaves the transaction aborted, so the caller must roll back.
 */
export async function copyRows(
  manager: EntityManager,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
): Promise<void> {
  const runner = manager.queryRunner as unknown as
    { isTransactionActive: boolean; databaseConnection?: PoolClient } | undefined;
  const client = runner?.databaseConnection;
  if (!runner?.isTransactionActive || !client) {
    throw new Error('copyRows must run inside a transaction (run it in a UnitOfWork)');
  }
  const sql = `COPY ${table} (${columns.join(', ')}) FROM STDIN`;
  await pipeline(Readable.from(copyText(rows, columns.length)), client.query(copyFrom(sql)));
}

/** The rows in COPY's text format, in chunks of about CHUNK_BYTES. */
export function* copyText(rows: Iterable<readonly CopyValue[]>, width: number): Generator<Buffer> {
  let lines: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (row.length !== width) throw new Error(`COPY row has ${row.length} values for ${width} columns`);
    const line = row.map(copyField).join('\t') + '\n';
    lines.push(line);
    bytes += line.length;
    if (bytes >= CHUNK_BYTES) {
      yield Buffer.from(lines.join(''), 'utf8');
      lines = [];
      bytes = 0;
    }
  }
  if (lines.length > 0) yield Buffer.from(lines.join(''), 'utf8');
}

/** One value in COPY's text format: `\N` for NULL; backslash, tab, newline and carriage return escaped. */
export function copyField(value: CopyValue): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'string') return escape(value);
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (value instanceof Date) return value.toISOString();
  // bytea's hex input (\x…), its backslash escaped for the text format
  if (value instanceof Uint8Array)
    return '\\\\x' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  return escape(JSON.stringify(value));
}

/**
 * A PostgreSQL text[] literal ({"a","b"}) for a COPY value: every element quoted, its `"` and `\` escaped (COPY's
 * own escaping then applies as to any text). Objects and arrays given to `copyField` are JSON (json/jsonb columns).
 */
export function textArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

const SPECIAL = /[\\\t\n\r]/;

function escape(text: string): string {
  if (!SPECIAL.test(text)) return text;
  return text.replace(/[\\\t\n\r]/g, (c) =>
    c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r',
  );
}
