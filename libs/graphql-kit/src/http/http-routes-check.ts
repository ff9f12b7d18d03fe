import { Inject, Injectable, RequestMethod, type OnModuleInit } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import {
  httpAccessOf,
  SUBGRAPH_HTTP_ACCESS,
  type SubgraphHttpAccess,
  type SubgraphHttpRoute,
} from './http-access';

/** A route a controller serves under @HttpAccess. */
export interface GuardedRoute {
  method: string;
  path: string;
}

const segments = (path: unknown): string[] =>
  (Array.isArray(path) ? path : [path ?? '']).map((p) => String(p).replace(/^\/+|\/+$/g, ''));

/** The routes of these controllers declared with @HttpAccess, as method and full path. */
export function guardedRoutesOf(controllers: readonly (new (...args: never[]) => unknown)[]): GuardedRoute[] {
  const scanner = new MetadataScanner();
  const routes: GuardedRoute[] = [];
  for (const controller of controllers) {
    const prefixes = segments(Reflect.getMetadata(PATH_METADATA, controller));
    for (const name of scanner.getAllMethodNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, object>)[name];
      if (!httpAccessOf(handler)) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      for (const prefix of prefixes)
        for (const path of segments(Reflect.getMetadata(PATH_METADATA, handler)))
          routes.push({ method, path: `/${[prefix, path].filter(Boolean).join('/')}` });
    }
  }
  return routes;
}

/**
 * What does not agree between the routes a subgraph declares (`httpRoutes`, taken from the gateway's route
 * table) and the routes its controllers guard: a declared route nothing serves (the gateway would forward into
 * a 404), a guarded route the gateway does not forward (nobody could reach it but by going around the gateway).
 */
export function httpRoutesMismatch(
  declared: readonly SubgraphHttpRoute[],
  guarded: readonly GuardedRoute[],
): string[] {
  const key = (route: { method: string; path: string }) => `${route.method} ${route.path}`;
  const served = new Set(guarded.map(key));
  const forwarded = new Set(declared.map(key));
  return [
    ...[...forwarded]
      .filter((route) => !served.has(route))
      .map((route) => `${route} is in httpRoutes but no @HttpAccess route serves it`),
    ...[...served]
      .filter((route) => !forwarded.has(route))
      .map((route) => `${route} is served with @HttpAccess but is not in httpRoutes (the gateway's table)`),
  ];
}

/** At start-up: the service refuses to start when its HTTP routes and its `httpRoutes` disagree. */
@Injectable()
export class SubgraphHttpRoutesCheck implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(SUBGRAPH_HTTP_ACCESS) private readonly access: SubgraphHttpAccess,
  ) {}

  onModuleInit(): void {
    const controllers = this.discovery
      .getControllers()
      .map((wrapper) => wrapper.metatype)
      .filter((type): type is new (...args: never[]) => unknown => typeof type === 'function');
    const problems = httpRoutesMismatch(this.access.routes, guardedRoutesOf(controllers));
    if (problems.length) {
      throw new Error(
        `the service's HTTP routes do not agree with its httpRoutes:\n- ${problems.join('\n- ')}`,
      );
    }
  }
}
