import './tracing'; // first: see tracing.ts
import { main } from '@unionfed/service-kit';
import { ActivitiesModule } from './activities.module';

main({ name: 'activities', module: ActivitiesModule, consumesEvents: true });
