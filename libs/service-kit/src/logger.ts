import pino, { type Logger as Pino } from 'pino';
import type { LoggerService } from '@nestjs/common';
import { activeTraceFields } from '@unionfed/telemetry';

/**
 * Structured JSON logs (pino), one line per record, tagged with the service name and — written in a trace — the
 * active span's `trace_id` and `span_id` (a request's, a command's, a consumed event's).
 */
export function createLogger(service: string): Pino {
  return pino({
    name: service,
    level: process.env.LOG_LEVEL ?? 'info',
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: activeTraceFields,
  });
}

/** Routes Nest's own logging into pino. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}
  log(message: unknown, context?: string) {
    this.pino.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.pino.trace({ context }, String(message));
  }
}
