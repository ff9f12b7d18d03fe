/**
 * Retries an assertion until it passes or the time is up (then throws its last error): for effects that happen
 * asynchronously — an event crossing Kafka — waited for, never slept for.
 */
export async function eventually<T>(
  assertion: () => Promise<T> | T,
  { timeoutMs = 30_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
