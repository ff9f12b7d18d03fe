import {
  createTestIssuer,
  hq,
  inBranch,
  recordSpans,
  type ServedSubgraph,
  type SpanRecorder,
} from '@unionfed/testing';
import type { Grant, Principal } from '@unionfed/auth';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

/**
 * membership's audit trail: a row per change in the change's own transaction (through the unit of work), with the
 * actor, the role used, before/after (personal data redacted) and the request's trace; none for a command that
 * rolled back; and the audit query scoped to the caller's branches in SQL.
 */
describe('membership audit trail (real PostgreSQL, HTTP)', () => {
  let database: MembershipDatabase;
  let subgraph: ServedSubgraph;
  let a: string;
  let b: string;
  let staffNo = 0;
  let recorder: SpanRecorder;

  const graphql = (
    grants: Grant[],
    query: string,
    variables: Record<string, unknown> = {},
    principal: Partial<Principal> = {},
  ) =>
    subgraph.graphql({ ...principal, grants }, query, variables, { headers: { traceparent: TRACEPARENT } });
  const admit = (grants: Grant[], branchId: string, principal: Partial<Principal> = {}) =>
    graphql(
      grants,
      `
        mutation ($input: AdmitMemberInput!) {
          admitMember(input: $input) {
            id
          }
        }
      `,
      {
        input: {
          branchId,
          staffNumber: `AU${++staffNo}`,
          name: `会员${staffNo}`,
          gender: 'FEMALE',
          category: 'TEACHER',
          phone: '13800000000',
          birthDate: '1980-05-01',
        },
      },
      principal,
    );
  const auditLog = (grants: Grant[], filter: Record<string, unknown> = {}, first = 100) =>
    graphql(
      grants,
      `
        query ($filter: AuditEntryFilter, $first: Int) {
          membershipAuditLog(filter: $filter, first: $first) {
            edges {
              node {
                action
                actorName
                role
                roleBranchId
                branchId
                entityType
                entityId
                before
                after
                traceId
              }
            }
            pageInfo {
              hasNextPage
              endCursor
            }
          }
        }
      `,
      { filter, first },
    );
  const rows = (entityId: string) =>
    database.dataSource.query(`SELECT * FROM audit_log WHERE entity_id = $1 ORDER BY id`, [entityId]);
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await database.dataSource.query(sql, params))[0].n);

  beforeAll(async () => {
    recorder = recordSpans();
    database = await membershipDatabase('membership_audit');
    subgraph = await serveMembership(database, await createTestIssuer());
    const campus = await database.commands.openCampus({ code: 'main', name: '本部校区' });
    const open = async (code: string) =>
      (
        await database.commands.openBranch({
          campusId: campus.id,
          code,
          name: `${code}分工会`,
          kind: 'COLLEGE',
          staffHeadcount: 10,
        })
      ).id;
    a = await open('BA');
    b = await open('BB');
  });

  afterAll(async () => {
    await subgraph?.close();
    await database?.drop();
    await recorder?.stop();
  });

  it('writes one row per admission with the actor, the role used, the trace id and the record after it — phone and birth date redacted', async () => {
    const admitted = await admit([inBranch('MEMBERSHIP_OFFICER', a)], a, { name: 'officer-a' });
    const member = admitted.data!.admitMember;
    const [row] = await rows(member.id);
    expect(row).toMatchObject({
      action: 'MEMBER_ADMITTED',
      actor_name: 'officer-a',
      role: 'MEMBERSHIP_OFFICER',
      role_branch_id: a,
      branch_id: a,
      entity_type: 'Member',
      trace_id: TRACE_ID,
      before: null,
    });
    expect(row.after).toMatchObject({ id: member.id, name: expect.any(String), phone: '[REDACTED]' });
    expect(row.after.birthDate).toBe('[REDACTED]');
    expect(JSON.stringify(row)).not.toContain('13800000000');
    // the outbox event of the same change carries the same trace: the unit of work's span, under the resolver's,
    // under the request's, which continues the caller's traceparent
    const [event] = await database.dataSource.query(
      `SELECT headers FROM outbox WHERE message_key = $1 ORDER BY seq DESC LIMIT 1`,
      [member.id],
    );
    const [, traceId, spanId] = event.headers.traceparent.split('-');
    expect(traceId).toBe(TRACE_ID);
    const span = (id: string) => recorder.spans().find((s) => s.spanContext().spanId === id)!;
    const uow = span(spanId);
    const resolver = span(uow.parentSpanContext!.spanId);
    const request = span(resolver.parentSpanContext!.spanId);
    expect([uow.name, resolver.name, request.name]).toEqual([
      'unit-of-work',
      'resolve Mutation.admitMember',
      'mutation (anonymous)',
    ]);
    expect(request.parentSpanContext).toMatchObject({ spanId: '00f067aa0ba902b7', isRemote: true });
  });

  it('records a status change with the member before and after it', async () => {
    const member = (await admit([hq('ADMIN')], a)).data!.admitMember;
    const retired = await graphql(
      [inBranch('MEMBERSHIP_OFFICER', a)],
      `
        mutation ($input: MemberStatusChangeInput!) {
          retireMember(input: $input) {
            status
          }
        }
      `,
      { input: { memberId: member.id, reason: '到龄' } },
    );
    expect(retired.errors).toBeUndefined();
    const [, row] = await rows(member.id);
    expect(row).toMatchObject({ action: 'MEMBER_RETIRED', branch_id: a, role: 'MEMBERSHIP_OFFICER' });
    expect(row.before).toMatchObject({ status: 'ACTIVE', phone: '[REDACTED]' });
    expect(row.after).toMatchObject({ status: 'RETIRED' });
  });

  it('leaves neither an outbox nor an audit row when the command rolls back at its very end', async () => {
    const member = (await admit([hq('ADMIN')], a)).data!.admitMember;
    const outboxBefore = await count(`SELECT count(*) AS n FROM outbox`);
    const auditBefore = await count(`SELECT count(*) AS n FROM audit_log`);
    // the last statement of the transaction (the audit row, after the change and its event) fails
    await database.dataSource.query(`
      CREATE FUNCTION refuse_withdrawal() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.action = 'MEMBER_WITHDRAWN' THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$`);
    await database.dataSource.query(
      `CREATE TRIGGER refuse_withdrawal BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_withdrawal()`,
    );
    try {
      const answer = await graphql(
        [hq('ADMIN')],
        `
          mutation ($input: MemberStatusChangeInput!) {
            withdrawMember(input: $input) {
              status
            }
          }
        `,
        { input: { memberId: member.id } },
      );
      expect(answer.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await database.dataSource.query(`DROP TRIGGER refuse_withdrawal ON audit_log`);
      await database.dataSource.query(`DROP FUNCTION refuse_withdrawal()`);
    }
    expect(await count(`SELECT count(*) AS n FROM outbox`)).toBe(outboxBefore);
    expect(await count(`SELECT count(*) AS n FROM audit_log`)).toBe(auditBefore);
    expect((await database.repository.findMember(member.id))?.status).toBe('ACTIVE');
  });

  it("shows a branch's admin only that branch's rows, HQ auditors everything, and refuses viewers", async () => {
    await admit([hq('ADMIN')], a);
    await admit([hq('ADMIN')], b);
    const ofA = await auditLog([inBranch('ADMIN', a)]);
    expect(ofA.errors).toBeUndefined();
    const branchesOfA = ofA.data!.membershipAuditLog.edges.map(
      (e: { node: { branchId: string } }) => e.node.branchId,
    );
    expect(branchesOfA.length).toBeGreaterThan(0);
    expect(new Set(branchesOfA)).toEqual(new Set([a]));

    const all = await auditLog([hq('FINANCE_AUDITOR')]);
    const branches = new Set(
      all.data!.membershipAuditLog.edges.map((e: { node: { branchId: string } }) => e.node.branchId),
    );
    // the federation's own rows (a campus opened: branch null) too
    expect(branches).toEqual(new Set([a, b, null]));

    expect((await auditLog([inBranch('ADMIN', a)], { branchId: b })).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
    expect((await auditLog([hq('VIEWER')])).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await auditLog([inBranch('MEMBERSHIP_OFFICER', a)])).errors?.[0]?.extensions?.code).toBe(
      'FORBIDDEN',
    );
  });

  it('filters by entity and action, and pages newest first', async () => {
    const member = (await admit([hq('ADMIN')], b)).data!.admitMember;
    const byEntity = await auditLog([hq('ADMIN')], { entityType: 'Member', entityId: member.id });
    expect(
      byEntity.data!.membershipAuditLog.edges.map((e: { node: { action: string } }) => e.node.action),
    ).toEqual(['MEMBER_ADMITTED']);
    const page = await auditLog([hq('ADMIN')], { branchId: b }, 1);
    expect(page.data!.membershipAuditLog.pageInfo.hasNextPage).toBe(true);
    expect(page.data!.membershipAuditLog.edges[0].node.entityId).toBe(member.id);
    const future = await auditLog([hq('ADMIN')], { from: '2999-01-01' });
    expect(future.data!.membershipAuditLog.edges).toEqual([]);
  });

  it('answers a change of a member out of reach as NOT_FOUND and audits nothing for it', async () => {
    const member = (await admit([hq('ADMIN')], b)).data!.admitMember;
    const answer = await graphql(
      [inBranch('MEMBERSHIP_OFFICER', a)],
      `
        mutation ($input: MemberStatusChangeInput!) {
          retireMember(input: $input) {
            status
          }
        }
      `,
      { input: { memberId: member.id } },
    );
    expect(answer.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await rows(member.id)).map((r: { action: string }) => r.action)).toEqual(['MEMBER_ADMITTED']);
  });
});
