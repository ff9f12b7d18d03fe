import { main } from '@unionfed/service-kit';
import { GatewayModule } from './gateway.module';

main({ name: 'gateway', module: GatewayModule });
