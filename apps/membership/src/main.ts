import './tracing'; // first: see tracing.ts
import { main } from '@unionfed/service-kit';
import { MembershipModule } from './membership.module';

main({ name: 'membership', module: MembershipModule });
