import {
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Controller, Get, Logger, Post, Req, Res } from '@nestjs/common';
import { GATEWAY_SIGNATURE_HEADER, signGatewayRequest, STREAMED_BODY } from '@unionfed/graphql-kit';
import { SigningKeys } from './application/signing-keys';
import { SERVICES, subgraphUrlVariable } from '@unionfed/service-kit';
import { injectTraceContext } from '@unionfed/telemetry';

/** Request headers passed on to membership: the caller's credentials, the body's description, the trace. */
const REQUEST_HEADERS = [
  'authorization',
  'content-type',
  'content-length',
  'x-file-name',
  'x-roster-mapping',
  'accept',
];
/** Response headers passed back: what the caller needs to read the answer (hop-by-hop headers stay here). */
const RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-disposition',
  'cache-control',
  'www-authenticate',
];

/**
 * Where membership's HTTP endpoints are: its subgraph URL (SUBGRAPH_URL_MEMBERSHIP, as the gateway routes
 * GraphQL to it) without `/graphql`, else the topology's default port.
 */
export function membershipBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const subgraph = env[subgraphUrlVariable('membership')];
  if (subgraph) return subgraph.replace(/\/graphql\/?$/, '').replace(/\/$/, '');
  return `http://127.0.0.1:${SERVICES.membership.port}`;
}

/**
 * 花名册文件 through the gateway: a streaming pass-through to membership, which authenticates the caller and
 * decides (the gateway adds the trace and nothing else — policy lives where the data is).
 *
 *   POST /uploads/roster?…   → membership POST /roster/imports?…  (the file streams through, never buffered)
 *   GET  /downloads/roster?… → membership GET  /roster/export?…
 *
 * Membership unreachable: 502 with a JSON error in the platform's shape.
 */
@Controller()
export class RosterFilesController {
  private readonly logger = new Logger('RosterFiles');

  constructor(private readonly keys: SigningKeys) {}

  @Post('uploads/roster')
  upload(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.forward(req, res, '/roster/imports');
  }

  @Get('downloads/roster')
  download(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.forward(req, res, '/roster/export');
  }

  private async forward(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const incoming = new URL(
      (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/',
      'http://gateway',
    );
    const target = new URL(`${membershipBaseUrl()}${path}${incoming.search}`);
    const headers: Record<string, string> = {};
    for (const name of REQUEST_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    injectTraceContext(headers); // the request's span (the caller's trace, or one started here)
    // the hop is signed like every GraphQL request the gateway forwards (an upload's body streams: unsigned)
    headers[GATEWAY_SIGNATURE_HEADER] = await signGatewayRequest(this.keys.signingKey(), {
      method: req.method ?? 'GET',
      path: `${target.pathname}${target.search}`,
      body: req.method === 'GET' ? '' : STREAMED_BODY,
    });

    return new Promise<void>((resolve) => {
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const upstream = send(target, { method: req.method, headers });
      const fail = (error: Error) => {
        this.logger.warn(`${req.method} ${path}: membership did not answer (${error.message})`);
        if (!res.headersSent) {
          const body = JSON.stringify({
            error: {
              code: 'BAD_GATEWAY',
              reason: 'MEMBERSHIP_UNAVAILABLE',
              message: 'The membership service cannot be reached; try again shortly',
              messageZh: '会籍服务暂时无法访问，请稍后重试',
            },
          });
          res.writeHead(502, {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(body),
          });
          res.end(body);
        } else {
          res.destroy();
        }
        req.resume(); // whatever is still coming is dropped
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
      req.pipe(upstream);
    });
  }
}

function pick(headers: IncomingHttpHeaders, names: string[]): Record<string, string | string[]> {
  const picked: Record<string, string | string[]> = {};
  for (const name of names) {
    const value = headers[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}
