import { Inject, type OnApplicationBootstrap, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Args, GraphQLSchemaHost, Query, Resolver } from '@nestjs/graphql';
import { getNamedType, isObjectType, type GraphQLSchema } from 'graphql';
import { DataSource } from 'typeorm';
import { CurrentReach, fieldPolicy, type AccessPolicy, type Reach } from '@unionfed/auth';
import { auditLogConnection } from './audit-connection';

/**
 * Who reads a service's audit trail: HQ admins and the audit committee (FINANCE_AUDITOR, read-only) all of it,
 * a branch's admin or auditor that branch's rows (narrowed in SQL to the caller's reach). The same in every
 * service: the service does not start when its field declares another.
 */
export const AUDIT_LOG_POLICY: AccessPolicy = Object.freeze({
  roles: Object.freeze(['ADMIN', 'FINANCE_AUDITOR'] as const),
  scope: 'BRANCH',
  integration: false,
});

/** The root field of a service's audit trail, e.g. `membershipAuditLog`. */
export const auditLogField = (service: string): string => `${service}AuditLog`;

/** The line a service's schema.graphql declares on `type Query` for its audit trail. */
export const auditLogSdl = (service: string): string =>
  `${auditLogField(service)}(filter: AuditEntryFilter, first: Int = 20, after: String): AuditEntryConnection! @access(roles: [ADMIN, FINANCE_AUDITOR])`;

/**
 * What is wrong with a schema's audit field for `service`, if anything: missing, another type or arguments,
 * another policy than AUDIT_LOG_POLICY.
 */
export function auditLogFieldProblem(schema: GraphQLSchema, service: string): string | undefined {
  const name = auditLogField(service);
  const query = schema.getQueryType();
  const field = query?.getFields()[name];
  const declare = `declare on type Query: ${auditLogSdl(service)}`;
  if (!query || !field) return `the schema has no Query.${name}: ${declare}`;
  const type = getNamedType(field.type);
  const args = field.args.map((arg) => `${arg.name}: ${String(arg.type)}`).join(', ');
  if (
    !isObjectType(type) ||
    type.name !== 'AuditEntryConnection' ||
    args !== 'filter: AuditEntryFilter, first: Int, after: String'
  ) {
    return `Query.${name} is not the audit trail's field: ${declare}`;
  }
  const policy = fieldPolicy(schema, query, field);
  const same =
    policy !== undefined &&
    policy.scope === AUDIT_LOG_POLICY.scope &&
    policy.integration === AUDIT_LOG_POLICY.integration &&
    [...policy.roles].sort().join() === [...AUDIT_LOG_POLICY.roles].sort().join();
  if (!same) return `Query.${name} declares another policy than every audit trail's: ${declare}`;
  return undefined;
}

/**
 * 审计日志 of a service: the resolver of `<service>AuditLog(filter, first, after)`, newest first, narrowed in SQL
 * to the caller's reach (a branch asked for out of reach is FORBIDDEN and audited). List it among the service's
 * providers beside its SDL line (auditLogSdl) and AUDIT_SCHEMA_PATH in its type paths; at start-up it checks that
 * the served field is that line — the same policy in every service.
 */
export function auditLogResolver(service: string): Type<unknown> {
  @Resolver()
  class AuditLogResolver implements OnApplicationBootstrap {
    constructor(
      @Inject(DataSource) private readonly dataSource: DataSource,
      @Inject(ModuleRef) private readonly modules: ModuleRef,
    ) {}

    @Query(auditLogField(service))
    auditLog(
      @CurrentReach() reach: Reach,
      @Args('filter') filter?: Parameters<typeof auditLogConnection>[2],
      @Args('first') first?: number,
      @Args('after') after?: string,
    ) {
      return auditLogConnection(this.dataSource, reach, filter, first, after);
    }

    /** after every module's init: the GraphQL module has built the schema by then */
    onApplicationBootstrap(): void {
      const { schema } = this.modules.get(GraphQLSchemaHost, { strict: false });
      const problem = auditLogFieldProblem(schema, service);
      if (problem) throw new Error(`${service}'s audit trail: ${problem}`);
    }
  }
  return AuditLogResolver;
}
