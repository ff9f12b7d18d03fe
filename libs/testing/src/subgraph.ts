import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication, type Provider, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import type { Grant, Principal } from '@unionfed/auth';
import {
  GATEWAY_SIGNATURE_HEADER,
  guardedRoutesOf,
  signGatewayRequest,
  STREAMED_BODY,
  subgraphModule,
  type SubgraphOptions,
} from '@unionfed/graphql-kit';
import { Outbox } from '@unionfed/messaging';
import type { DomainServiceName } from '@unionfed/service-kit';
import type { TestIssuer } from './auth';

/**
 * Who sends a request: a user with these grants (a token from the test issuer), a user with grants and more of
 * a principal (subject, name, memberId…), a ready Authorization header, or nobody (`null`).
 */
export type Caller =
  | readonly Grant[]
  | (Partial<Omit<Principal, 'grants'>> & { grants: readonly Grant[] })
  | { authorization: string }
  | null;

export interface RequestOptions {
  /** more request headers (traceparent…) */
  headers?: Record<string, string>;
  /** sign as the gateway signs what it forwards (default true); false: as a caller who went around it */
  signed?: boolean;
}

export interface GraphqlError {
  message: string;
  path?: readonly (string | number)[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  extensions?: Record<string, any> & { code?: string; reason?: string };
}

/** The body of a GraphQL answer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface GraphqlResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: GraphqlError[];
}

export interface ServedSubgraph {
  app: INestApplication;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** the GraphQL endpoint, `${baseUrl}/graphql` */
  url: string;
  /** a GraphQL request as `caller`, signed as the gateway signs it: the answer's body */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  graphql<T = Record<string, any>>(
    caller: Caller,
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<GraphqlResponse<T>>;
  /** the same request, answered as it came (status, headers) */
  post(
    caller: Caller,
    query: string,
    variables?: Record<string, unknown>,
    options?: RequestOptions,
  ): Promise<Response>;
  /** a request to one of the service's HTTP routes (files) as `caller`, signed as the gateway forwards it */
  fetch(
    caller: Caller,
    path: string,
    init?: Omit<RequestInit, 'headers'> & RequestOptions,
  ): Promise<Response>;
  /** the Authorization header of a caller ({} for nobody) */
  authorization(caller: Caller): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export interface ServeSubgraphOptions {
  /** whose subgraph: names its outbox's events (`/unionfed/<service>`) */
  service: DomainServiceName;
  /** the subgraph as the service declares it (its SDL, entity scopes, httpRoutes…) */
  subgraph: SubgraphOptions;
  /** whose tokens and gateway signatures the subgraph trusts (its key set becomes UNIONFED_JWKS) */
  issuer: TestIssuer;
  /** the service's database (serviceDatabase) */
  dataSource: DataSource;
  /** the part of the service served: its resolvers, commands, repositories… */
  providers?: Provider[];
  /** its HTTP routes' controllers; the subgraph's httpRoutes are narrowed to the routes these serve */
  controllers?: Type<unknown>[];
  imports?: (Type<unknown> | DynamicModule)[];
  /** environment while the app is built, e.g. { NODE_ENV: 'production' } (signatures required) */
  env?: Record<string, string>;
}

@Module({})
class ServedSubgraphModule {}

/** The database and outbox, for every module of the served app (the service's own modules find them so). */
@Module({})
class ServedInfrastructureModule {}

/**
 * A service's subgraph served over HTTP on a free local port, as the service serves it — its SDL, @access
 * enforcement, token verification, limits, error codes, the guards of its HTTP routes — against a test
 * database (the outbox is written, not relayed), with a client that sends requests as a given caller, signed
 * as the gateway signs what it forwards. Serve only the part of the service a test needs (`providers`,
 * `controllers`).
 */
export async function serveSubgraph(options: ServeSubgraphOptions): Promise<ServedSubgraph> {
  const { issuer } = options;
  const env = { UNIONFED_JWKS: issuer.env.UNIONFED_JWKS, ...options.env };
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  // the subgraph module reads the key set and NODE_ENV when it is made
  Object.assign(process.env, env);
  let app: INestApplication;
  try {
    const served = guardedRoutesOf(options.controllers ?? []);
    const httpRoutes = (options.subgraph.httpRoutes ?? []).filter((route) =>
      served.some((s) => s.method === route.method && s.path === route.path),
    );
    const infrastructure: DynamicModule = {
      module: ServedInfrastructureModule,
      global: true,
      providers: [
        { provide: DataSource, useValue: options.dataSource },
        { provide: Outbox, useValue: new Outbox(`/unionfed/${options.service}`) },
      ],
      exports: [DataSource, Outbox],
    };
    app = await NestFactory.create(
      {
        module: ServedSubgraphModule,
        imports: [
          infrastructure,
          subgraphModule({ ...options.subgraph, httpRoutes }),
          ...(options.imports ?? []),
        ],
        providers: options.providers ?? [],
        controllers: options.controllers ?? [],
      },
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
  } finally {
    // the app's verifiers have taken the key set: the environment is as it was
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  const baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const url = `${baseUrl}/graphql`;

  const authorization = async (caller: Caller): Promise<Record<string, string>> => {
    if (caller === null) return {};
    if ('authorization' in caller) return { authorization: caller.authorization };
    const { grants, ...principal } = Array.isArray(caller)
      ? { grants: caller as readonly Grant[] }
      : (caller as Partial<Principal> & { grants: readonly Grant[] });
    return { authorization: await issuer.bearer([...grants], principal) };
  };
  const signature = async (method: string, path: string, body: string | typeof STREAMED_BODY) => ({
    [GATEWAY_SIGNATURE_HEADER]: await signGatewayRequest(issuer.key, { method, path, body }),
  });

  const post: ServedSubgraph['post'] = async (
    caller,
    query,
    variables = {},
    { headers = {}, signed = true } = {},
  ) => {
    const body = JSON.stringify({ query, variables });
    return fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await authorization(caller)),
        ...(signed ? await signature('POST', '/graphql', body) : {}),
        ...headers,
      },
      body,
    });
  };

  return {
    app,
    baseUrl,
    url,
    authorization,
    post,
    async graphql(caller, query, variables, options) {
      const response = await post(caller, query, variables, options);
      const text = await response.text();
      try {
        return JSON.parse(text);
      } catch {
        throw new Error(
          `${url} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`,
        );
      }
    },
    async fetch(caller, path, { headers = {}, signed = true, ...init } = {}) {
      const method = init.method ?? 'GET';
      // a route's body streams through the gateway: its signature covers method, path and time
      const body = init.body === undefined || init.body === null ? '' : STREAMED_BODY;
      return fetch(`${baseUrl}${path}`, {
        ...init,
        method,
        headers: {
          ...(await authorization(caller)),
          ...(signed ? await signature(method, path, body) : {}),
          ...headers,
        },
      });
    },
    close: () => app.close(),
  };
}
