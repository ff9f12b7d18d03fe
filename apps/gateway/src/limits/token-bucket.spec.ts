import { TokenBuckets } from './token-bucket';

function fakeClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('token buckets', () => {
  const limit = { capacity: 3, refillPerSecond: 0.5 };

  it('allows a burst of capacity, then refuses and says when to retry', () => {
    const clock = fakeClock();
    const buckets = new TokenBuckets({ clock: clock.now });
    expect([1, 2, 3].map(() => buckets.take('k', limit).allowed)).toEqual([true, true, true]);
    expect(buckets.take('k', limit)).toEqual({ allowed: false, retryAfterSeconds: 2 });
  });

  it('refills at the given rate, never above capacity', () => {
    const clock = fakeClock();
    const buckets = new TokenBuckets({ clock: clock.now });
    for (let i = 0; i < 3; i++) buckets.take('k', limit);
    clock.advance(1_000); // half a token
    expect(buckets.take('k', limit)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    clock.advance(1_000);
    expect(buckets.take('k', limit).allowed).toBe(true);
    clock.advance(3_600_000);
    expect(buckets.take('k', limit)).toEqual({ allowed: true, remaining: 2 });
  });

  it('keeps one bucket per key', () => {
    const buckets = new TokenBuckets({ clock: fakeClock().now });
    for (let i = 0; i < 3; i++) buckets.take('a', limit);
    expect(buckets.take('a', limit).allowed).toBe(false);
    expect(buckets.take('b', limit).allowed).toBe(true);
  });

  it('forgets full buckets first when there are too many keys, and keeps a refused caller refused', () => {
    const clock = fakeClock();
    const buckets = new TokenBuckets({ clock: clock.now, maxKeys: 10 });
    for (let i = 0; i < 3; i++) buckets.take('busy', limit);
    for (let i = 0; i < 5; i++) buckets.take(`idle-${i}`, { capacity: 1, refillPerSecond: 1 });
    clock.advance(1_000); // the idle ones are full again; busy has half a token
    for (let i = 0; i < 6; i++) buckets.take(`new-${i}`, { capacity: 5, refillPerSecond: 1 });
    expect(buckets.size).toBeLessThanOrEqual(10);
    expect(buckets.take('busy', limit).allowed).toBe(false);
  });
});
