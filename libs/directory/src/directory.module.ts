import { Controller, Inject, Logger, Module, type DynamicModule, type Type } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { InvalidInputError } from '@unionfed/domain-kit';
import { DataSource } from 'typeorm';
import { MEMBERSHIP_TOPICS } from '@unionfed/contracts';
import { DeadLetters, MessagingMetrics, type EventBatch, type EventDispatcher } from '@unionfed/messaging';
import { isUuid } from '@unionfed/persistence';
import { createDirectoryDispatcher, directoryConsumerOf } from './projection';

export const DIRECTORY_DISPATCHER = Symbol('DIRECTORY_DISPATCHER');

/**
 * Receives the membership topics on the service's consumer group — a partition's batch at a time — and hands
 * each batch to the projection, which applies it through the inbox and resolves its offsets.
 */
@Controller()
export class MembershipEventsConsumer {
  constructor(@Inject(DIRECTORY_DISPATCHER) private readonly dispatcher: EventDispatcher) {}

  // @nestjs/microservices types an event handler's payload as unknown; EventConsumerServer sends an EventBatch
  @EventPattern(MEMBERSHIP_TOPICS.branch.name)
  async onBranchEvents(@Payload() batch: unknown): Promise<void> {
    await this.dispatcher.dispatchBatch(batch as EventBatch);
  }

  @EventPattern(MEMBERSHIP_TOPICS.member.name)
  async onMemberEvents(@Payload() batch: unknown): Promise<void> {
    await this.dispatcher.dispatchBatch(batch as EventBatch);
  }

  @EventPattern(MEMBERSHIP_TOPICS.rosterImport.name)
  async onRosterImportEvents(@Payload() batch: unknown): Promise<void> {
    await this.dispatcher.dispatchBatch(batch as EventBatch);
  }
}

export interface DirectorySync {
  service: string;
  branches: number;
  members: number;
  activeMembers: number;
  eventsApplied: number;
  lastEventId: string | null;
  lastEventType: string | null;
  lastEventTime: string | null;
}

/** Reads of the projection, for the subgraph and for the service's own validations. */
export class DirectoryReader {
  constructor(
    private readonly dataSource: DataSource,
    readonly service: string,
  ) {}

  async sync(): Promise<DirectorySync> {
    const [row] = await this.dataSource.query(
      `SELECT (SELECT count(*) FROM branch_directory)::int AS branches,
              (SELECT count(*) FROM member_directory)::int AS members,
              (SELECT count(*) FROM member_directory WHERE status = 'ACTIVE')::int AS "activeMembers",
              p.events_applied::int AS "eventsApplied", p.last_event_id AS "lastEventId",
              p.last_event_type AS "lastEventType", p.last_event_time AS "lastEventTime"
         FROM (SELECT 1) one LEFT JOIN projection_status p ON p.projection = $1`,
      [`${this.service}.directory`],
    );
    return {
      service: this.service,
      ...row,
      eventsApplied: row.eventsApplied ?? 0,
      lastEventTime: row.lastEventTime ? new Date(row.lastEventTime).toISOString() : null,
    };
  }

  async member(id: string) {
    if (!isUuid(id)) return undefined;
    const [row] = await this.dataSource.query(
      `SELECT member_id AS id, branch_id AS "branchId", staff_number AS "staffNumber", name, status
         FROM member_directory WHERE member_id = $1`,
      [id],
    );
    return row;
  }

  async branch(id: string) {
    if (!isUuid(id)) return undefined;
    const [row] = await this.dataSource.query(
      `SELECT branch_id AS id, code, name, status FROM branch_directory WHERE branch_id = $1`,
      [id],
    );
    return row;
  }
}

@Resolver('DirectorySync')
export class DirectorySyncResolver {
  constructor(@Inject(DirectoryReader) private readonly reader: DirectoryReader) {}

  @ResolveField('member')
  member(@Parent() _sync: DirectorySync, @Args('id') id: string) {
    return this.reader.member(id);
  }

  @ResolveField('branch')
  branch(@Parent() _sync: DirectorySync, @Args('id') id: string) {
    return this.reader.branch(id);
  }
}

/**
 * The root fields `<service>Directory`, `<service>DeadLetters` and `replay<Service>DeadLetters`: one set per
 * subgraph, so HQ can ask each service how far it is and deal with what its consumers set aside.
 */
function rootResolverFor(service: string): Type<unknown> {
  const consumer = directoryConsumerOf(service);
  const Service = service.charAt(0).toUpperCase() + service.slice(1);

  @Resolver()
  class DirectoryRootResolver {
    constructor(
      @Inject(DirectoryReader) private readonly reader: DirectoryReader,
      @Inject(DeadLetters) private readonly deadLetters: DeadLetters,
    ) {}

    @Query(`${service}Directory`)
    directory(): Promise<DirectorySync> {
      return this.reader.sync();
    }

    @Query(`${service}DeadLetters`)
    async listDeadLetters(@Args('first') first = 100) {
      if (!Number.isInteger(first) || first < 1 || first > 1000)
        throw new InvalidInputError('first must be 1–1000', 'INVALID_PAGE_SIZE', { field: 'first' });
      const rows = await this.deadLetters.list(consumer, first);
      return rows.map((row) => ({ ...row, consumer, deadAt: new Date(row.deadAt).toISOString() }));
    }

    @Mutation(`replay${Service}DeadLetters`)
    async replayDeadLetters(@Args('ids') ids?: string[] | null, @Args('all') all = false) {
      if (all === Boolean(ids?.length))
        throw new InvalidInputError('give either ids or all: true', 'REPLAY_WHAT', { field: 'ids' });
      const valid = (ids ?? []).filter((id) => /^[0-9]{1,18}$/.test(id));
      if (!all && valid.length !== ids!.length)
        throw new InvalidInputError('dead letter ids are numbers', 'INVALID_ID', { field: 'ids' });
      return { replayed: await this.deadLetters.replay(consumer, all ? undefined : valid) };
    }
  }
  return DirectoryRootResolver;
}

/**
 * The membership directory of a consuming service: its projection tables (entities in DIRECTORY_ENTITIES,
 * migration DirectoryTables…), the Kafka consumer that feeds them and the subgraph fields that report on them.
 */
@Module({})
export class DirectoryModule {
  static forService(service: string): DynamicModule {
    const logger = new Logger(`${service}.directory`);
    return {
      module: DirectoryModule,
      controllers: [MembershipEventsConsumer],
      providers: [
        {
          provide: DIRECTORY_DISPATCHER,
          inject: [DataSource, DeadLetters, MessagingMetrics],
          useFactory: (dataSource: DataSource, deadLetters: DeadLetters, metrics: MessagingMetrics) => {
            metrics.watchConsumerLag(service, [
              MEMBERSHIP_TOPICS.branch.name,
              MEMBERSHIP_TOPICS.member.name,
              MEMBERSHIP_TOPICS.rosterImport.name,
            ]);
            return createDirectoryDispatcher(dataSource, service, {
              deadLetters,
              observer: metrics.consumerObserver(`${service}.directory`),
              log: (level, message, fields) =>
                logger[level === 'info' ? 'log' : level](
                  `${message} ${fields ? JSON.stringify(fields) : ''}`,
                ),
            });
          },
        },
        {
          provide: DirectoryReader,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new DirectoryReader(dataSource, service),
        },
        DirectorySyncResolver,
        rootResolverFor(service),
      ],
      exports: [DirectoryReader, DIRECTORY_DISPATCHER],
    };
  }
}
