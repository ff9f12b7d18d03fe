/** What a redacted value reads as in the audit trail: that it was there (and changed), not what it was. */
export const REDACTED = '[REDACTED]';

/**
 * Sensitive fields per entity type, declared by each service (ID numbers, phones, hardship files…): the audit
 * trail keeps that they changed, never their values.
 */
export type RedactionRules = Readonly<Record<string, readonly string[]>>;

/** A copy of a record for the audit trail, its declared sensitive fields (at any depth) replaced by REDACTED. */
export function redact(value: unknown, sensitive: ReadonlySet<string>): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((item) => redact(item, sensitive));
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (typeof field === 'function' || field === undefined) continue;
    out[key] = sensitive.has(key) && field !== null ? REDACTED : redact(field, sensitive);
  }
  return out;
}
