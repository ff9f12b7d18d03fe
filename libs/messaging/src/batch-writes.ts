import type { EntityManager } from 'typeorm';
import { queryPrepared } from '@unionfed/persistence';

/**
 * The version of a fact carried by an event published before its contract had a `version` field: older than
 * every real version, and among such facts the one delivered later wins (what consumers did before versions).
 */
export const UNVERSIONED = '';

/** How a column of a versioned table takes an incoming value. */
export type ColumnMerge = 'newest' | 'add';

/**
 * A projection table written with `BatchWrites.upsert`: a primary key, typed columns, and a `versions JSONB`
 * column holding, per column, the version of the fact that wrote it.
 */
export interface VersionedTable {
  table: string;
  key: readonly string[];
  /** every column but `versions` and `updated_at`, with its PostgreSQL type (key columns included) */
  columns: Readonly<Record<string, string>>;
  /** what a new row gets in the columns its first event did not set (its NOT NULL columns) */
  defaults?: Readonly<Record<string, unknown>>;
  /** columns that add up instead of taking the newest value (counters), default all `newest` */
  merge?: Readonly<Record<string, ColumnMerge>>;
}

interface PendingRow {
  /** the row as it goes into the statement: key, the table's defaults, the columns set (and, once flushed, `versions`) */
  values: Record<string, unknown>;
  versions: Record<string, string>;
}

/** a table's defaults for the columns that take the newest value (a counter's default applies at the flush) */
const newestDefaults = new WeakMap<VersionedTable, [string, unknown][]>();

function defaultsOf(table: VersionedTable): [string, unknown][] {
  let defaults = newestDefaults.get(table);
  if (!defaults) {
    defaults = Object.entries(table.defaults ?? {}).filter(([c]) => table.merge?.[c] !== 'add');
    newestDefaults.set(table, defaults);
  }
  return defaults;
}

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return name;
};

/**
 * The projection writes of one transaction, in bulk: `upsert` keeps rows in memory, `flush` — run by the
 * dispatcher after the transaction's last handler, before the commit — writes each table with ONE multi-row
 * `INSERT … ON CONFLICT DO UPDATE`.
 *
 * The newest version wins, per column: a row's column takes an incoming value only if the fact that brought it
 * is at least as new as the one that wrote it (`versions`); so events of one aggregate may arrive in any order,
 * across topics and batches, and the result is the state of the newest. Within a batch the same rule merges the
 * rows of one key before the statement. An event sets only the columns it knows; a column it does not name
 * keeps its value (a new row gets the table's `defaults`). Versions compare as strings (UUIDv7: by time);
 * `UNVERSIONED` is older than any version, and of two unversioned facts the later one wins.
 *
 * Writes are visible to the transaction only after the flush: a handler that must read what another handler of
 * its batch wrote uses `manager` instead.
 */
export class BatchWrites {
  private readonly pending = new Map<VersionedTable, Map<string, PendingRow>>();

  /** `row`: key columns and the columns this fact sets; `version`: the fact's version (UNVERSIONED if none). */
  upsert(table: VersionedTable, row: Record<string, unknown>, version: string = UNVERSIONED): void {
    let rows = this.pending.get(table);
    if (!rows) this.pending.set(table, (rows = new Map()));
    const key =
      table.key.length === 1
        ? String(row[table.key[0]])
        : table.key.map((k) => String(row[k])).join('\u0000');
    let merged = rows.get(key);
    if (!merged) {
      merged = { values: {}, versions: {} };
      for (const [column, value] of defaultsOf(table)) merged.values[column] = value;
      for (const k of table.key) merged.values[k] = row[k];
      rows.set(key, merged);
    }
    const keys = table.key;
    for (const column in row) {
      if (keys.includes(column)) continue;
      if (!(column in table.columns)) throw new Error(`${table.table} has no column ${column}`);
      const value = row[column];
      const known = merged.versions[column];
      if (table.merge?.[column] === 'add') {
        merged.values[column] = Number(merged.values[column] ?? 0) + Number(value);
        merged.versions[column] = known === undefined || version >= known ? version : known;
      } else if (known === undefined || version >= known) {
        merged.values[column] = value;
        merged.versions[column] = version;
      }
    }
  }

  async flush(manager: EntityManager): Promise<void> {
    for (const [table, rows] of this.pending) {
      if (rows.size > 0)
        await queryPrepared(manager, upsertStatement(table), [JSON.stringify(jsonRows(table, rows))]);
    }
    this.pending.clear();
  }
}

/** a row's versions when one fact wrote every column: `{ "*": version }` (most rows; a smaller WAL) */
const EVERY_COLUMN = '*';

/**
 * The rows as the statement's JSON array. Hot (every event of every consumer passes here): the pending rows
 * already hold the key and the newest-value defaults, so each only gets its `versions` and missing counters.
 */
function jsonRows(table: VersionedTable, rows: Map<string, PendingRow>): Record<string, unknown>[] {
  const others = Object.keys(table.columns).filter((c) => !table.key.includes(c));
  const counters = Object.entries(table.defaults ?? {}).filter(([c]) => table.merge?.[c] === 'add');
  const out: Record<string, unknown>[] = [];
  for (const { values, versions } of rows.values()) {
    const first = versions[others[0]];
    let one = first !== undefined;
    for (let i = 1; one && i < others.length; i++) one = versions[others[i]] === first;
    for (const [column, value] of counters) if (values[column] === undefined) values[column] = value;
    values.versions = one ? { [EVERY_COLUMN]: first } : versions;
    out.push(values);
  }
  return out;
}

const statements = new WeakMap<VersionedTable, string>();

/** The table's one upsert statement: rows from a JSON array, the newest version winning per column. */
function upsertStatement(table: VersionedTable): string {
  const cached = statements.get(table);
  if (cached) return cached;
  const name = ident(table.table);
  const columns = Object.keys(table.columns).map(ident);
  const others = columns.filter((c) => !table.key.includes(c));
  // a column's version in a row: its own, or the version of the fact that wrote every column
  const versionOf = (row: string, c: string) =>
    `COALESCE(${row}.versions->>'${c}', ${row}.versions->>'${EVERY_COLUMN}')`;
  const sets = (c: string) => `(EXCLUDED.versions ? '${c}' OR EXCLUDED.versions ? '${EVERY_COLUMN}')`;
  // the incoming fact is at least as new as the stored one; a column the incoming row does not set loses
  const newer = (c: string) =>
    `(${sets(c)} AND (${versionOf('cur', c)} IS NULL OR ` +
    `${versionOf('EXCLUDED', c)} COLLATE "C" >= ${versionOf('cur', c)} COLLATE "C"))`;
  const set = others.map((c) =>
    table.merge?.[c] === 'add'
      ? `${c} = cur.${c} + CASE WHEN ${sets(c)} THEN EXCLUDED.${c} ELSE 0 END`
      : `${c} = CASE WHEN ${newer(c)} THEN EXCLUDED.${c} ELSE cur.${c} END`,
  );
  const versions = `cur.versions || jsonb_strip_nulls(jsonb_build_object(${others
    .map((c) => `'${c}', CASE WHEN ${newer(c)} THEN to_jsonb(${versionOf('EXCLUDED', c)}) END`)
    .join(', ')}))`;
  const changes = others.map((c) => (table.merge?.[c] === 'add' ? sets(c) : newer(c)));
  const sql = `
    INSERT INTO ${name} AS cur (${columns.join(', ')}, versions, updated_at)
    SELECT ${columns.map((c) => `r.${c}`).join(', ')}, r.versions, now()
      FROM json_to_recordset($1::json) AS r(${columns.map((c) => `${c} ${table.columns[c]}`).join(', ')}, versions jsonb)
    ON CONFLICT (${table.key.map(ident).join(', ')}) DO UPDATE SET ${set.join(', ')},
      versions = ${versions}, updated_at = now()
    WHERE ${changes.join(' OR ')}`;
  statements.set(table, sql);
  return sql;
}
