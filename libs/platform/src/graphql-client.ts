export interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: Record<string, unknown> }[];
}

/** A plain GraphQL-over-HTTP call, as the dashboard and integrations make it. */
export async function graphqlRequest<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  try {
    return JSON.parse(text) as GraphQLResponse<T>;
  } catch {
    throw new Error(`${url} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

/** Like graphqlRequest, but throws on any GraphQL error: for callers that expect success. */
export async function graphqlData<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const result = await graphqlRequest<T>(url, query, variables, headers);
  if (result.errors?.length || !result.data) {
    throw new Error(`GraphQL error: ${JSON.stringify(result.errors ?? 'no data')}`);
  }
  return result.data;
}

export interface SignedIn {
  /** headers to send with every request: `authorization: Bearer <access token>` */
  headers: { authorization: string };
  accessToken: string;
  refreshToken: string;
  accountId: string;
}

/** Signs in at the gateway with a username and password (mutation `login`). */
export async function signIn(gatewayUrl: string, username: string, password: string): Promise<SignedIn> {
  const { login } = await graphqlData<{
    login: { accessToken: string; refreshToken: string; account: { id: string } };
  }>(
    gatewayUrl,
    'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken account { id } } }',
    { u: username, p: password },
  );
  return {
    headers: { authorization: `Bearer ${login.accessToken}` },
    accessToken: login.accessToken,
    refreshToken: login.refreshToken,
    accountId: login.account.id,
  };
}
