import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Logger, Req, Res } from '@nestjs/common';
import { DomainError } from '@unionfed/domain-kit';
import { HTTP_STATUS_OF_KIND } from '@unionfed/graphql-kit';
import { clientAddress } from '../application/gateway-auth';
import { CampusSsoUnavailableError, OidcLogin } from '../application/oidc-login';
import type { Session } from '../application/sessions.service';
import { OIDC_LOGIN_TTL_SECONDS } from '../domain/campus-sso';

/** The browser's half of a started sign-in: only sent back to the callback, gone when it is used. */
const STATE_COOKIE = 'unionfed_oidc_state';
const COOKIE_PATH = '/auth/oidc';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

function cookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${STATE_COOKIE}=${value}`,
    `Path=${COOKIE_PATH}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://gateway.invalid').searchParams;
}

/** The gateway's origin as the browser reached it (behind a trusted proxy, as the proxy says). */
function originOf(req: IncomingMessage): string {
  const trustProxy = process.env.UNIONFED_TRUST_PROXY === '1';
  const forwarded = (name: string) => {
    const value = req.headers[name];
    return trustProxy && typeof value === 'string' ? value.split(',')[0].trim() : undefined;
  };
  return `${forwarded('x-forwarded-proto') ?? 'http'}://${forwarded('x-forwarded-host') ?? req.headers.host}`;
}

const sessionJson = (session: Session) => ({
  accessToken: session.accessToken,
  accessTokenExpiresAt: session.accessTokenExpiresAt.toISOString(),
  refreshToken: session.refreshToken,
  refreshTokenExpiresAt: session.refreshTokenExpiresAt.toISOString(),
});

function send(res: ServerResponse, status: number, body: object): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/**
 * Campus SSO (OpenID Connect) for browsers: `GET /auth/oidc/login` sends the browser to the campus identity
 * provider, `GET /auth/oidc/callback` is where it comes back and gets a session — as JSON, or, when the sign-in
 * was started with `?return_to=/path`, by a redirect to that path with the tokens in the URL fragment (which
 * browsers never send to a server). Every answer is JSON, errors included, and never cached.
 */
@Controller('auth/oidc')
export class OidcController {
  private readonly logger = new Logger('CampusSso');

  constructor(private readonly oidc: OidcLogin) {}

  /** Whether campus SSO is configured (the dashboard shows its button then); anyone may ask. */
  @Get('status')
  status(@Res() res: ServerResponse): void {
    res.setHeader('cache-control', 'no-store');
    send(res, 200, { enabled: this.oidc.enabled });
  }

  @Get('login')
  async login(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    await this.answer(res, async () => {
      const query = queryOf(req);
      const started = await this.oidc.begin({
        origin: originOf(req),
        returnTo: query.get('return_to'),
        address: clientAddress(req),
      });
      res.setHeader('set-cookie', cookie(started.state, OIDC_LOGIN_TTL_SECONDS, started.secure));
      res.statusCode = 302;
      res.setHeader('location', started.authorizationUrl.href);
      res.end();
    });
  }

  @Get('callback')
  async callback(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    // the URL carries the code: keep it out of the Referer of whatever the browser loads next
    res.setHeader('referrer-policy', 'no-referrer');
    await this.answer(res, async () => {
      const cookieState = cookieValue(req, STATE_COOKIE);
      // the state is good once, whatever happens next
      if (cookieState !== undefined) res.setHeader('set-cookie', cookie('', 0, false));
      const { session, returnTo } = await this.oidc.complete({
        query: queryOf(req),
        cookieState,
        address: clientAddress(req),
      });
      if (returnTo === null) return send(res, 200, sessionJson(session));
      res.statusCode = 303;
      res.setHeader('location', `${returnTo}#${new URLSearchParams(sessionJson(session))}`);
      res.end();
    });
  }

  /** Runs a route, turning its errors into JSON answers with a status, a reason and a message, never a stack. */
  private async answer(res: ServerResponse, route: () => Promise<void>): Promise<void> {
    res.setHeader('cache-control', 'no-store');
    try {
      await route();
    } catch (error) {
      const status =
        error instanceof CampusSsoUnavailableError
          ? error.status
          : error instanceof DomainError
            ? HTTP_STATUS_OF_KIND[error.kind]
            : 500;
      if (status === 500) this.logger.error(error instanceof Error ? (error.stack ?? error.message) : error);
      if (error instanceof CampusSsoUnavailableError && error.retryAfterSeconds)
        res.setHeader('retry-after', String(error.retryAfterSeconds));
      send(res, status, {
        statusCode: status,
        error: STATUS_TEXT[status],
        ...(status === 500
          ? { message: 'Internal server error' }
          : { reason: (error as { reason: string }).reason, message: (error as Error).message }),
      });
    }
  }
}
