import type { RunningInfra } from '@unionfed/infra';

/** Stops what the global setup started (nothing, if it reused infrastructure that was already running). */
export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as { __unionfedInfra?: RunningInfra[] }).__unionfedInfra ?? [];
  (globalThis as { __unionfedInfra?: RunningInfra[] }).__unionfedInfra = [];
  for (const infra of started.reverse()) await infra.stop();
}
