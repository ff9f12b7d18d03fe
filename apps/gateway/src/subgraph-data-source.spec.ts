import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateSigningKey, type SigningKey } from '@unionfed/auth';
import { GATEWAY_SIGNATURE_HEADER, GatewaySignatureVerifier } from '@unionfed/graphql-kit';
import { SubgraphDataSource, subgraphFetch, subgraphTimeoutMs } from './subgraph-data-source';

/** A stand-in subgraph over real HTTP: answers as `answer` says, and keeps what it was sent. */
function startServer(answer: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  return new Promise<{ server: Server; url: string }>((resolve) => {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => answer(req, body, res));
    });
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql` }),
    );
  });
}

describe('the gateway’s requests to subgraphs', () => {
  let key: SigningKey;
  const servers: Server[] = [];
  beforeAll(async () => {
    key = await generateSigningKey();
  });
  afterAll(() => servers.forEach((server) => server.close()));

  it('signs each request so that the subgraph’s verifier takes it, for exactly the body sent', async () => {
    const verifier = new GatewaySignatureVerifier({ jwks: { keys: [key.publicJwk] } });
    const seen: boolean[] = [];
    const { server, url } = await startServer(async (req, body, res) => {
      const signature = req.headers[GATEWAY_SIGNATURE_HEADER] as string;
      seen.push(await verifier.verifies(signature, { method: req.method!, path: req.url!, body }));
      seen.push(
        await verifier.verifies(signature, { method: req.method!, path: req.url!, body: `${body} ` }),
      );
      res.setHeader('content-type', 'application/json');
      res.end('{"data":{"ok":true}}');
    });
    servers.push(server);
    const response = await subgraphFetch(() => key, 5_000)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ ok }' }),
    });
    expect(await response.json()).toEqual({ data: { ok: true } });
    expect(seen).toEqual([true, false]);
  });

  it('gives up on a subgraph that does not answer in time with TIMEOUT', async () => {
    const { server, url } = await startServer(() => undefined);
    servers.push(server);
    const started = Date.now();
    const error = await subgraphFetch(() => key, 200)(url, { method: 'POST', body: '{}' }).catch(
      (thrown: unknown) => thrown,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toMatchObject({ extensions: { code: 'TIMEOUT', limit: 200 } });
    server.closeAllConnections();
  });

  it('waits a little longer than the subgraphs’ budget unless told otherwise', () => {
    expect(subgraphTimeoutMs({})).toBe(10_000);
    expect(subgraphTimeoutMs({ UNIONFED_REQUEST_BUDGET_MS: '3000' })).toBe(5_000);
    expect(subgraphTimeoutMs({ UNIONFED_SUBGRAPH_TIMEOUT_MS: '7000' })).toBe(7_000);
  });

  it('relays a subgraph’s refusal with its code and details, without the subgraph’s address', async () => {
    const source = new SubgraphDataSource({ url: 'http://127.0.0.1:1/graphql' });
    const refusal = {
      errors: [
        {
          message: 'The request body is larger than the 4194304 bytes this service accepts',
          extensions: { code: 'PAYLOAD_TOO_LARGE', limit: 4194304, measured: 5000000 },
        },
      ],
    };
    const error = await source.errorFromResponse(
      new Response(JSON.stringify(refusal), { status: 413, headers: { 'content-type': 'application/json' } }),
    );
    expect(error.message).toBe(refusal.errors[0].message);
    expect(error.extensions).toEqual(refusal.errors[0].extensions);
  });

  it('leaves any other error status to Apollo’s generic error (an internal error to callers)', async () => {
    const source = new SubgraphDataSource({ url: 'http://127.0.0.1:1/graphql' });
    const error = await source.errorFromResponse(
      new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
    );
    expect(error.extensions.code).toBeUndefined();
    expect(error.message).toMatch(/^502/);
  });
});
