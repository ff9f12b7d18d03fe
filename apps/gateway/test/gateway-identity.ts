import type { DataSource } from 'typeorm';
import type { GraphQLSchema } from 'graphql';
import { EVENT_REGISTRY } from '@unionfed/contracts';
import {
  DIRECTORY_ENTITIES,
  DirectoryAdministration,
  DirectoryConsumer,
  DirectoryReader,
} from '@unionfed/directory';
import { createKafka, DeadLetters, RELIABLE_PRODUCER, ServiceConsumers } from '@unionfed/messaging';
import { createDataSource, migrate } from '@unionfed/persistence';
import { createTestDatabase, testInfrastructure } from '@unionfed/testing';
import { AccountService } from '../src/application/accounts.service';
import { ApiKeyService } from '../src/application/api-keys.service';
import { AuditLog } from '../src/application/audit-log';
import { InitialAdmin } from '../src/application/initial-admin.service';
import { MemberAccountsConsumer } from '../src/application/member-accounts.consumer';
import { MemberAccountService } from '../src/application/member-accounts.service';
import { SessionService } from '../src/application/sessions.service';
import { SigningKeys } from '../src/application/signing-keys';
import { identitySchema } from '../src/graphql/identity.schema';
import { GatewayUnitOfWork } from '../src/infrastructure/gateway.unit-of-work';
import { IdentityRepository } from '../src/infrastructure/identity.repository';
import { MemberAccountRepository } from '../src/infrastructure/member-accounts.repository';
import { GATEWAY_MIGRATIONS } from '../src/infrastructure/migrations';

/**
 * The gateway's identity, wired as GatewayModule wires it, over a fresh database of its own (the gateway's
 * migrations) on the test PostgreSQL: its services, its consumers (fed by a test through `consumers`) and the
 * identity subgraph's executable schema.
 */
export async function gatewayIdentity(label: string) {
  const database = await createTestDatabase(label);
  const dataSource: DataSource = createDataSource({
    url: database.url,
    entities: [...DIRECTORY_ENTITIES],
    migrations: GATEWAY_MIGRATIONS,
    applicationName: `${label}-test`,
  });
  await migrate(dataSource);
  const repository = new IdentityRepository(dataSource);
  const keys = new SigningKeys(repository);
  await keys.load();
  const audit = new AuditLog(repository);
  const unitOfWork = new GatewayUnitOfWork(repository, audit);
  const members = new MemberAccountRepository(dataSource);
  const sessions = new SessionService(repository, members, keys, audit, unitOfWork);
  const accounts = new AccountService(repository, members, audit, unitOfWork);
  const memberAccounts = new MemberAccountService(repository, members, audit, unitOfWork);
  const apiKeys = new ApiKeyService(repository, keys, audit, unitOfWork);
  const initialAdmin = new InitialAdmin(repository, audit, unitOfWork);
  // dead letters go to Kafka only when replayed: the producer connects if a test does that
  const producer = createKafka(`${label}-test`, testInfrastructure().kafkaBrokers).producer(
    RELIABLE_PRODUCER,
  );
  const deadLetters = new DeadLetters(dataSource, producer);
  const consumers = new ServiceConsumers(
    dataSource,
    'gateway',
    EVENT_REGISTRY,
    [new DirectoryConsumer(), new MemberAccountsConsumer(memberAccounts)],
    () => ({
      deadLetters,
    }),
  );
  const directory = new DirectoryAdministration(
    new DirectoryReader(dataSource, 'gateway'),
    deadLetters,
    consumers,
  );
  const schema: GraphQLSchema = identitySchema({
    sessions,
    accounts,
    memberAccounts,
    apiKeys,
    audit,
    keys,
    directory,
  });
  return {
    dataSource,
    repository,
    keys,
    audit,
    unitOfWork,
    sessions,
    accounts,
    apiKeys,
    initialAdmin,
    memberAccounts,
    consumers,
    directory,
    schema,
    async close(): Promise<void> {
      await producer.disconnect().catch(() => undefined);
      await dataSource.destroy();
      await database.drop();
    },
  };
}

export type GatewayIdentity = Awaited<ReturnType<typeof gatewayIdentity>>;
