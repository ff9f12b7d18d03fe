import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { GraphQLError } from 'graphql';
import type { SigningKey } from '@unionfed/auth';
import { injectTraceContext, inSpan, SpanKind } from '@unionfed/telemetry';
import type { GatewayContext } from './gateway.module';
import {
  GATEWAY_SIGNATURE_HEADER,
  LimitCode,
  limitError,
  requestBudgetMs,
  signGatewayRequest,
} from '@unionfed/graphql-kit';

/**
 * How long the gateway waits for a subgraph (UNIONFED_SUBGRAPH_TIMEOUT_MS): a little longer than the subgraphs'
 * execution budget, so that a subgraph's own TIMEOUT answer arrives first.
 */
export function subgraphTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number(env.UNIONFED_SUBGRAPH_TIMEOUT_MS);
  return Number.isInteger(configured) && configured > 0 ? configured : requestBudgetMs(env) + 2_000;
}

/**
 * How the gateway calls subgraphs: Node's own fetch, with its pool of keep-alive connections. The gateway's default
 * fetcher (make-fetch-happen: npm's retrying, caching client) cost several times more CPU per subgraph call — one
 * of its agents inspects a stack trace on every request. Each request is signed (the gateway-to-subgraph hop is
 * authenticated: libs/graphql-kit gateway-signature.ts) and bounded by subgraphTimeoutMs. Each call is a CLIENT span
 * (`POST <subgraph>`) under the gateway's request span, and carries its W3C trace context (`traceparent`) to the
 * subgraph, whose request span continues it.
 */
export function subgraphFetch(
  signingKey: () => SigningKey,
  timeoutMs: number,
  subgraph = 'subgraph',
): RemoteGraphQLDataSource['fetcher'] {
  return async (url, init) => {
    const method = init?.method ?? 'POST';
    const { pathname, search } = new URL(url);
    const signature = await signGatewayRequest(signingKey(), {
      method,
      path: `${pathname}${search}`,
      body: typeof init?.body === 'string' ? init.body : '',
    });
    return inSpan(
      `${method} ${subgraph}`,
      {
        kind: SpanKind.CLIENT,
        attributes: () => ({ 'http.request.method': method, 'url.full': url, 'unionfed.subgraph': subgraph }),
      },
      async (span) => {
        const headers = injectTraceContext({
          ...(init?.headers as Record<string, string>),
          [GATEWAY_SIGNATURE_HEADER]: signature,
        });
        try {
          const response = await fetch(url, {
            ...init,
            method,
            headers,
            signal: AbortSignal.timeout(timeoutMs),
          });
          if (span.isRecording()) span.setAttribute('http.response.status_code', response.status);
          return response;
        } catch (error) {
          if ((error as Error | undefined)?.name !== 'TimeoutError') throw error;
          throw limitError(LimitCode.TIMEOUT, `A service did not answer within ${timeoutMs} ms`, {
            limit: timeoutMs,
          });
        }
      },
    );
  };
}

/** The codes of a subgraph's refusals that the caller is told as they are (not as an internal error). */
const RELAYED_REFUSALS = new Set<string>([...Object.values(LimitCode), 'UNAUTHENTICATED']);

/**
 * A subgraph's data source. A subgraph refuses some requests with an HTTP error status (413 for a body over its
 * limit, 400 for an operation over its limits, 401): the refusal in its body is relayed with its code and
 * details instead of Apollo's generic "<status>: <text>" (which callers would see as INTERNAL_SERVER_ERROR),
 * and without the subgraph's URL.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override async errorFromResponse(response: Response): Promise<GraphQLError> {
    const body: unknown = await response
      .clone()
      .json()
      .catch(() => undefined);
    const first = (body as { errors?: { message?: unknown; extensions?: Record<string, unknown> }[] })
      ?.errors?.[0];
    const code = first?.extensions?.code;
    if (typeof code === 'string' && RELAYED_REFUSALS.has(code) && typeof first?.message === 'string') {
      return new GraphQLError(first.message, { extensions: { ...first.extensions } });
    }
    return super.errorFromResponse(response);
  }
}
