import type { IncomingMessage, ServerResponse } from 'node:http';
import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { httpRefusalOf, sendHttpError } from './http-errors';

/**
 * The exception filter of a service's HTTP routes (`@HttpAccess` installs it): whatever a route or its guard
 * throws is answered in the platform's JSON error shape with the status of its kind (httpRefusalOf). Unexpected
 * errors are logged with their stack and answered 500 with a generic message. A download already under way is
 * cut off instead (it must not end as if it were complete).
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HTTP');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<IncomingMessage & { originalUrl?: string }>();
    const res = http.getResponse<ServerResponse>();
    const refusal = httpRefusalOf(error);
    if (refusal.status >= 500) {
      // the path without its query: filters in a query string are the caller's, not the log's
      const path = (req.originalUrl ?? req.url ?? '').split('?')[0];
      this.logger.error(`${req.method} ${path}: ${(error as Error)?.stack ?? String(error)}`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendHttpError(res, refusal);
  }
}
