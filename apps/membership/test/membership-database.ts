import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '@unionfed/persistence';
import { MESSAGING_MIGRATIONS, Outbox } from '@unionfed/messaging';
import { createTestDatabase } from '@unionfed/testing';
import { MembershipCommands } from '../src/application/membership.commands';
import { MembershipRepository } from '../src/infrastructure/membership.repository';
import { MEMBERSHIP_ENTITIES } from '../src/infrastructure/entities';
import { MEMBERSHIP_MIGRATIONS } from '../src/infrastructure/migrations';

export interface MembershipDatabase {
  dataSource: DataSource;
  repository: MembershipRepository;
  commands: MembershipCommands;
  drop(): Promise<void>;
}

/** A fresh, migrated membership database with the service's repository and commands wired as in the app. */
export async function membershipDatabase(label: string): Promise<MembershipDatabase> {
  const database = await createTestDatabase(label);
  const dataSource = createDataSource({
    url: database.url,
    entities: MEMBERSHIP_ENTITIES,
    migrations: [...MESSAGING_MIGRATIONS, ...MEMBERSHIP_MIGRATIONS],
    applicationName: `${label}-test`,
  });
  await migrate(dataSource);
  const repository = new MembershipRepository(dataSource);
  return {
    dataSource,
    repository,
    commands: new MembershipCommands(dataSource, repository, new Outbox('/unionfed/membership')),
    drop: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}
