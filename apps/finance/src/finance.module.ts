import { Module } from '@nestjs/common';
import { serviceConsumers, ServiceCoreModule } from '@unionfed/service-kit';
import { subgraphModule } from '@unionfed/graphql-kit';
import { DIRECTORY_ENTITIES, DirectoryConsumer, DirectoryModule } from '@unionfed/directory';
import { FINANCE_MIGRATIONS } from './infrastructure/migrations';
import { DisbursementsConsumer } from './application/disbursements.consumer';
import { FINANCE_SUBGRAPH, LEDGER_PROVIDERS } from './finance.providers';

@Module({ providers: LEDGER_PROVIDERS, exports: LEDGER_PROVIDERS })
class LedgerModule {}

@Module({
  imports: [
    ServiceCoreModule.forRoot({
      service: 'finance',
      entities: [...DIRECTORY_ENTITIES],
      migrations: FINANCE_MIGRATIONS,
    }),
    // the service's event consumers: one consumer group, inbox and dead-letter policy for all of them
    serviceConsumers('finance', [DirectoryConsumer, DisbursementsConsumer], [LedgerModule]),
    DirectoryModule.forService('finance'),
    LedgerModule,
    subgraphModule(FINANCE_SUBGRAPH),
  ],
})
export class FinanceModule {}
