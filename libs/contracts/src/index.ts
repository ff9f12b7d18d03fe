export * from './registry';
export * from './membership';
export * from './finance';
export * from './gen/unionfed/events/v1/membership_pb';
export * from './gen/unionfed/events/v1/common_pb';
export * from './gen/unionfed/events/v1/finance_pb';
import { EventRegistry, type EventContract } from './registry';
import { MembershipEvents } from './membership';
import { FinanceEvents } from './finance';

/** Every integration event of the platform. */
export const ALL_EVENTS: EventContract[] = [
  ...Object.values(MembershipEvents),
  ...Object.values(FinanceEvents),
] as EventContract[];
export const EVENT_REGISTRY = new EventRegistry(ALL_EVENTS);
