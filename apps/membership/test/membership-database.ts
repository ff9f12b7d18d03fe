import { SYSTEM } from '@unionfed/audit';
import { Outbox } from '@unionfed/messaging';
import { serviceDatabase, type ServiceDatabase } from '@unionfed/testing';
import { MembershipCommands } from '../src/application/membership.commands';
import { MembershipRepository } from '../src/infrastructure/membership.repository';
import { MembershipUnitOfWork } from '../src/infrastructure/membership.unit-of-work';
import { TransferCommands } from '../src/application/transfer.commands';
import { TransferRepository } from '../src/infrastructure/transfer.repository';
import { MEMBERSHIP_ENTITIES } from '../src/infrastructure/entities';
import { MEMBERSHIP_MIGRATIONS } from '../src/infrastructure/migrations';

export interface MembershipDatabase extends ServiceDatabase {
  repository: MembershipRepository;
  unitOfWork: MembershipUnitOfWork;
  commands: MembershipCommands;
  transfers: TransferCommands;
  /** 会籍转移 as HQ makes it: request and acceptance in one step (HQ reaches both branches) */
  transferAsHq(memberId: string, toBranchId: string, effectiveOn?: string): Promise<unknown>;
}

/**
 * A fresh membership database (libs/testing serviceDatabase, migrated as the service migrates it) with the
 * service's repository and commands wired as in the app, for tests of the write path without HTTP.
 */
export async function membershipDatabase(label: string): Promise<MembershipDatabase> {
  const database = await serviceDatabase(label, {
    entities: MEMBERSHIP_ENTITIES,
    migrations: MEMBERSHIP_MIGRATIONS,
  });
  const { dataSource } = database;
  const repository = new MembershipRepository(dataSource);
  const unitOfWork = new MembershipUnitOfWork(dataSource, new Outbox('/unionfed/membership'));
  const transfers = new TransferCommands(unitOfWork, repository, new TransferRepository(dataSource));
  return {
    ...database,
    repository,
    unitOfWork,
    commands: new MembershipCommands(unitOfWork, repository),
    transfers,
    transferAsHq: (memberId, toBranchId, effectiveOn) =>
      transfers.request({ memberId, toBranchId, effectiveOn }, { ...SYSTEM, actorId: 'hq-test' }),
  };
}
