import { serveSubgraph, type ServedSubgraph, type TestIssuer } from '@unionfed/testing';
import type { FinanceDatabase } from './finance-database';
import { FINANCE_SUBGRAPH, LEDGER_PROVIDERS } from '../src/finance.providers';

/** The finance subgraph served over HTTP (libs/testing serveSubgraph) as the app declares it, against `database`. */
export function serveFinance(database: FinanceDatabase, issuer: TestIssuer): Promise<ServedSubgraph> {
  return serveSubgraph({
    service: 'finance',
    subgraph: FINANCE_SUBGRAPH,
    issuer,
    dataSource: database.dataSource,
    providers: LEDGER_PROVIDERS,
  });
}
