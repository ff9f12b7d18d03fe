import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { extractTraceContext, startSpan } from './trace';

/**
 * Express/connect middleware: every request it sees runs in a SERVER span that continues the caller's W3C trace
 * context (`traceparent`, `tracestate`) — a new trace when the caller sent none. The request and response emitters
 * are bound to the span's context, so that what runs on their events (the body parser, then the GraphQL request
 * or the file route) is part of it. The span ends when the response is finished or the connection closes.
 *
 * The libs install it where a service serves requests: `subgraphModule` (libs/graphql-kit) on /graphql and the
 * subgraph's own HTTP routes, the gateway on every route but its probes (`except: ['/health', '/metrics']`). (This
 * is what carries the context across the HTTP hop; `injectTraceContext` is the other half, on the caller's side.)
 */
export function traceRequests(
  options: { except?: readonly string[] } = {},
): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  const except = options.except ?? [];
  return (req, res, next) => {
    const path = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const route = path.split('?')[0];
    if (except.some((prefix) => route === prefix || route.startsWith(`${prefix}/`))) return next();
    const parent = extractTraceContext(req.headers);
    const span = startSpan(`${req.method} ${route}`, SpanKind.SERVER, parent);
    if (span.isRecording()) {
      span.setAttributes({
        'http.request.method': req.method ?? 'GET',
        'url.path': route,
        'http.route': route,
      });
    }
    const active = trace.setSpan(parent, span);
    context.bind(active, req);
    context.bind(active, res);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      if (span.isRecording()) {
        span.setAttribute('http.response.status_code', res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        if (!res.writableFinished) span.setAttribute('http.connection_closed_early', true);
      }
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(active, next);
  };
}

/** Renames the active (request) span after the GraphQL operation it serves, e.g. `mutation admitMember`. */
export function nameRequestSpan(operationType: string, operationName: string | undefined): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.updateName(`${operationType} ${operationName ?? '(anonymous)'}`);
  span.setAttribute('graphql.operation.type', operationType);
  if (operationName) span.setAttribute('graphql.operation.name', operationName);
}
