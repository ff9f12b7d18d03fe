import { Controller, Inject, Logger, Module, type DynamicModule, type Type } from '@nestjs/common';
import { Ctx, EventPattern, KafkaContext, Payload } from '@nestjs/microservices';
import { Args, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { DataSource } from 'typeorm';
import { MEMBERSHIP_TOPICS } from '@unionfed/contracts';
import { DeadLetters, MessagingMetrics, type EventDispatcher } from '@unionfed/messaging';
import { isUuid } from '@unionfed/persistence';
import { createDirectoryDispatcher } from './projection';

export const DIRECTORY_DISPATCHER = Symbol('DIRECTORY_DISPATCHER');

/** Receives the membership topics on the service's consumer group and hands each message to the projection. */
@Controller()
export class MembershipEventsConsumer {
  constructor(@Inject(DIRECTORY_DISPATCHER) private readonly dispatcher: EventDispatcher) {}

  // @nestjs/microservices types an event handler's extra arguments as unknown
  private dispatch(context: KafkaContext) {
    return this.dispatcher.dispatch(
      context.getMessage(),
      context.getTopic(),
      context.getPartition(),
      context.getHeartbeat(),
    );
  }

  @EventPattern(MEMBERSHIP_TOPICS.branch.name)
  async onBranchEvent(@Payload() _value: unknown, @Ctx() context: unknown): Promise<void> {
    await this.dispatch(context as KafkaContext);
  }

  @EventPattern(MEMBERSHIP_TOPICS.member.name)
  async onMemberEvent(@Payload() _value: unknown, @Ctx() context: unknown): Promise<void> {
    await this.dispatch(context as KafkaContext);
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

/** The root field `<service>Directory`: one per subgraph, so HQ can ask each service how far it is. */
function rootResolverFor(service: string): Type<unknown> {
  @Resolver()
  class DirectoryRootResolver {
    constructor(@Inject(DirectoryReader) private readonly reader: DirectoryReader) {}

    @Query(`${service}Directory`)
    directory(): Promise<DirectorySync> {
      return this.reader.sync();
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
            metrics.watchConsumerLag(service, [MEMBERSHIP_TOPICS.branch.name, MEMBERSHIP_TOPICS.member.name]);
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
