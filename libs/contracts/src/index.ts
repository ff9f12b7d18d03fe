export * from './registry';
export * from './membership';
export * from './gen/unionfed/events/v1/membership_pb';
export * from './gen/unionfed/events/v1/common_pb';
import { EventRegistry, type EventContract } from './registry';
import { MembershipEvents } from './membership';

/** Every integration event of the platform. */
export const ALL_EVENTS: EventContract[] = [...Object.values(MembershipEvents)] as EventContract[];
export const EVENT_REGISTRY = new EventRegistry(ALL_EVENTS);
