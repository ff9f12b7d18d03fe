import { getHeapStatistics } from 'node:v8';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Controller, Get, Header, HttpException, HttpStatus, Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { MessagingMetrics, RelayHost } from '@unionfed/messaging';

export interface VitalsThresholds {
  /** event-loop delay (p99 over a second) past which a sample is unhealthy — UNIONFED_LIVE_MAX_LOOP_DELAY_MS, 1 s */
  maxLoopDelayMs: number;
  /** heap in use ÷ V8's heap limit past which a sample is unhealthy — UNIONFED_LIVE_MAX_HEAP_RATIO, 0.9 */
  maxHeapRatio: number;
  /** how long samples must stay unhealthy before liveness fails — UNIONFED_LIVE_UNHEALTHY_FOR_MS, 15 s */
  unhealthyForMs: number;
}

function thresholdsFromEnv(env: NodeJS.ProcessEnv = process.env): VitalsThresholds {
  const read = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return env[name] && Number.isFinite(value) && value > 0 ? value : fallback;
  };
  return {
    maxLoopDelayMs: read('UNIONFED_LIVE_MAX_LOOP_DELAY_MS', 1_000),
    maxHeapRatio: read('UNIONFED_LIVE_MAX_HEAP_RATIO', 0.9),
    unhealthyForMs: read('UNIONFED_LIVE_UNHEALTHY_FOR_MS', 15_000),
  };
}

/**
 * Whether the process can still serve: a sample a second of the event loop's delay and of the heap against
 * V8's limit. One bad second (a long GC, a burst) is not a failure; a sustained one is, and liveness says so,
 * so that the orchestrator restarts a process that is wedged or about to run out of memory. (A loop blocked
 * outright answers no probe at all, which fails it too.)
 */
export class ProcessVitals {
  private readonly loopDelay: ReturnType<typeof monitorEventLoopDelay>;
  private readonly timer: NodeJS.Timeout;
  private unhealthySince: number | undefined;
  private last = { loopDelayMs: 0, heapRatio: 0 };

  constructor(
    readonly thresholds: VitalsThresholds = thresholdsFromEnv(),
    private readonly now: () => number = Date.now,
  ) {
    this.loopDelay = monitorEventLoopDelay({ resolution: 20 });
    this.loopDelay.enable();
    this.timer = setInterval(() => this.sample(), 1_000);
    this.timer.unref();
  }

  /** Takes one sample (every second on its own; tests call it too). */
  sample(loopDelayMs = this.loopDelay.percentile(99) / 1e6, heapRatio = heapInUseRatio()): void {
    this.loopDelay.reset();
    this.last = { loopDelayMs, heapRatio };
    const unhealthy =
      loopDelayMs > this.thresholds.maxLoopDelayMs || heapRatio > this.thresholds.maxHeapRatio;
    if (!unhealthy) this.unhealthySince = undefined;
    else this.unhealthySince ??= this.now();
  }

  /** live unless samples have been unhealthy for `unhealthyForMs` */
  alive(): boolean {
    return (
      this.unhealthySince === undefined || this.now() - this.unhealthySince < this.thresholds.unhealthyForMs
    );
  }

  report() {
    return {
      eventLoopDelayMs: Math.round(this.last.loopDelayMs),
      heapUsedRatio: Math.round(this.last.heapRatio * 1000) / 1000,
    };
  }

  stop(): void {
    clearInterval(this.timer);
    this.loopDelay.disable();
  }
}

function heapInUseRatio(): number {
  const heap = getHeapStatistics();
  return heap.used_heap_size / heap.heap_size_limit;
}

let processVitals: ProcessVitals | undefined;
/** One monitor per process, started by the first health controller. */
function sharedVitals(): ProcessVitals {
  processVitals ??= new ProcessVitals();
  return processVitals;
}

/** How long /health/ready waits for the database before it says it is not ready. */
export const READY_CHECK_TIMEOUT_MS = 2_000;

/** `check` resolves true in time, or the check is false (it never hangs the probe). */
function within(check: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  return Promise.race([check.then(() => true).catch(() => false), timedOut]).finally(() =>
    clearTimeout(timer),
  );
}

@Controller('health')
export class HealthController {
  private readonly vitals = sharedVitals();

  constructor(
    @Optional() private readonly dataSource?: DataSource,
    @Optional() private readonly relay?: RelayHost,
  ) {}

  /**
   * The process is alive (restart it if this fails): 503 once the event loop has lagged, or the heap has been
   * near its limit, for a sustained period (ProcessVitals).
   */
  @Get('live')
  live() {
    const vitals = this.vitals.report();
    if (!this.vitals.alive())
      throw new HttpException({ status: 'unhealthy', vitals }, HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'ok', vitals };
  }

  /**
   * The service can do its work: alive, database reachable (answered within READY_CHECK_TIMEOUT_MS — a pool
   * with no free connection counts as unreachable), migrations applied, Kafka clients connected.
   */
  @Get('ready')
  async ready() {
    const results: Record<string, boolean> = { alive: this.vitals.alive() };
    if (this.dataSource) {
      results.database = await within(this.dataSource.query('SELECT 1'), READY_CHECK_TIMEOUT_MS);
    }
    if (this.relay) results.outboxRelay = this.relay.ready();
    const ok = Object.values(results).every(Boolean);
    if (!ok)
      throw new HttpException({ status: 'unavailable', checks: results }, HttpStatus.SERVICE_UNAVAILABLE);
    return { status: 'ok', checks: results };
  }
}

/** The Node process's own metrics (memory, CPU, event-loop lag, GC), labelled with the service. */
@Injectable()
export class ProcessMetrics {
  readonly registry = new Registry();
  constructor() {
    this.registry.setDefaultLabels({ service: process.env.UNIONFED_SERVICE ?? 'unknown' });
    collectDefaultMetrics({ register: this.registry });
  }
}

/** Prometheus metrics at /metrics: the process's, plus the event backbone's where the service has one. */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly processMetrics: ProcessMetrics,
    @Optional() private readonly messaging?: MessagingMetrics,
  ) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async render(): Promise<string> {
    const registries = [this.processMetrics.registry, ...(this.messaging ? [this.messaging.registry] : [])];
    // concatenated rather than Registry.merge(), which would drop each registry's default labels
    return (await Promise.all(registries.map((registry) => registry.metrics()))).join('\n');
  }
}
