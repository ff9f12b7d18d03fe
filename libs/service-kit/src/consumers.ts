import type { DynamicModule, ModuleMetadata, Type } from '@nestjs/common';
import { FinanceEvents, MembershipEvents, type EventContract } from '@unionfed/contracts';
import { DirectoryConsumer } from '@unionfed/directory';
import { ConsumersModule, consumerNameOf, handledEventsOf } from '@unionfed/messaging';
import type { ServiceName } from './topology';

/** A consumer as the event catalogue lists it: its name in its service and the event types it handles. */
export interface ConsumerEntry {
  /** the `@EventConsumer` name: the consumer is `<service>.<name>` in the inbox and the catalogue */
  name: string;
  handles: readonly EventContract[];
}

/** The catalogue entry of an `@EventConsumer` class of a lib (what its decorators say). */
function entryOf(consumerClass: Type<object>): ConsumerEntry {
  return {
    name: consumerNameOf('_', consumerClass).slice(2),
    handles: handledEventsOf(consumerClass),
  };
}

/**
 * The event consumers each service runs: the one list the event catalogue (docs/events.asyncapi.yaml, `npm run
 * contracts:asyncapi`) is generated from. A lib's consumer class is listed as its decorators say; an app's own
 * `*.consumer.ts` (which a lib cannot import) by its name and event types — and `serviceConsumers`, which every
 * service's module uses to install its consumers, refuses to start a service whose consumer classes say anything
 * else, so the catalogue cannot drift from what runs.
 */
export const EVENT_CONSUMERS: Record<ServiceName, readonly ConsumerEntry[]> = {
  membership: [],
  finance: [
    entryOf(DirectoryConsumer),
    // apps/finance application/disbursements.consumer.ts: pays (or rejects) what other services ask for, once
    { name: 'disbursements', handles: [FinanceEvents.DisbursementRequested] },
  ],
  congress: [entryOf(DirectoryConsumer)],
  activities: [entryOf(DirectoryConsumer)],
  welfare: [entryOf(DirectoryConsumer)],
  gateway: [
    // its copy of the directory, for member accounts
    entryOf(DirectoryConsumer),
    // apps/gateway application/member-accounts.consumer.ts: members' own accounts follow their member
    {
      name: 'member-accounts',
      handles: [
        MembershipEvents.MemberWithdrew,
        MembershipEvents.MemberDeceased,
        MembershipEvents.MemberReinstated,
      ],
    },
  ],
};

const described = (entries: readonly ConsumerEntry[]) =>
  entries
    .map((e) => `${e.name} (${e.handles.map((c) => c.type).join(', ')})`)
    .sort()
    .join('; ') || 'none';

/**
 * A service's consumers module (libs/messaging ConsumersModule), after checking that its consumer classes are the
 * ones EVENT_CONSUMERS lists for it, handling the same event types: otherwise it throws and the service does not
 * start.
 */
export function serviceConsumers(
  service: ServiceName,
  consumers: Type<object>[],
  /** modules whose providers the consumers inject */
  imports: NonNullable<ModuleMetadata['imports']> = [],
): DynamicModule {
  const running = described(consumers.map(entryOf));
  const listed = described(EVENT_CONSUMERS[service]);
  if (running !== listed)
    throw new Error(
      `${service}'s consumers are not the ones libs/service-kit EVENT_CONSUMERS lists: it runs ${running}, the ` +
        `catalogue says ${listed}`,
    );
  return ConsumersModule.forService(service, consumers, imports);
}
