import './tracing'; // first: see tracing.ts
import { main } from '@unionfed/service-kit';
import { GatewayModule, limits } from './gateway.module';

// the gateway consumes membership's events: its copy of the directory, and member accounts that follow their members
main({ name: 'gateway', module: GatewayModule, configureHttp: limits.configureHttp, consumesEvents: true });
