export * from './envelope';
export * from './kafka-config';
export * from './topics';
export * from './outbox';
export * from './relay';
export * from './inbox';
export * from './dispatcher';
export * from './batch-writes';
export * from './consumers';
export * from './retry';
export * from './dead-letters';
export * from './messaging.migration';
export * from './nest';
export * from './metrics';
import { DeadLetterTable1763800000010 } from './dead-letters';
import {
  MessagingTables1763800000000,
  OutboxAutovacuum1763800000020,
  OutboxDropKeyIndex1763800000030,
} from './messaging.migration';

/** The migrations of the outbox, inbox and dead-letter tables, in order: every service runs them first. */
export const MESSAGING_MIGRATIONS = [
  MessagingTables1763800000000,
  DeadLetterTable1763800000010,
  OutboxAutovacuum1763800000020,
  OutboxDropKeyIndex1763800000030,
];
export * from './event-batch';
