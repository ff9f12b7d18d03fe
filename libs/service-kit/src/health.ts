import { Controller, Get, Header, HttpException, HttpStatus, Injectable, Optional } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { MessagingMetrics, RelayHost } from '@unionfed/messaging';

@Controller('health')
export class HealthController {
  constructor(
    @Optional() private readonly dataSource?: DataSource,
    @Optional() private readonly relay?: RelayHost,
  ) {}

  /** The process is alive (restart it if this fails). */
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  /** The service can do its work: database reachable, migrations applied, Kafka clients connected. */
  @Get('ready')
  async ready() {
    const results: Record<string, boolean> = {};
    if (this.dataSource) {
      results.database = await this.dataSource
        .query('SELECT 1')
        .then(() => true)
        .catch(() => false);
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
