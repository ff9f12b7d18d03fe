import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, Type } from '@nestjs/common';
import { eventConsumerTransport } from '@unionfed/messaging';
import { shutdownTracing } from '@unionfed/telemetry/sdk';
import { createLogger, PinoNestLogger } from './logger';
import { serviceConfig } from './config';
import type { ServiceName } from './topology';

export interface ServiceDefinition {
  name: ServiceName;
  module: Type<unknown>;
  /** whether the service consumes integration events (runs the Kafka consumer transport) */
  consumesEvents?: boolean;
  /** adjusts the HTTP application before it starts (e.g. the gateway's body-size and batch limits) */
  configureHttp?: (app: INestApplication) => void;
}

/**
 * Starts a service: JSON logging, graceful shutdown on SIGTERM/SIGINT (the spans still buffered are exported
 * after Nest has closed), the Kafka consumer transport, then HTTP. Tracing was started before (the service's
 * `main.ts` imports its `tracing.ts` first: `startTracing` from '@unionfed/telemetry/sdk').
 */
export async function runService(definition: ServiceDefinition): Promise<INestApplication> {
  const config = serviceConfig(definition.name);
  process.env.UNIONFED_SERVICE = definition.name; // labels the process metrics
  const logger = createLogger(definition.name);
  const app = await NestFactory.create(definition.module, { logger: new PinoNestLogger(logger) });
  app.enableShutdownHooks();
  // no `X-Powered-By: Express` (it tells an attacker what to try), and no ETag hashed over every GraphQL answer:
  // POSTed answers are not cached (the subgraphs and the gateway say no-store); static files keep their own
  const express = app.getHttpAdapter().getInstance() as { set(setting: string, value: unknown): void };
  express.set('x-powered-by', false);
  express.set('etag', false);
  const close = app.close.bind(app);
  app.close = async () => {
    await close();
    await shutdownTracing().catch(() => undefined);
  };
  definition.configureHttp?.(app);
  if (definition.consumesEvents) {
    app.connectMicroservice(eventConsumerTransport(definition.name), { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  await app.listen(config.port, config.host);
  logger.info({ url: `http://${config.host}:${config.port}/graphql` }, `${definition.name} ready`);
  return app;
}

/** Entry-point helper: run, and exit non-zero with a readable message when start-up fails. */
export function main(definition: ServiceDefinition): void {
  runService(definition).catch((error: unknown) => {
    createLogger(definition.name).fatal({ err: error }, `${definition.name} failed to start`);
    process.exit(1);
  });
}
