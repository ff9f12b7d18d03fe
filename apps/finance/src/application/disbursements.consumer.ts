import { Injectable } from '@nestjs/common';
import { FinanceEvents, type DisbursementRequested } from '@unionfed/contracts';
import { EventConsumer, OnEvent, type HandlerContext } from '@unionfed/messaging';
import { Disbursements } from './disbursements';

/**
 * Pays what other services ask finance to pay (DisbursementRequested: welfare's care payments and relief grants,
 * activities' actual costs), or rejects it with a reason — once per request id, in the inbox transaction, its
 * answer emitted through the handler's outbox (see Disbursements).
 */
@Injectable()
@EventConsumer('disbursements')
export class DisbursementsConsumer {
  constructor(private readonly disbursements: Disbursements) {}

  @OnEvent(FinanceEvents.DisbursementRequested)
  async disbursementRequested(event: DisbursementRequested, context: HandlerContext): Promise<void> {
    await this.disbursements.handle(event, context.manager, context.outbox);
  }
}
