import './tracing'; // first: see tracing.ts
import { main } from '@unionfed/service-kit';
import { GatewayModule, limits } from './gateway.module';

main({ name: 'gateway', module: GatewayModule, configureHttp: limits.configureHttp });
