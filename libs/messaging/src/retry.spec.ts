import { backoffMs, isTransient, retryPolicyFromEnv } from './retry';

describe('consumer retry policy', () => {
  const policy = { maxAttempts: 5, initialBackoffMs: 200, maxBackoffMs: 10_000 };

  it('doubles the backoff per attempt, with jitter, up to the cap', () => {
    expect(backoffMs(policy, 1, () => 1)).toBe(200);
    expect(backoffMs(policy, 3, () => 1)).toBe(800);
    expect(backoffMs(policy, 3, () => 0)).toBe(400);
    expect(backoffMs(policy, 30, () => 1)).toBe(10_000);
  });

  it('reads the policy from the environment, default five attempts', () => {
    expect(retryPolicyFromEnv({}).maxAttempts).toBe(5);
    expect(retryPolicyFromEnv({ UNIONFED_CONSUMER_MAX_ATTEMPTS: '2' }).maxAttempts).toBe(2);
  });

  it('treats a database that is away as transient, and a bug as not', () => {
    expect(
      isTransient(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(
      isTransient({
        message: 'query failed',
        driverError: { code: '57P01', message: 'terminating connection due to administrator command' },
      }),
    ).toBe(true);
    expect(isTransient(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransient(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isTransient({ message: 'duplicate key', driverError: { code: '23505' } })).toBe(false);
  });
});
