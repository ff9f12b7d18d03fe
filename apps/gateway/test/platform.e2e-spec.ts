import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  graphqlData,
  graphqlRequest,
  openBranchThroughGateway,
  queryDatabase,
  startTestPlatform,
  type TestPlatform,
} from '@unionfed/platform';
import { eventually, startOtlpCollector, testInfrastructure, type OtlpCollector } from '@unionfed/testing';

const CONSUMERS = ['finance', 'congress', 'activities', 'welfare'] as const;

const DIRECTORIES = `query($id: ID!) {
  ${CONSUMERS.map((s) => `${s}: ${s}Directory { member(id: $id) { name status branchId staffNumber } }`).join('\n  ')}
}`;

describe('the platform end to end, through the gateway (separate processes, real PostgreSQL + Kafka)', () => {
  let t: TestPlatform;
  /** every service exports its spans here (OTLP/HTTP), as to a collector */
  let collector: OtlpCollector;
  let branchId: string;
  let campusId: string;
  const staff = () => `E2E${randomBytes(3).toString('hex').toUpperCase()}`;
  const outboxRows = async () =>
    Number(
      (await queryDatabase<{ n: string }>(t.databaseUrl('membership'), 'SELECT count(*) AS n FROM outbox'))[0]
        .n,
    );

  /** Waits until every consuming service's directory shows the member as `expected` says. */
  const expectInEveryDirectory = (id: string, expected: Record<string, unknown>) =>
    eventually(
      async () => {
        const data = await graphqlData<Record<string, { member: unknown }>>(
          t.gatewayUrl,
          DIRECTORIES,
          { id },
          t.admin.headers,
        );
        for (const service of CONSUMERS) {
          expect({ service, member: data[service].member }).toMatchObject({ service, member: expected });
        }
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );

  const admit = (input: Record<string, unknown>) =>
    graphqlRequest<{ admitMember: { id: string } }>(
      t.gatewayUrl,
      'mutation($input: AdmitMemberInput!) { admitMember(input: $input) { id memberNumber status } }',
      { input: { branchId, gender: 'FEMALE', category: 'TEACHER', name: '王芳', ...input } },
      t.admin.headers,
    );

  beforeAll(async () => {
    collector = await startOtlpCollector();
    t = await startTestPlatform(testInfrastructure(), {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: collector.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    ({ campusId, branchId } = await openBranchThroughGateway(
      t.gatewayUrl,
      {
        campus: { code: 'E2E', name: '测试校区' },
        code: 'E2E-CS',
        name: '计算机学院分工会',
        staffHeadcount: 50,
      },
      t.admin.headers,
    ));
  });

  afterAll(async () => {
    await t?.stop();
    await collector?.close();
  });

  it('puts a member admitted through the gateway into every other service’s directory', async () => {
    const staffNumber = staff();
    const admitted = await admit({ staffNumber, name: '李雪梅', birthDate: '1986-03-08' });
    expect(admitted.errors).toBeUndefined();
    const id = admitted.data!.admitMember.id;

    await expectInEveryDirectory(id, { name: '李雪梅', status: 'ACTIVE', branchId, staffNumber });
  });

  it('answers NOT_FOUND for a branch that does not exist, and emits no event', async () => {
    const before = await outboxRows();
    const result = await admit({ staffNumber: staff(), branchId: '01900000-0000-7000-8000-000000000000' });
    expect(result.data).toBeNull();
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'BRANCH_NOT_FOUND' });
    expect(await outboxRows()).toBe(before);
  });

  it('answers CONFLICT for a staff number that is taken, and emits no event', async () => {
    const staffNumber = staff();
    expect((await admit({ staffNumber })).errors).toBeUndefined();
    const before = await outboxRows();
    const second = await admit({ staffNumber: staffNumber.toLowerCase(), name: '另一个人' });
    expect(second.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'STAFF_NUMBER_TAKEN' });
    expect(await outboxRows()).toBe(before);
  });

  it('answers BAD_USER_INPUT naming the field for an impossible birth date', async () => {
    const result = await admit({ staffNumber: staff(), birthDate: '1990-02-30' });
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'birthDate' });
    expect(JSON.stringify(result)).not.toMatch(/stack|at .*\.ts/);
  });

  it('answers BAD_USER_INPUT naming the field for a date written as a number in the document, not an internal error', async () => {
    const result = await graphqlRequest(
      t.gatewayUrl,
      '{ members(filter: { joinedFrom: 20200901 }) { totalCount } }',
      {},
      t.admin.headers,
    );
    expect(result.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'INVALID_DATE',
      field: 'joinedFrom',
    });
  });

  it('refuses a query the schema does not know with a validation error, not a server error', async () => {
    const result = await graphqlRequest(t.gatewayUrl, '{ noSuchField }', {}, t.admin.headers);
    expect(result.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('names no server software and hashes no ETag over GraphQL answers, at the gateway and at a subgraph', async () => {
    for (const url of [t.gatewayUrl, `${t.platform.service('membership').baseUrl}/graphql`]) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...t.admin.headers },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect({ url, status: response.status }).toEqual({ url, status: 200 });
      expect({
        url,
        poweredBy: response.headers.get('x-powered-by'),
        etag: response.headers.get('etag'),
      }).toEqual({
        url,
        poweredBy: null,
        etag: null,
      });
    }
  });

  it('delivers a member admitted while a consumer was killed once that consumer is back', async () => {
    await t.platform.stop('welfare', 'SIGKILL');
    const admitted = await admit({ staffNumber: staff(), name: '赵建国', gender: 'MALE' });
    const id = admitted.data!.admitMember.id;
    await t.platform.start('welfare');
    const member = await eventually(
      async () => {
        const data = await graphqlData<{ welfareDirectory: { member: { name: string } | null } }>(
          t.gatewayUrl,
          'query($id: ID!) { welfareDirectory { member(id: $id) { name } } }',
          { id },
          t.admin.headers,
        );
        expect(data.welfareDirectory.member).not.toBeNull();
        return data.welfareDirectory.member;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(member).toEqual({ name: '赵建国' });
    // exactly once: one directory row and one inbox row for the event
    const rows = await queryDatabase<{ n: string }>(
      t.databaseUrl('welfare'),
      'SELECT count(*) AS n FROM member_directory WHERE member_id = $1',
      [id],
    );
    expect(Number(rows[0].n)).toBe(1);
  });

  it('has every consumer apply every event membership published, exactly once, and report it', async () => {
    // BranchOpened and the three members admitted above
    const ids = await eventually(async () => {
      const rows = await queryDatabase<{ id: string; published: boolean }>(
        t.databaseUrl('membership'),
        'SELECT id, published_at IS NOT NULL AS published FROM outbox',
      );
      expect(rows.filter((row) => !row.published)).toEqual([]);
      return rows.map((row) => row.id);
    });
    expect(ids).toHaveLength(4);
    await eventually(
      async () => {
        for (const service of CONSUMERS) {
          // the test broker outlives test runs, so count only this run's events
          const [row] = await queryDatabase<{ n: string }>(
            t.databaseUrl(service),
            `SELECT count(*) AS n FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])`,
            [`${service}.directory`, ids],
          );
          expect({ service, applied: Number(row.n) }).toEqual({ service, applied: ids.length });
        }
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const sync = await graphqlData<Record<string, { eventsApplied: number; lastEventTime: string | null }>>(
      t.gatewayUrl,
      `{ ${CONSUMERS.map((s) => `${s}: ${s}Directory { eventsApplied lastEventTime }`).join(' ')} }`,
      {},
      t.admin.headers,
    );
    for (const service of CONSUMERS) {
      expect(sync[service].eventsApplied).toBeGreaterThanOrEqual(ids.length);
      expect(sync[service].lastEventTime).not.toBeNull();
    }
  });

  it('carries the trace context of a request through the gateway, the outbox and Kafka into every consumer: one trace, exported, in their logs', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const result = await graphqlRequest<{ admitMember: { id: string } }>(
      t.gatewayUrl,
      'mutation Admit($input: AdmitMemberInput!) { admitMember(input: $input) { id } }',
      { input: { branchId, staffNumber: staff(), name: '钱进', gender: 'MALE', category: 'SUPPORT' } },
      { ...t.admin.headers, traceparent: `00-${traceId}-${callerSpan}-01` },
    );
    expect(result.errors).toBeUndefined();
    const [row] = await queryDatabase<{ traceparent: string }>(
      t.databaseUrl('membership'),
      `SELECT headers->>'traceparent' AS traceparent FROM outbox WHERE message_key = $1`,
      [result.data!.admitMember.id],
    );
    expect(row.traceparent.split('-')[1]).toBe(traceId);
    await eventually(() => {
      for (const service of CONSUMERS) {
        const log = readFileSync(t.platform.service(service).logFile, 'utf8');
        expect({ service, logged: log.includes(traceId) }).toEqual({ service, logged: true });
      }
    });
    // the spans every process exported (OTLP/HTTP), as one tree: caller → the gateway's request → its call to
    // membership → membership's request → the resolver → the unit of work (its SQL under it) → each consumer's span
    const consumed = `process ${'unionfed.membership.MemberJoined.v1'}`;
    const spans = await eventually(
      () => {
        const trace = collector.trace(traceId);
        expect(
          trace
            .filter((s) => s.name === consumed)
            .map((s) => s.service)
            .sort(),
        ).toEqual([...CONSUMERS, 'gateway'].sort()); // the gateway's copy of the directory (member accounts) too
        // each process exports on its own schedule: wait for the producer's and the gateway's spans too
        expect(trace.some((s) => s.service === 'membership' && s.name === 'unit-of-work')).toBe(true);
        expect(trace.some((s) => s.service === 'gateway' && s.parentSpanId === callerSpan)).toBe(true);
        return trace;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (span: { parentSpanId?: string }) => byId.get(span.parentSpanId ?? '');
    const gateway = spans.find((s) => s.service === 'gateway' && s.parentSpanId === callerSpan);
    expect(gateway?.name).toBe('mutation Admit');
    const uow = spans.find((s) => s.service === 'membership' && s.name === 'unit-of-work')!;
    const chain: string[] = [];
    for (let span = parentOf(uow); span; span = parentOf(span)) chain.push(`${span.service}: ${span.name}`);
    // (Apollo Gateway's own spans — request, execute, fetch — are in the tree too, and the query plan names
    // the subgraph's operation after the gateway's)
    expect(chain).toEqual([
      'membership: resolve Mutation.admitMember',
      'membership: mutation Admit__membership__0',
      'gateway: POST membership',
      'gateway: gateway.fetch',
      'gateway: gateway.execute',
      'gateway: gateway.request',
      'gateway: mutation Admit',
    ]);
    // SQL is traced under the span that ran it (pg instrumentation)
    const sql = spans.filter(
      (s) =>
        s.parentSpanId === uow.spanId &&
        (s.attributes['db.system.name'] ?? s.attributes['db.system']) === 'postgresql',
    );
    expect(sql.length).toBeGreaterThan(0);
    for (const span of spans.filter((s) => s.name === consumed)) {
      expect({ service: span.service, parent: span.parentSpanId }).toEqual({
        service: span.service,
        parent: uow.spanId,
      });
    }
  });

  it('exposes Prometheus metrics of the event backbone and the process on every service', async () => {
    const metrics = async (service: 'membership' | 'finance') =>
      (await fetch(`${t.platform.service(service).baseUrl}/metrics`)).text();
    const membership = await metrics('membership');
    expect(membership).toMatch(/^unionfed_outbox_backlog\{service="membership"\} 0$/m);
    expect(membership).toMatch(/^unionfed_outbox_oldest_unpublished_age_seconds\{service="membership"\} 0$/m);
    expect(
      Number(/^unionfed_outbox_published_total\{service="membership"\} (\d+)/m.exec(membership)?.[1]),
    ).toBeGreaterThanOrEqual(5);
    const finance = await metrics('finance');
    expect(finance).toMatch(
      /^unionfed_consumer_events_total\{consumer="finance\.directory",outcome="applied",type="unionfed\.membership\.MemberJoined\.v1",service="finance"\} \d+$/m,
    );
    expect(finance).toMatch(/^unionfed_consumer_handler_duration_seconds_bucket\{/m);
    expect(finance).toMatch(
      /^unionfed_consumer_lag\{group="finance",topic="unionfed\.membership\.member\.v1",partition="0",service="finance"\} \d+$/m,
    );
    expect(finance).toMatch(/^process_resident_memory_bytes\{service="finance"\} \d+/m);
    const gateway = await (await fetch(`${t.platform.service('gateway').baseUrl}/metrics`)).text();
    expect(gateway).toMatch(/^process_resident_memory_bytes\{service="gateway"\} \d+/m);
  });

  it('carries a retirement and a transfer through to every directory', async () => {
    const admitted = await admit({ staffNumber: staff(), name: '孙建华', gender: 'MALE' });
    const id = admitted.data!.admitMember.id;
    const physics = await openBranchThroughGateway(
      t.gatewayUrl,
      {
        campusId,
        code: `E2E-${randomBytes(2).toString('hex')}`,
        name: '物理学院分工会',
      },
      t.admin.headers,
    );
    // HQ reaches both branches: its transfer request is accepted at once
    const moved = await graphqlData<{ requestMemberTransfer: { status: string; toBranch: { id: string } } }>(
      t.gatewayUrl,
      'mutation($input: RequestMemberTransferInput!) { requestMemberTransfer(input: $input) { status toBranch { id } } }',
      { input: { memberId: id, toBranchId: physics.branchId } },
      t.admin.headers,
    );
    expect(moved.requestMemberTransfer).toEqual({ status: 'ACCEPTED', toBranch: { id: physics.branchId } });
    const record = await graphqlData<{ member: { branch: { id: string }; history: { change: string }[] } }>(
      t.gatewayUrl,
      'query($id: ID!) { member(id: $id) { branch { id } history { change } } }',
      { id },
      t.admin.headers,
    );
    expect(record.member.branch.id).toBe(physics.branchId);
    expect(record.member.history.map((h) => h.change)).toEqual([
      'JOINED',
      'TRANSFER_REQUESTED',
      'TRANSFERRED',
    ]);
    const retired = await graphqlData<{ retireMember: { status: string } }>(
      t.gatewayUrl,
      'mutation($input: MemberStatusChangeInput!) { retireMember(input: $input) { status } }',
      { input: { memberId: id } },
      t.admin.headers,
    );
    expect(retired.retireMember.status).toBe('RETIRED');
    const again = await graphqlRequest(
      t.gatewayUrl,
      'mutation($input: MemberStatusChangeInput!) { retireMember(input: $input) { status } }',
      {
        input: { memberId: id },
      },
      t.admin.headers,
    );
    expect(again.errors?.[0].extensions).toMatchObject({
      code: 'CONFLICT',
      reason: 'MEMBER_STATUS_CONFLICT',
    });
    await expectInEveryDirectory(id, { status: 'RETIRED', branchId: physics.branchId });
  });

  it('imports a roster file uploaded through the gateway, and exports the branch roster back', async () => {
    const gateway = t.platform.service('gateway').baseUrl;
    const staffNumber = staff();
    const csv = `姓名,工号,性别,人员类别,出生日期,分工会代码\n林小雨,${staffNumber},女,专任教师,1990-05-04,E2E-CS\n`;
    const upload = await fetch(`${gateway}/uploads/roster?mode=apply&onInvalid=skip`, {
      method: 'POST',
      headers: { ...t.admin.headers, 'content-type': 'text/csv', 'x-file-name': 'roster.csv' },
      body: csv,
    });
    expect(upload.status).toBe(202);
    const { jobId } = (await upload.json()) as { jobId: string };
    await eventually(async () => {
      const { rosterImport } = await graphqlData<{
        rosterImport: { status: string; created: number; invalid: number };
      }>(
        t.gatewayUrl,
        'query($id: ID!) { rosterImport(id: $id) { status created invalid } }',
        { id: jobId },
        t.admin.headers,
      );
      expect(rosterImport).toEqual({ status: 'SUCCEEDED', created: 1, invalid: 0 });
    });
    // the import announces its new members on its own topic (MembersImported): every directory follows
    const [{ id }] = await queryDatabase<{ id: string }>(
      t.databaseUrl('membership'),
      'SELECT id FROM member WHERE staff_number = $1',
      [staffNumber],
    );
    await expectInEveryDirectory(id, { name: '林小雨', status: 'ACTIVE', branchId, staffNumber });
    const exported = await fetch(`${gateway}/downloads/roster?format=csv&branchId=${branchId}`, {
      headers: t.admin.headers,
    });
    expect(exported.status).toBe(200);
    const text = await exported.text();
    expect(text).toContain(staffNumber);
    expect(text).toContain('林小雨');
    // without credentials nothing is read or written
    const anonymous = await fetch(`${gateway}/downloads/roster?format=csv`);
    expect(anonymous.status).toBe(401);
  });
});
