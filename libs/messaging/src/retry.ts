/** How a consumer retries a failing handler before it dead-letters the message (*policy*, from the environment). */
export interface RetryPolicy {
  /** attempts before a message that keeps failing goes to the DLQ (UNIONFED_CONSUMER_MAX_ATTEMPTS, default 5) */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export function retryPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  return {
    maxAttempts: Math.max(1, Number(env.UNIONFED_CONSUMER_MAX_ATTEMPTS ?? 5)),
    initialBackoffMs: Number(env.UNIONFED_CONSUMER_INITIAL_BACKOFF_MS ?? 200),
    maxBackoffMs: Number(env.UNIONFED_CONSUMER_MAX_BACKOFF_MS ?? 10_000),
  };
}

/** Exponential backoff with full jitter: attempt 1 waits up to initial, then doubling up to the cap. */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Whether an error is the infrastructure being away (database restarting, connection lost) rather than the
 * message being bad. Transient errors are retried for as long as they last and never dead-letter a message.
 */
export function isTransient(error: unknown): boolean {
  for (
    let current = error as
        { code?: unknown; driverError?: unknown; cause?: unknown; message?: unknown } | undefined,
      depth = 0;
    current && depth < 5;
    depth++
  ) {
    const code = typeof current.code === 'string' ? current.code : undefined;
    if (code && (TRANSIENT_NODE_CODES.has(code) || /^(08|53|57P)/.test(code))) return true;
    const message = typeof current.message === 'string' ? current.message : '';
    if (
      /Connection terminated|timeout exceeded when trying to connect|connection is closed|Client has encountered a connection error|is not currently accepting connections|the database system is (starting up|shutting down)/i.test(
        message,
      )
    )
      return true;
    current = (current.driverError ?? current.cause) as typeof current;
  }
  return false;
}
