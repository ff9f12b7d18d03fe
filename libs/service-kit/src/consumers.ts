import type { Type } from '@nestjs/common';
import { DirectoryConsumer } from '@unionfed/directory';
import type { DomainServiceName } from './topology';

/**
 * The event consumers each service runs — `ConsumersModule.forService(service, [...EVENT_CONSUMERS[service]])` —
 * and so the consumers the event catalogue lists (docs/events.asyncapi.yaml, `npm run contracts:asyncapi`): one
 * list, so that the catalogue says what runs. Consumer classes live in the libs for now (libs/directory); a
 * service's own `*.consumer.ts` cannot be listed by a lib, so the first one moves this list next to the apps'
 * modules, with the catalogue's generator reading it there.
 */
export const EVENT_CONSUMERS: Record<DomainServiceName, readonly Type<object>[]> = {
  membership: [],
  finance: [DirectoryConsumer],
  congress: [DirectoryConsumer],
  activities: [DirectoryConsumer],
  welfare: [DirectoryConsumer],
};
