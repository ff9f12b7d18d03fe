import './tracing'; // first: see tracing.ts
import { main } from '@unionfed/service-kit';
import { FinanceModule } from './finance.module';

main({ name: 'finance', module: FinanceModule, consumesEvents: true });
