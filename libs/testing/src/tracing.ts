import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';

export interface SpanRecorder {
  /** every span ended since the recorder started (or was last cleared), in the order they ended */
  spans(): ReadableSpan[];
  /** the ended spans called `name` */
  named(name: string): ReadableSpan[];
  clear(): void;
  /** unregisters the recorder's provider, context manager and propagator */
  stop(): Promise<void>;
}

/**
 * Registers OpenTelemetry for this test file as a service registers it (W3C propagation, the async-hooks context
 * manager), with a tracer provider that samples every span and keeps the ended ones in memory: what the libs'
 * spans look like — their names, parents and trace ids — can be asserted.
 */
export function recordSpans(): SpanRecorder {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  trace.disable();
  context.disable();
  propagation.disable();
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    spans: () => exporter.getFinishedSpans(),
    named: (name) => exporter.getFinishedSpans().filter((span) => span.name === name),
    clear: () => exporter.reset(),
    stop: async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
