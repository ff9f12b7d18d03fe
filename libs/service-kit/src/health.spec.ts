import { DataSource } from 'typeorm';
import { HttpException } from '@nestjs/common';
import { HealthController, ProcessVitals, READY_CHECK_TIMEOUT_MS } from './health';

describe('process vitals', () => {
  let clock = 0;
  let vitals: ProcessVitals;
  beforeEach(() => {
    clock = 0;
    vitals = new ProcessVitals(
      { maxLoopDelayMs: 1_000, maxHeapRatio: 0.9, unhealthyForMs: 10_000 },
      () => clock,
    );
  });
  afterEach(() => vitals.stop());

  it('stays alive through one slow second', () => {
    vitals.sample(3_000, 0.2);
    clock += 5_000;
    expect(vitals.alive()).toBe(true);
    vitals.sample(5, 0.2);
    clock += 20_000;
    expect(vitals.alive()).toBe(true);
  });

  it('is not alive once the event loop has lagged for the sustained period', () => {
    for (let second = 0; second <= 10; second++, clock += 1_000) vitals.sample(2_500, 0.2);
    expect(vitals.alive()).toBe(false);
    vitals.sample(3, 0.2);
    expect(vitals.alive()).toBe(true);
  });

  it('is not alive once the heap has stayed near its limit for the sustained period', () => {
    for (let second = 0; second <= 10; second++, clock += 1_000) vitals.sample(3, 0.95);
    expect(vitals.alive()).toBe(false);
  });
});

describe('readiness', () => {
  it('answers 503 within its bound when the database does not answer, instead of hanging', async () => {
    const stuck = { query: () => new Promise(() => undefined) } as unknown as DataSource;
    const started = Date.now();
    const answer = await new HealthController(stuck).ready().catch((error: unknown) => error);
    expect(Date.now() - started).toBeLessThan(READY_CHECK_TIMEOUT_MS + 500);
    expect(answer).toBeInstanceOf(HttpException);
    expect((answer as HttpException).getStatus()).toBe(503);
    expect((answer as HttpException).getResponse()).toMatchObject({ checks: { database: false } });
  });
});
