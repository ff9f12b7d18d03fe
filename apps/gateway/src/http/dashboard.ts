import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { HTTP_ROUTES } from '@unionfed/service-kit';

/**
 * Where the built dashboard is (tools/build/dashboard.mjs writes dist/dashboard; this file runs from
 * dist/apps/gateway/src/http), or UNIONFED_DASHBOARD_DIR.
 */
export function dashboardDir(): string {
  return process.env.UNIONFED_DASHBOARD_DIR ?? join(__dirname, '..', '..', '..', '..', 'dashboard');
}

/** Paths the dashboard never answers: the API, probes, keys, sign-in routes and every file route. */
const API_PREFIXES = [
  '/graphql',
  '/health',
  '/metrics',
  '/.well-known',
  '/auth/',
  '/member-accounts',
  ...HTTP_ROUTES.map((route) => route.gatewayPath),
];

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

/**
 * The policy of every dashboard page: scripts only from the gateway's own origin (no inline script, no eval),
 * style elements from the origin or carrying this response's nonce (antd writes its CSS-in-JS into style
 * elements with it), inline style attributes (antd's layout), requests to the origin only, never framed.
 */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const COMMON_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

type Next = (error?: unknown) => void;

/**
 * Serves the built dashboard same-origin at `/`: its hashed assets (cached for good), and for any other page a
 * browser navigates to (a GET accepting HTML outside the API's paths) the app's index.html with a fresh CSP nonce
 * and the security headers, never cached. Everything else goes on to the gateway's routes. Without a build, it
 * answers nothing and says so once.
 */
export function dashboardMiddleware(
  dir: string = dashboardDir(),
  warn: (message: string) => void = () => undefined,
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  let index: string | undefined;
  let warned = false;
  const indexHtml = (): string | undefined => {
    if (index !== undefined) return index;
    const path = join(dir, 'index.html');
    if (!existsSync(path)) {
      if (!warned) warn(`no dashboard build in ${dir} (node tools/build/dashboard.mjs): / answers 404`);
      warned = true;
      return undefined;
    }
    // read once per process: a new build is served by a restarted gateway
    index = readFileSync(path, 'utf8');
    return index;
  };

  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const path = new URL(req.url ?? '/', 'http://gateway.invalid').pathname;
    if (
      API_PREFIXES.some(
        (prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`),
      )
    )
      return next();
    const asset = path.match(/^\/(assets\/[A-Za-z0-9_.-]+|favicon\.svg)$/);
    if (asset) {
      const file = join(dir, asset[1]);
      if (!existsSync(file)) return next();
      for (const [name, value] of Object.entries(COMMON_HEADERS)) res.setHeader(name, value);
      res.setHeader('content-type', TYPES[extname(file)] ?? 'application/octet-stream');
      res.setHeader(
        'cache-control',
        asset[1].startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'public, max-age=3600',
      );
      res.end(req.method === 'HEAD' ? undefined : readFileSync(file));
      return;
    }
    if (!(req.headers.accept ?? '').includes('text/html') || extname(path) !== '') return next();
    const html = indexHtml();
    if (html === undefined) return next();
    const nonce = randomBytes(16).toString('base64');
    for (const [name, value] of Object.entries(COMMON_HEADERS)) res.setHeader(name, value);
    res.setHeader('content-security-policy', contentSecurityPolicy(nonce));
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    res.end(req.method === 'HEAD' ? undefined : html.replaceAll('__CSP_NONCE__', nonce));
  };
}
