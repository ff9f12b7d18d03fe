import type { IncomingMessage, ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { LimitCode, limitErrorBody } from './limit-errors';

export interface HttpLimitsSettings {
  /** where the GraphQL endpoint is mounted */
  path: string;
  maxBodyBytes: number;
  /** operations per batched request; 0 refuses every batch */
  maxBatchSize: number;
  /** what the refusals call the server: 'gateway', 'service' */
  server: string;
}

type Request = IncomingMessage & { body?: unknown };
type Next = (error?: unknown) => void;

/** What body-parser passes on when a body is over its limit (an http-errors error). */
interface BodyParserError {
  type?: string;
  limit?: number;
  length?: number;
  received?: number;
}

/**
 * Installs the limits that must act before Apollo Server sees the request; call it on the Nest application
 * before it starts (service-kit's `ServiceDefinition.configureHttp`). The JSON body parser registered here
 * replaces Nest's default one (body-parser's 100 kB limit) for the whole application.
 */
export function installHttpLimits(app: INestApplication, settings: HttpLimitsSettings): void {
  (app as NestExpressApplication).useBodyParser('json', { limit: settings.maxBodyBytes });
  app.use(settings.path, payloadTooLarge(settings.maxBodyBytes, settings.server));
  app.use(settings.path, batchTooLarge(settings.maxBatchSize, settings.server));
}

/** Answers a body over the limit as a GraphQL error (status 413) instead of an HTML or Nest error page. */
export function payloadTooLarge(maxBodyBytes: number, server = 'gateway') {
  // four parameters: express calls it only with an error
  return function payloadTooLargeHandler(
    error: unknown,
    _req: Request,
    res: ServerResponse,
    next: Next,
  ): void {
    const parserError = error as BodyParserError | undefined;
    if (parserError?.type !== 'entity.too.large') return next(error);
    const measured = parserError.length ?? parserError.received;
    refuse(
      res,
      413,
      LimitCode.PAYLOAD_TOO_LARGE,
      `The request body is larger than the ${maxBodyBytes} bytes this ${server} accepts`,
      { limit: maxBodyBytes, ...(measured === undefined ? {} : { measured }) },
    );
  };
}

/** Refuses a batched request (a JSON array of operations) with more operations than allowed. */
export function batchTooLarge(maxBatchSize: number, server = 'gateway') {
  return function batchTooLargeHandler(req: Request, res: ServerResponse, next: Next): void {
    if (!Array.isArray(req.body) || req.body.length <= maxBatchSize) return next();
    refuse(
      res,
      400,
      LimitCode.BATCH_TOO_LARGE,
      maxBatchSize === 0
        ? `This ${server} does not accept batched requests`
        : `The request batches ${req.body.length} operations; the limit is ${maxBatchSize}`,
      { limit: maxBatchSize, measured: req.body.length },
    );
  };
}

/** Answers with a limit refusal as a GraphQL response body (for limits that act before Apollo Server). */
export function refuse(
  res: ServerResponse,
  status: number,
  code: LimitCode | 'UNAUTHENTICATED',
  message: string,
  details: Record<string, unknown>,
): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(limitErrorBody(code, message, details));
}
