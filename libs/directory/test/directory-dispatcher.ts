import type { DataSource } from 'typeorm';
import { EVENT_REGISTRY } from '@unionfed/contracts';
import { ServiceConsumers, type EventDispatcher } from '@unionfed/messaging';
import { DirectoryConsumer } from '../src';

/** The dispatcher of service `service`'s DirectoryConsumer, as ConsumersModule builds it (consumer `<service>.directory`). */
export function directoryDispatcher(dataSource: DataSource, service = 'test'): EventDispatcher {
  return new ServiceConsumers(dataSource, service, EVENT_REGISTRY, [new DirectoryConsumer()]).dispatcher(
    `${service}.directory`,
  );
}
