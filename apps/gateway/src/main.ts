import './tracing'; // first: see tracing.ts
import { Logger } from '@nestjs/common';
import { main } from '@unionfed/service-kit';
import { GatewayModule, limits } from './gateway.module';
import { dashboardMiddleware } from './http/dashboard';

// the gateway consumes membership's events: its copy of the directory, and member accounts that follow their members
main({
  name: 'gateway',
  module: GatewayModule,
  configureHttp: (app) => {
    limits.configureHttp(app);
    // the web dashboard, same-origin at `/` (before the routes: it passes on whatever is not one of its pages)
    app.use(dashboardMiddleware(undefined, (message) => new Logger('Dashboard').warn(message)));
  },
  consumesEvents: true,
});
