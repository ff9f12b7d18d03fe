import { HTTP_ROUTES, httpRoutesOf, serviceBaseUrl } from './http-routes';

describe('the HTTP route table', () => {
  it('gives each service its routes as its subgraph serves them', () => {
    expect(httpRoutesOf('membership')).toEqual([
      { method: 'POST', path: '/roster/imports', streamed: true },
      { method: 'GET', path: '/roster/export', streamed: false },
    ]);
    expect(httpRoutesOf('welfare')).toEqual([]);
  });

  it('declares every gateway path once, and no GET route with a body', () => {
    const paths = HTTP_ROUTES.map((route) => `${route.method} ${route.gatewayPath}`);
    expect(new Set(paths).size).toBe(paths.length);
    expect(HTTP_ROUTES.filter((route) => route.method === 'GET' && route.streamed)).toEqual([]);
  });

  it('finds a service where the gateway sends its GraphQL, or at the topology’s default port', () => {
    expect(serviceBaseUrl('membership', { SUBGRAPH_URL_MEMBERSHIP: 'http://membership:4101/graphql' })).toBe(
      'http://membership:4101',
    );
    expect(serviceBaseUrl('finance', {})).toBe('http://127.0.0.1:4102');
    expect(() => serviceBaseUrl('gateway' as never, {})).toThrow(/no service 'gateway'/);
    expect(() => serviceBaseUrl('constructor' as never, {})).toThrow(/no service/);
  });
});
