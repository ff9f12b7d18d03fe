import type { DataSource } from 'typeorm';
import { SYSTEM } from '@unionfed/audit';
import { createDataSource, migrate } from '@unionfed/persistence';
import { MESSAGING_MIGRATIONS, Outbox } from '@unionfed/messaging';
import { createTestDatabase } from '@unionfed/testing';
import { MembershipCommands } from '../src/application/membership.commands';
import { MembershipRepository } from '../src/infrastructure/membership.repository';
import { MembershipUnitOfWork } from '../src/infrastructure/membership.unit-of-work';
import { TransferCommands } from '../src/application/transfer.commands';
import { TransferRepository } from '../src/infrastructure/transfer.repository';
import { MEMBERSHIP_ENTITIES } from '../src/infrastructure/entities';
import { MEMBERSHIP_MIGRATIONS } from '../src/infrastructure/migrations';

export interface MembershipDatabase {
  /** the database's URL (e.g. for a relay's LISTEN connection) */
  url: string;
  dataSource: DataSource;
  repository: MembershipRepository;
  unitOfWork: MembershipUnitOfWork;
  commands: MembershipCommands;
  transfers: TransferCommands;
  /** 会籍转移 as HQ makes it: request and acceptance in one step (HQ reaches both branches) */
  transferAsHq(memberId: string, toBranchId: string, effectiveOn?: string): Promise<unknown>;
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
  const outbox = new Outbox('/unionfed/membership');
  const unitOfWork = new MembershipUnitOfWork(dataSource, outbox);
  const transfers = new TransferCommands(unitOfWork, repository, new TransferRepository(dataSource));
  return {
    url: database.url,
    dataSource,
    repository,
    unitOfWork,
    commands: new MembershipCommands(unitOfWork, repository),
    transfers,
    transferAsHq: (memberId, toBranchId, effectiveOn) =>
      transfers.request({ memberId, toBranchId, effectiveOn }, { ...SYSTEM, actorId: 'hq-test' }),
    drop: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}
