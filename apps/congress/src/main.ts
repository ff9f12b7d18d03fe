import './tracing'; // first: see tracing.ts
import { main } from '@unionfed/service-kit';
import { CongressModule } from './congress.module';

main({ name: 'congress', module: CongressModule, consumesEvents: true });
