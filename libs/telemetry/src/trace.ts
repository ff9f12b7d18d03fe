import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type TextMapGetter,
} from '@opentelemetry/api';

export { ROOT_CONTEXT, SpanKind, type Context, type Link, type Span };

/** The platform's instrumentation scope: every span the libs start is of this tracer. */
export const TRACER_NAME = 'unionfed';

export interface SpanOptions {
  kind?: SpanKind;
  /** set on the span only when it is recorded (a service that exports nothing pays nothing for them) */
  attributes?: Attributes | (() => Attributes);
  /** the parent: the active context when absent (a received message's or a stored job's context otherwise) */
  parent?: Context;
  /** other contexts the span belongs to (the events of a consumed batch, the rows of a relayed one) */
  links?: () => Link[];
}

/**
 * Runs `work` in a new active span — everything it starts (SQL, events written to the outbox, audit rows, log
 * lines) belongs to it — and ends the span when `work` settles: a thrown error marks it ERROR with the exception
 * recorded, and is passed on unchanged.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = startSpan(name, options.kind, parent);
  if (span.isRecording()) {
    if (options.attributes)
      span.setAttributes(
        typeof options.attributes === 'function' ? options.attributes() : options.attributes,
      );
    if (options.links) span.addLinks(options.links());
  }
  try {
    return await context.with(trace.setSpan(parent, span), work, undefined, span);
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * A span under `parent`. A trace its root chose not to sample (parent-based sampling: the default, and what a
 * service without an exporter does) is passed on as it came — its parent's context, no new span — so that the
 * hot paths (a request's command, each event of a consumed batch) pay for no span that nobody records; a root, or
 * a sampled trace, gets a span of its own.
 */
export function startSpan(name: string, kind: SpanKind | undefined, parent: Context): Span {
  const parentSpan = trace.getSpan(parent);
  const parentContext = parentSpan?.spanContext();
  if (parentSpan && parentContext && trace.isSpanContextValid(parentContext)) {
    // (a non-recording span ends as a no-op: the caller may end what it got)
    if ((parentContext.traceFlags & TraceFlags.SAMPLED) === 0 && !parentSpan.isRecording()) return parentSpan;
  }
  return trace.getTracer(TRACER_NAME).startSpan(name, { kind }, parent);
}

/** Marks a span ERROR with the exception recorded (a recorded span only). */
export function failed(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/** The active span's trace id (32 hex digits), or undefined outside any trace. */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The active span's trace and span ids, for log lines (empty outside any trace). */
export function activeTraceFields(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * Writes the trace context of `ctx` (default: the active one) into `carrier` as the registered propagator says —
 * W3C `traceparent` (and `tracestate`) — for an outgoing request or a stored event. Nothing outside a trace.
 */
export function injectTraceContext<C extends Record<string, string>>(
  carrier: C,
  ctx: Context = context.active(),
): C {
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The W3C traceparent of the active span (what `injectTraceContext` writes), or undefined outside a trace. */
export function activeTraceparent(): string | undefined {
  return injectTraceContext<Record<string, string>>({}).traceparent;
}

/** Reads a header of a Kafka message (Buffer values) or of an HTTP request (strings, repeated headers as arrays). */
const HEADERS_GETTER: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined || first === null) return undefined;
    return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  },
};

/**
 * The remote context that `headers` carry (a received request's, a Kafka message's, a stored job's
 * `{ traceparent }`), as the parent of the span that continues it. A carrier without one gives the root context:
 * the span starts a new trace.
 */
export function extractTraceContext(headers: object | undefined): Context {
  return headers
    ? propagation.extract(ROOT_CONTEXT, headers as Record<string, unknown>, HEADERS_GETTER)
    : ROOT_CONTEXT;
}

/** The trace id a carrier's context names (a Kafka message's, for its log lines), or undefined. */
export function traceIdIn(headers: object | undefined): string | undefined {
  const spanContext = trace.getSpanContext(extractTraceContext(headers));
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** A link to the context a carrier names (for a batch span), or undefined when it names none. */
export function linkTo(headers: object | undefined): Link | undefined {
  const spanContext = trace.getSpanContext(extractTraceContext(headers));
  return spanContext && trace.isSpanContextValid(spanContext) ? { context: spanContext } : undefined;
}
