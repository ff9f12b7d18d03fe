import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SpanStatusCode } from '@opentelemetry/api';
import { recordSpans, type SpanRecorder } from '@unionfed/testing';
import {
  activeTraceFields,
  activeTraceId,
  activeTraceparent,
  extractTraceContext,
  injectTraceContext,
  inSpan,
  traceIdIn,
  traceRequests,
} from './index';
import { tracingModeOf } from './sdk';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SAMPLED = `00-${TRACE_ID}-b7ad6b7169203331-01`;
const UNSAMPLED = `00-${TRACE_ID}-b7ad6b7169203331-00`;

describe('spans and trace context', () => {
  let recorder: SpanRecorder;
  beforeEach(() => (recorder = recordSpans()));
  afterEach(() => recorder.stop());

  it('nests a span started inside another under it, in the same trace', async () => {
    await inSpan('outer', {}, () => inSpan('inner', {}, async () => undefined));
    const [inner] = recorder.named('inner');
    const [outer] = recorder.named('outer');
    expect(inner.spanContext().traceId).toBe(outer.spanContext().traceId);
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(outer.parentSpanContext).toBeUndefined();
  });

  it('marks a span whose work throws as an error and passes the error on', async () => {
    await expect(
      inSpan('failing', {}, async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    const [span] = recorder.named('failing');
    expect(span.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'refused' });
    expect(span.events.map((e) => e.name)).toContain('exception');
  });

  it('continues a received traceparent and writes the new span into what it sends on', async () => {
    const sent = await inSpan(
      'handle',
      { parent: extractTraceContext({ traceparent: SAMPLED }) },
      async () => ({
        traceId: activeTraceId(),
        traceparent: activeTraceparent(),
        carrier: injectTraceContext({}),
        log: activeTraceFields(),
      }),
    );
    const [span] = recorder.named('handle');
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext).toMatchObject({ spanId: 'b7ad6b7169203331', isRemote: true });
    expect(sent.traceId).toBe(TRACE_ID);
    expect(sent.traceparent).toBe(`00-${TRACE_ID}-${span.spanContext().spanId}-01`);
    expect(sent.carrier).toEqual({ traceparent: sent.traceparent });
    expect(sent.log).toEqual({ trace_id: TRACE_ID, span_id: span.spanContext().spanId });
  });

  it('passes a trace its root did not sample on as it came, with no span of its own', async () => {
    const traceparent = await inSpan(
      'handle',
      { parent: extractTraceContext({ traceparent: UNSAMPLED }) },
      async () => activeTraceparent(),
    );
    expect(traceparent).toBe(UNSAMPLED);
    expect(recorder.spans()).toHaveLength(0);
  });

  it('reads the trace context of Kafka headers (Buffer values) as of HTTP ones', () => {
    expect(traceIdIn({ traceparent: Buffer.from(SAMPLED) })).toBe(TRACE_ID);
    expect(traceIdIn({ traceparent: [SAMPLED] })).toBe(TRACE_ID);
    expect(traceIdIn({ traceparent: 'garbage' })).toBeUndefined();
    expect(traceIdIn(undefined)).toBeUndefined();
  });

  it('has nothing to say outside any trace', () => {
    expect(activeTraceId()).toBeUndefined();
    expect(activeTraceparent()).toBeUndefined();
    expect(activeTraceFields()).toEqual({});
  });

  it('serves a request in a server span that continues the caller’s trace, its body’s events included', async () => {
    const req = Object.assign(new EventEmitter(), {
      method: 'POST',
      url: '/graphql',
      headers: { traceparent: SAMPLED },
    }) as unknown as IncomingMessage;
    const res = Object.assign(new EventEmitter(), {
      statusCode: 200,
      writableFinished: true,
    }) as unknown as ServerResponse;
    const seen: (string | undefined)[] = [];
    traceRequests()(req, res, () => {
      seen.push(activeTraceId());
      // a listener added now (a body parser's) runs in the request's span when the socket delivers the body
      req.on('data', () => seen.push(activeTraceId()));
    });
    await new Promise((resolve) => setImmediate(resolve)); // the body arrives later, from elsewhere
    req.emit('data', Buffer.from('{}'));
    res.emit('finish');
    expect(seen).toEqual([TRACE_ID, TRACE_ID]);
    const [span] = recorder.named('POST /graphql');
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(span.attributes['http.response.status_code']).toBe(200);
  });
});

describe('request spans, probes excepted', () => {
  it('serves a probe in no span of its own', async () => {
    const recorder = recordSpans();
    try {
      const req = Object.assign(new EventEmitter(), { method: 'GET', url: '/health/ready', headers: {} });
      const res = Object.assign(new EventEmitter(), { statusCode: 200, writableFinished: true });
      let traced: string | undefined = 'not called';
      traceRequests({ except: ['/health', '/metrics'] })(
        req as unknown as IncomingMessage,
        res as unknown as ServerResponse,
        () => (traced = activeTraceId()),
      );
      res.emit('finish');
      expect(traced).toBeUndefined();
      expect(recorder.spans()).toHaveLength(0);
    } finally {
      await recorder.stop();
    }
  });
});

describe('tracing mode', () => {
  it('exports when an OTLP endpoint is configured, propagates only otherwise, and honours OTEL_SDK_DISABLED', () => {
    expect(tracingModeOf({})).toBe('propagating');
    expect(tracingModeOf({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe('propagating');
    expect(tracingModeOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('exporting');
    expect(tracingModeOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(
      'exporting',
    );
    expect(
      tracingModeOf({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }),
    ).toBe('disabled');
  });
});
