import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** the name a statement is prepared under: the same text gets the same name on every connection */
const names = new Map<string, string>();

function nameOf(sql: string): string {
  let name = names.get(sql);
  if (!name) {
    name = `uf_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`;
    names.set(sql, name);
  }
  return name;
}

/** What `manager.queryRunner` holds once connected: the pool client that runs its statements. */
interface ConnectedRunner {
  databaseConnection?: {
    query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  };
}

/**
 * Runs a statement of a hot path as a named prepared statement of the connection: PostgreSQL parses it once per
 * connection and, after its first executions, may keep a generic plan, instead of parsing and planning the text
 * on every call — what a consumer's bulk inbox insert and projection upserts, sent per transaction, gain by.
 *
 * Only for statements whose text is fixed (parameters carry every value). Errors are the driver's own (their
 * SQLSTATE is read by `pgError` as for any other statement). Outside a connected query runner (no transaction)
 * it is a plain `manager.query`.
 */
export async function queryPrepared<T = unknown>(
  manager: EntityManager,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  const client = (manager.queryRunner as ConnectedRunner | undefined)?.databaseConnection;
  if (!client || manager.queryRunner?.isReleased) return manager.query(sql, params);
  const result = await client.query({ name: nameOf(sql), text: sql, values: params });
  return result.rows as T[];
}
