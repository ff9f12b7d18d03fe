import './tracing'; // first: see tracing.ts
import { main } from '@unionfed/service-kit';
import { WelfareModule } from './welfare.module';

main({ name: 'welfare', module: WelfareModule, consumesEvents: true });
