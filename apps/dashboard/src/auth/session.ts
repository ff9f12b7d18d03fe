// Where the session lives. The access token (10 minutes) stays in this module's memory only: never in storage,
// a URL or a log. The refresh token is kept in sessionStorage — this tab only, gone when it closes — so that a
// reload keeps the officer signed in; the page's Content-Security-Policy (script-src 'self', set by the gateway)
// is what keeps injected script away from it. (An httpOnly cookie would hide it from script entirely; the gateway
// answers tokens in the GraphQL body today — see the README.)
//
// authFetch is the one way the dashboard talks to the gateway (GraphQL and the file routes): it sends the access
// token, refreshes it shortly before it expires (one refresh at a time, however many requests wait), and on an
// UNAUTHENTICATED answer refreshes once and retries.

const REFRESH_KEY = 'unionfed.refresh';
const EARLY_MS = 30_000;

export interface SessionTokens {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
}

let access: { token: string; expiresAt: number } | null = null;
let refreshing: Promise<boolean> | null = null;
const listeners = new Set<(signedIn: boolean) => void>();

export function hasSession(): boolean {
  return access !== null || storedRefreshToken() !== null;
}

export function onSessionChange(listener: (signedIn: boolean) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function storedRefreshToken(): string | null {
  try {
    return sessionStorage.getItem(REFRESH_KEY);
  } catch {
    return null;
  }
}

export function startSession(tokens: SessionTokens): void {
  access = { token: tokens.accessToken, expiresAt: Date.parse(tokens.accessTokenExpiresAt) };
  sessionStorage.setItem(REFRESH_KEY, tokens.refreshToken);
  listeners.forEach((listener) => listener(true));
}

export function endSession(): void {
  access = null;
  sessionStorage.removeItem(REFRESH_KEY);
  listeners.forEach((listener) => listener(false));
}

/** The refresh token, to end the session at the gateway (logout). */
export function currentRefreshToken(): string | null {
  return storedRefreshToken();
}

const SESSION_FIELDS = 'accessToken accessTokenExpiresAt refreshToken';

async function postGraphql(body: object, token?: string): Promise<Response> {
  return fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
}

/** Swaps the refresh token for a new pair; false (and the session ended) when the gateway refuses it. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const refreshToken = storedRefreshToken();
    if (!refreshToken) return false;
    try {
      const response = await postGraphql({
        query: `mutation DashboardRefresh($r: String!) { refreshSession(refreshToken: $r) { ${SESSION_FIELDS} } }`,
        variables: { r: refreshToken },
      });
      const answer = (await response.json()) as {
        data?: { refreshSession?: SessionTokens } | null;
        errors?: { extensions?: { code?: string } }[];
      };
      if (answer.data?.refreshSession) {
        startSession(answer.data.refreshSession);
        return true;
      }
      // refused (expired, reused, account disabled): signed out. A network failure keeps the token for later.
      endSession();
      return false;
    } catch {
      return false;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

async function validAccessToken(): Promise<string | undefined> {
  if (access && access.expiresAt - Date.now() > EARLY_MS) return access.token;
  if (storedRefreshToken() && (await refreshSession())) return access?.token;
  return access?.token;
}

function withToken(init: RequestInit | undefined, token: string | undefined): RequestInit {
  const headers = new Headers(init?.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  else headers.delete('authorization');
  return { ...init, headers, credentials: 'same-origin' };
}

async function isUnauthenticated(response: Response): Promise<boolean> {
  if (response.status === 401) return true;
  if (!response.headers.get('content-type')?.includes('json')) return false;
  try {
    const body = (await response.clone().json()) as { errors?: { extensions?: { code?: string } }[] };
    return (body.errors ?? []).some((error) => error.extensions?.code === 'UNAUTHENTICATED');
  } catch {
    return false;
  }
}

/** fetch with the session's access token (refreshed when due, and once more on UNAUTHENTICATED). */
export async function authFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const token = await validAccessToken();
  const response = await fetch(input, withToken(init, token));
  if (token && storedRefreshToken() && (await isUnauthenticated(response)) && (await refreshSession()))
    return fetch(input, withToken(init, access?.token));
  return response;
}
