import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Controller, Get, Logger, Post, Req, Res, type Type } from '@nestjs/common';
import {
  GATEWAY_SIGNATURE_HEADER,
  HttpRefusal,
  sendHttpError,
  signGatewayRequest,
  STREAMED_BODY,
} from '@unionfed/graphql-kit';
import { SigningKeys } from './application/signing-keys';
import { HTTP_ROUTES, serviceBaseUrl, type HttpRoute } from '@unionfed/service-kit';
import { injectTraceContext } from '@unionfed/telemetry';

/** Request headers every route passes on: the caller's credentials and what it accepts (the trace is added). */
const REQUEST_HEADERS = ['authorization', 'accept'];
/** …and for a body that streams through, what describes it. */
const BODY_HEADERS = ['content-type', 'content-length'];
/** Response headers passed back: what the caller needs to read the answer (hop-by-hop headers stay here). */
const RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-disposition',
  'cache-control',
  'www-authenticate',
  'retry-after',
];

/** How the 502 names a service that does not answer. */
const SERVICE_NAMES_ZH: Record<string, string> = {
  membership: '会籍服务',
  finance: '财务服务',
  congress: '教代会服务',
  activities: '活动服务',
  welfare: '福利服务',
};

/**
 * The gateway's HTTP routes (files), one handler per entry of the route table (libs/service-kit HTTP_ROUTES):
 * each a streaming pass-through to its service, which authenticates the caller and decides (the gateway signs
 * the hop and adds the trace, nothing else — policy lives where the data is).
 *
 *   POST /uploads/roster?…   → membership POST /roster/imports?…  (the file streams through, never buffered)
 *   GET  /downloads/roster?… → membership GET  /roster/export?…
 *
 * A service that cannot be reached, or that the topology does not know: 502 in the platform's error shape.
 */
export function httpRoutesController(routes: readonly HttpRoute[] = HTTP_ROUTES): Type<unknown> {
  @Controller()
  class HttpRoutesController {
    readonly logger = new Logger('HttpRoutes');

    constructor(readonly keys: SigningKeys) {}

    async forward(route: HttpRoute, req: IncomingMessage, res: ServerResponse): Promise<void> {
      const incoming = new URL(
        (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/',
        'http://gateway',
      );
      let base: string;
      try {
        base = serviceBaseUrl(route.service);
      } catch (error) {
        this.logger.error(`${route.method} ${route.gatewayPath}: ${(error as Error).message}`);
        return badGateway(req, res, route, 'SERVICE_UNKNOWN');
      }
      const target = new URL(`${base}${route.servicePath}${incoming.search}`);
      const headers: Record<string, string> = {};
      for (const name of [...REQUEST_HEADERS, ...(route.streamed ? BODY_HEADERS : []), ...route.headers]) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      injectTraceContext(headers); // the request's span (the caller's trace, or one started here)
      // the hop is signed like every GraphQL request the gateway forwards (an upload's body streams: unsigned)
      headers[GATEWAY_SIGNATURE_HEADER] = await signGatewayRequest(this.keys.signingKey(), {
        method: route.method,
        path: `${target.pathname}${target.search}`,
        body: route.streamed ? STREAMED_BODY : '',
      });

      return new Promise<void>((resolve) => {
        const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
        const upstream = send(target, { method: route.method, headers });
        const fail = (error: Error) => {
          this.logger.warn(
            `${route.method} ${route.servicePath}: ${route.service} did not answer (${error.message})`,
          );
          badGateway(req, res, route, 'UNAVAILABLE');
          resolve();
        };
        upstream.on('error', fail);
        upstream.on('response', (answer) => {
          res.writeHead(answer.statusCode ?? 502, pick(answer.headers, RESPONSE_HEADERS));
          answer.pipe(res);
          answer.on('error', () => res.destroy());
          res.on('close', () => {
            if (!answer.complete) answer.destroy();
            resolve();
          });
        });
        // the caller went away: so does the request upstream
        req.on('aborted', () => upstream.destroy());
        res.on('close', () => {
          if (!res.writableFinished) upstream.destroy();
        });
        if (route.streamed) req.pipe(upstream);
        else {
          req.resume(); // a body the route does not take is not sent on
          upstream.end();
        }
      });
    }
  }

  routes.forEach((route, index) => {
    // one handler per route: GET or POST at its gateway path, forwarding to its service
    const prototype = HttpRoutesController.prototype;
    const name = `route${index}`;
    Object.defineProperty(prototype, name, {
      value: function (this: HttpRoutesController, req: IncomingMessage, res: ServerResponse) {
        return this.forward(route, req, res);
      },
      writable: true,
      configurable: true,
    });
    Req()(prototype, name, 0);
    Res()(prototype, name, 1);
    (route.method === 'POST' ? Post : Get)(route.gatewayPath)(
      prototype,
      name,
      Object.getOwnPropertyDescriptor(prototype, name)!,
    );
  });
  return HttpRoutesController;
}

/** The routes of HTTP_ROUTES, as the gateway serves them. */
export const HttpRoutesController = httpRoutesController();

/** The service of a route did not answer (or is not in the topology): 502, or a cut-off answer mid-stream. */
function badGateway(
  req: IncomingMessage,
  res: ServerResponse,
  route: HttpRoute,
  why: 'UNAVAILABLE' | 'SERVICE_UNKNOWN',
): void {
  if (!res.headersSent) {
    const zh = SERVICE_NAMES_ZH[route.service] ?? `${route.service} 服务`;
    sendHttpError(
      res,
      new HttpRefusal(
        502,
        'BAD_GATEWAY',
        why === 'UNAVAILABLE' ? `${route.service.toUpperCase()}_UNAVAILABLE` : 'SERVICE_UNKNOWN',
        `The ${route.service} service cannot be reached; try again shortly`,
        `${zh}暂时无法访问，请稍后重试`,
      ),
    );
  } else {
    res.destroy();
  }
  req.resume(); // whatever is still coming is dropped
}

function pick(headers: IncomingHttpHeaders, names: string[]): Record<string, string | string[]> {
  const picked: Record<string, string | string[]> = {};
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}
