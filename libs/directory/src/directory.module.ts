import { Inject, Module, type DynamicModule, type Type } from '@nestjs/common';
import { Args, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { InvalidInputError } from '@unionfed/domain-kit';
import { DataSource } from 'typeorm';
import { DeadLetters, SERVICE_CONSUMERS, type ServiceConsumers } from '@unionfed/messaging';
import { isUuid } from '@unionfed/persistence';

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
      [`${this.service}.directory`], // the consumer name of the service's DirectoryConsumer
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

  /** The union group's copy, with its active members' ids (teams). */
  async group(id: string) {
    if (!isUuid(id)) return undefined;
    const [row] = await this.dataSource.query(
      `SELECT g.group_id AS id, g.branch_id AS "branchId", g.name, g.status,
              COALESCE(array_agg(m.member_id ORDER BY m.member_id) FILTER (WHERE m.member_id IS NOT NULL), '{}')
                AS "memberIds"
         FROM union_group_directory g
         LEFT JOIN member_directory m ON m.group_id = g.group_id AND m.status = 'ACTIVE'
        WHERE g.group_id = $1 GROUP BY g.group_id`,
      [id],
    );
    return row;
  }

  /** The active appointments of a committee: a branch's, or the federation's own (`null`). */
  async committee(branchId: string | null) {
    if (branchId !== null && !isUuid(branchId)) return [];
    return this.dataSource.query(
      `SELECT appointment_id AS id, member_id AS "memberId", role, group_id AS "groupId",
              starts_on::text AS "startsOn", ends_on::text AS "endsOn"
         FROM committee_directory
        WHERE committee_branch_id IS NOT DISTINCT FROM $1::uuid AND status = 'ACTIVE'
        ORDER BY role, member_id`,
      [branchId],
    );
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

/**
 * What the service's admin fields answer — `<service>Directory`, `<service>DeadLetters`,
 * `replay<Service>DeadLetters` — with their arguments checked. The subgraph's resolvers below call it; so does
 * the gateway's identity subgraph, whose resolvers are not Nest's.
 */
export class DirectoryAdministration {
  constructor(
    readonly reader: DirectoryReader,
    private readonly deadLetters: DeadLetters,
    private readonly consumers: ServiceConsumers,
  ) {}

  directory(): Promise<DirectorySync> {
    return this.reader.sync();
  }

  /** The dead letters of every consumer of the service, not yet replayed, oldest first. */
  async listDeadLetters(first = 100) {
    if (!Number.isInteger(first) || first < 1 || first > 1000)
      throw new InvalidInputError('first must be 1–1000', 'INVALID_PAGE_SIZE', { field: 'first' });
    const rows = await this.deadLetters.list(this.consumers.consumers, first);
    return rows.map((row) => ({ ...row, deadAt: new Date(row.deadAt).toISOString() }));
  }

  async replayDeadLetters(ids?: string[] | null, all = false): Promise<{ replayed: number }> {
    if (all === Boolean(ids?.length))
      throw new InvalidInputError('give either ids or all: true', 'REPLAY_WHAT', { field: 'ids' });
    const valid = (ids ?? []).filter((id) => /^[0-9]{1,18}$/.test(id));
    if (!all && valid.length !== ids!.length)
      throw new InvalidInputError('dead letter ids are numbers', 'INVALID_ID', { field: 'ids' });
    return { replayed: await this.deadLetters.replay(this.consumers.consumers, all ? undefined : valid) };
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
 * subgraph, so HQ can ask each service how far it is and deal with what its consumers — every consumer of the
 * service (ConsumersModule), not only the directory's — set aside.
 */
function rootResolverFor(service: string): Type<unknown> {
  const Service = service.charAt(0).toUpperCase() + service.slice(1);

  @Resolver()
  class DirectoryRootResolver {
    constructor(@Inject(DirectoryAdministration) private readonly administration: DirectoryAdministration) {}

    @Query(`${service}Directory`)
    directory(): Promise<DirectorySync> {
      return this.administration.directory();
    }

    @Query(`${service}DeadLetters`)
    listDeadLetters(@Args('first') first = 100) {
      return this.administration.listDeadLetters(first);
    }

    @Mutation(`replay${Service}DeadLetters`)
    replayDeadLetters(@Args('ids') ids?: string[] | null, @Args('all') all = false) {
      return this.administration.replayDeadLetters(ids, all);
    }
  }
  return DirectoryRootResolver;
}

/**
 * The membership directory of a consuming service: its tables (entities in DIRECTORY_ENTITIES, migrations
 * DIRECTORY_MIGRATIONS), read by DirectoryReader, and the subgraph fields that report on them. The tables are
 * fed by `DirectoryConsumer`, which the service lists among its consumers:
 * `ConsumersModule.forService(service, [DirectoryConsumer, …])`.
 */
@Module({})
export class DirectoryModule {
  /**
   * `resolvers: false` for a service whose subgraph is not built from Nest resolvers (the gateway's identity
   * subgraph): it answers the same fields with DirectoryAdministration and DirectoryReader itself.
   */
  static forService(service: string, { resolvers = true }: { resolvers?: boolean } = {}): DynamicModule {
    return {
      module: DirectoryModule,
      providers: [
        {
          provide: DirectoryReader,
          inject: [DataSource],
          useFactory: (dataSource: DataSource) => new DirectoryReader(dataSource, service),
        },
        {
          provide: DirectoryAdministration,
          inject: [DirectoryReader, DeadLetters, SERVICE_CONSUMERS],
          useFactory: (reader: DirectoryReader, deadLetters: DeadLetters, consumers: ServiceConsumers) =>
            new DirectoryAdministration(reader, deadLetters, consumers),
        },
        ...(resolvers ? [DirectorySyncResolver, rootResolverFor(service)] : []),
      ],
      exports: [DirectoryReader, DirectoryAdministration],
    };
  }
}
