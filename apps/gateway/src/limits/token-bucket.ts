/** A token bucket: up to `capacity` operations at once, then `refillPerSecond` on average. */
export interface RateLimit {
  capacity: number;
  refillPerSecond: number;
}

/** Milliseconds, as `Date.now()`; tests pass a clock they move by hand. */
export type Clock = () => number;

export type Take = { allowed: true; remaining: number } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  /** when `tokens` was last brought up to date */
  at: number;
  limit: RateLimit;
}

export function assertRateLimit(limit: RateLimit, what: string): void {
  if (!(limit.capacity >= 1) || !(limit.refillPerSecond > 0)) {
    throw new Error(`${what}: capacity must be at least 1 and refillPerSecond above 0`);
  }
}

/**
 * One token bucket per key, in the memory of this gateway instance (with N instances a caller gets up to N
 * times the rate; the limits are for abuse, not billing). A bucket that has refilled to capacity carries no
 * state, so when there are more than `maxKeys` buckets the full ones are dropped first, then the least
 * recently used.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly clock: Clock;
  private readonly maxKeys: number;

  constructor(options: { clock?: Clock; maxKeys?: number } = {}) {
    this.clock = options.clock ?? Date.now;
    this.maxKeys = options.maxKeys ?? 100_000;
  }

  /** Takes one token from the key's bucket, or says in how many seconds one will be there. */
  take(key: string, limit: RateLimit): Take {
    const now = this.clock();
    const bucket = this.buckets.get(key);
    const tokens = bucket ? this.tokensOf(bucket, now, limit) : limit.capacity;
    // re-inserting keeps the map in least-recently-used order
    this.buckets.delete(key);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now, limit });
      this.evictIfTooMany(now);
      return { allowed: true, remaining: Math.floor(tokens - 1) };
    }
    this.buckets.set(key, { tokens, at: now, limit });
    return {
      allowed: false,
      retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / limit.refillPerSecond)),
    };
  }

  /** how many buckets are kept (for tests and metrics) */
  get size(): number {
    return this.buckets.size;
  }

  private tokensOf(bucket: Bucket, now: number, limit: RateLimit): number {
    const elapsedSeconds = Math.max(0, now - bucket.at) / 1000;
    return Math.min(limit.capacity, bucket.tokens + elapsedSeconds * limit.refillPerSecond);
  }

  private evictIfTooMany(now: number): void {
    if (this.buckets.size <= this.maxKeys) return;
    for (const [key, bucket] of this.buckets) {
      if (this.tokensOf(bucket, now, bucket.limit) >= bucket.limit.capacity) this.buckets.delete(key);
    }
    // still too many callers are mid-burst: forget the least recently seen (they start again with a full bucket)
    const target = Math.floor(this.maxKeys * 0.9);
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}
