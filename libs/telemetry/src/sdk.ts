import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';

/** How a process traces, as `startTracing` found its environment. */
export type TracingMode =
  /** spans exported over OTLP/HTTP to the configured endpoint; SQL traced (pg instrumentation) */
  | 'exporting'
  /** no endpoint configured: trace context is propagated and ids are kept (logs, audit rows, events), nothing is recorded */
  | 'propagating'
  /** OTEL_SDK_DISABLED=true: nothing at all — no context is read, propagated or started */
  | 'disabled';

/** Whether an OTLP endpoint for traces is configured (the standard variables; an empty value is none). */
export function otlpEndpointConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return !!(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim());
}

/** What `startTracing` will do in `env`. */
export function tracingModeOf(env: NodeJS.ProcessEnv = process.env): TracingMode {
  if (/^true$/i.test(env.OTEL_SDK_DISABLED?.trim() ?? '')) return 'disabled';
  return otlpEndpointConfigured(env) ? 'exporting' : 'propagating';
}

let started: { sdk: NodeSDK; mode: TracingMode } | undefined;

/**
 * Starts OpenTelemetry for a service process. Call it before anything else is loaded — each service's `main.ts`
 * imports its `tracing.ts` first — because the pg instrumentation patches `pg` when it is loaded.
 *
 * - With `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` set: spans are batched and
 *   exported over OTLP/HTTP (the exporter reads the standard OTEL_EXPORTER_OTLP_* variables: headers, timeout,
 *   compression), sampled as OTEL_TRACES_SAMPLER says (default: parent-based, always on), SQL statements traced
 *   under the span that runs them.
 * - Without: no exporter and no instrumentation. The W3C propagator, the context manager and a tracer provider
 *   that records nothing (parent-based, roots not sampled) are still registered, so trace context crosses every
 *   hop and every request has a trace id for its log lines, audit rows and events — at the cost of two ids per span.
 * - `OTEL_SDK_DISABLED=true`: nothing is registered (the OpenTelemetry API stays a no-op).
 *
 * Resource: `service.name` = the service (OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still apply on top).
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): TracingMode {
  if (started) return started.mode;
  const mode = tracingModeOf(env);
  const exporting = mode === 'exporting';
  const spanProcessors: SpanProcessor[] = exporting
    ? [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })]
    : [new NoopSpanProcessor()];
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME?.trim() || service,
    spanProcessors,
    ...(exporting ? {} : { sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }) }),
    // only SQL run on behalf of a span (a request, a command, a consumed event, a relayed batch): not the relay's
    // polls, health probes or migrations
    instrumentations: exporting ? [new PgInstrumentation({ requireParentSpan: true })] : [],
    // traces only: the platform's metrics are Prometheus (/metrics), its logs pino lines
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  started = { sdk, mode };
  return mode;
}

/** Exports what is still buffered and stops tracing (the service's shutdown calls it after Nest has closed). */
export async function shutdownTracing(): Promise<void> {
  const current = started;
  started = undefined;
  await current?.sdk.shutdown();
}
