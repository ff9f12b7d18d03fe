import { parse } from 'csv-parse/sync';
import {
  createTestIssuer,
  hq,
  inBranch,
  serveSubgraph,
  type ServedSubgraph,
  type TestIssuer,
} from '@unionfed/testing';
import { uuidv7 } from '@unionfed/persistence';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { serveMembership } from './membership-subgraph';
import { RosterImports } from '../src/application/roster-import';
import { RosterFilesController } from '../src/http/roster-files.controller';
import { MEMBER_PROVIDERS, MEMBERSHIP_SUBGRAPH, ROSTER_FILE_PROVIDERS } from '../src/membership.providers';

const HEADER = '工号,姓名,性别,出生日期,所属分工会,人员类别,入会日期';

/**
 * The roster's HTTP endpoints and GraphQL fields, in process: the membership subgraph's SDL, the roster import
 * resolver and the file controller over a real database, with tokens from a test signing key. (No Kafka: the
 * outbox keeps its rows; the write path's events are covered in roster-import.int-spec.ts.)
 */
describe('roster files over HTTP and import jobs over GraphQL (real PostgreSQL)', () => {
  let database: MembershipDatabase;
  let subgraph: ServedSubgraph;
  let issuer: TestIssuer;
  let imports: RosterImports;
  let cs: string;
  let math: string;
  const saved = { max: process.env.UNIONFED_ROSTER_MAX_BYTES };

  let hqAdmin: string;
  let csOfficer: string;
  let mathOfficer: string;
  let viewer: string;

  beforeAll(async () => {
    database = await membershipDatabase('roster_files');
    issuer = await createTestIssuer();
    const campus = await database.commands.openCampus({ code: 'main', name: '本部校区' });
    const open = (code: string, name: string) =>
      database.commands.openBranch({ campusId: campus.id, code, name, kind: 'COLLEGE', staffHeadcount: 50 });
    cs = (await open('CS', '计算机学院分工会')).id;
    math = (await open('MATH', '数学学院分工会')).id;
    hqAdmin = await issuer.bearer([hq('ADMIN')], { subject: 'hq-admin', name: '校工会管理员' });
    csOfficer = await issuer.bearer([inBranch('MEMBERSHIP_OFFICER', cs)], { subject: 'cs-officer' });
    mathOfficer = await issuer.bearer([inBranch('MEMBERSHIP_OFFICER', math)], { subject: 'math-officer' });
    viewer = await issuer.bearer([hq('VIEWER')], { subject: 'viewer' });

    subgraph = await serveMembership(database, issuer, {
      providers: ROSTER_FILE_PROVIDERS,
      controllers: [RosterFilesController],
    });
    imports = subgraph.app.get(RosterImports);
  });

  afterAll(async () => {
    await subgraph?.close();
    await database?.drop();
    process.env.UNIONFED_ROSTER_MAX_BYTES = saved.max;
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const json = async (response: Response): Promise<any> => response.json();
  const upload = (body: string | Buffer, query: string, authorization?: string, type = 'text/csv') =>
    subgraph.fetch(authorization ? { authorization } : null, `/roster/imports?${query}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });
  /** GET /roster/export with a query string */
  const download = (authorization: string, query = '') =>
    subgraph.fetch({ authorization }, `/roster/export${query}`);
  const graphql = <T>(authorization: string, query: string, variables: Record<string, unknown> = {}) =>
    subgraph.graphql<T>({ authorization }, query, variables);

  const JOB = `query($id: ID!) { rosterImport(id: $id) {
    id status phase mode onInvalid format encoding totalRows processed created updated unchanged invalid
    errorCount storedErrorCount startedBy failure { code message messageEn }
    errors(first: 2) { totalCount pageInfo { hasNextPage endCursor } edges { node { row column code message messageEn staffNumber } } }
  } }`;

  it('refuses a caller without a token (401) and one without a roster role (403), in JSON, in both languages', async () => {
    const anonymous = await upload(`${HEADER}\n`, 'mode=apply');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/json');
    expect(await json(anonymous)).toEqual({
      error: { code: 'UNAUTHENTICATED', reason: 'SIGN_IN', message: 'Sign in first', messageZh: '请先登录' },
    });
    const forged = await upload(`${HEADER}\n`, 'mode=apply', 'Bearer not.a.token');
    expect(forged.status).toBe(401);
    expect((await json(forged)).error).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
    const reader = await upload(`${HEADER}\n`, 'mode=apply', viewer);
    expect(reader.status).toBe(403);
    expect(await json(reader)).toEqual({
      error: {
        code: 'FORBIDDEN',
        reason: 'ROLE_MISSING',
        message: 'Only administrators and membership officers may import or export rosters',
        messageZh: '只有管理员和组织委员可以导入或导出花名册',
      },
    });
    expect((await download(viewer, '?format=csv')).status).toBe(403);
  });

  it('queues an upload (202 {jobId}) whose progress and problems GraphQL shows', async () => {
    const rows = [
      'D001,陈静,女,1985-03-08,CS,专任教师,2010-09-01',
      'D002,王强,男,1979-02-30,CS,管理,2005-07-01',
    ];
    const response = await upload(
      `${HEADER}\n${rows.join('\n')}\n`,
      'mode=apply&onInvalid=skip&fileName=%E8%8A%B1%E5%90%8D%E5%86%8C.csv',
      csOfficer,
    );
    expect(response.status).toBe(202);
    const body = await json(response);
    expect(body).toEqual({ jobId: expect.any(String), status: 'QUEUED', mode: 'APPLY', onInvalid: 'SKIP' });
    await imports.whenSettled(body.jobId);
    const { data } = await graphql<{ rosterImport: Record<string, unknown> }>(csOfficer, JOB, {
      id: body.jobId,
    });
    expect(data?.rosterImport).toEqual({
      id: body.jobId,
      status: 'SUCCEEDED',
      phase: 'DONE',
      mode: 'APPLY',
      onInvalid: 'SKIP',
      format: 'CSV',
      encoding: 'UTF-8',
      totalRows: 2,
      processed: 2,
      created: 1,
      updated: 0,
      unchanged: 0,
      invalid: 1,
      errorCount: 1,
      storedErrorCount: 1,
      startedBy: 'cs-officer',
      failure: null,
      errors: {
        totalCount: 1,
        pageInfo: { hasNextPage: false, endCursor: expect.any(String) },
        edges: [
          {
            node: {
              row: 3,
              column: '出生日期',
              code: 'INVALID_DATE',
              message: '出生日期格式应为 YYYY-MM-DD',
              messageEn: 'birth date must be YYYY-MM-DD',
              staffNumber: 'D002',
            },
          },
        ],
      },
    });
  });

  it('shows a job only to who may see it: its starter, officers of its branch, HQ — not other branches', async () => {
    const response = await upload(
      `${HEADER}\nE001,周芳,女,1990-05-05,MATH,管理,2016-09-01\n`,
      'mode=dry-run',
      mathOfficer,
    );
    const { jobId } = await json(response);
    await imports.whenSettled(jobId);
    const seenBy = async (token: string) =>
      (await graphql<{ rosterImport: { id: string } | null }>(token, JOB, { id: jobId })).data?.rosterImport
        ?.id ?? null;
    expect(await seenBy(mathOfficer)).toBe(jobId);
    expect(await seenBy(hqAdmin)).toBe(jobId);
    expect(await seenBy(csOfficer)).toBeNull();
    const list = async (token: string) =>
      (
        await graphql<{ rosterImports: { totalCount: number; edges: { node: { startedBy: string } }[] } }>(
          token,
          '{ rosterImports(first: 10) { totalCount edges { node { startedBy } } } }',
        )
      ).data!.rosterImports;
    expect(await list(csOfficer)).toEqual({ totalCount: 1, edges: [{ node: { startedBy: 'cs-officer' } }] });
    expect((await list(hqAdmin)).totalCount).toBe(2);
    const refused = await graphql(viewer, JOB, { id: jobId });
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses bad parameters, a form-encoded body and a file over the size cap, saying why', async () => {
    const badMode = await upload(`${HEADER}\n`, 'mode=now', hqAdmin);
    expect(badMode.status).toBe(400);
    expect((await json(badMode)).error).toMatchObject({
      reason: 'INVALID_MODE',
      messageZh: '参数 mode 应为 dry-run、apply 之一',
    });
    const badMapping = await upload(
      `${HEADER}\n`,
      `mapping=${encodeURIComponent('{"x":"salary"}')}`,
      hqAdmin,
    );
    expect(badMapping.status).toBe(400);
    expect((await json(badMapping)).error).toMatchObject({ reason: 'INVALID_MAPPING' });
    const form = await upload('a=b', 'mode=apply', hqAdmin, 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    process.env.UNIONFED_ROSTER_MAX_BYTES = '1000';
    try {
      const big = await upload(
        `${HEADER}\n${'F001,某,男,1980-01-01,CS,管理,2010-01-01\n'.repeat(100)}`,
        'mode=apply',
        hqAdmin,
      );
      expect(big.status).toBe(413);
      expect((await json(big)).error).toMatchObject({
        reason: 'FILE_TOO_LARGE',
        messageZh: '文件超过 1 KB，请分成几个文件上传',
      });
    } finally {
      delete process.env.UNIONFED_ROSTER_MAX_BYTES;
    }
    const empty = await upload('', 'mode=apply', hqAdmin);
    expect(empty.status).toBe(400);
  });

  it('downloads the roster with the filters, within the caller’s reach; another branch is FORBIDDEN', async () => {
    await database.commands.admitMember({
      branchId: math,
      staffNumber: 'G001',
      name: '吴军',
      gender: 'MALE',
      category: 'SUPPORT',
    });
    const csv = await download(csOfficer, '?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(
      /^attachment; filename="roster-\d{8}\.csv"; filename\*=UTF-8''%E8%8A%B1/,
    );
    const rows = parse(Buffer.from(await csv.arrayBuffer()), { bom: true }) as string[][];
    expect(rows.slice(1).map((r) => [r[0], r[5]])).toEqual([['D001', 'CS']]);
    const all = parse(Buffer.from(await (await download(hqAdmin, '?format=csv&gender=MALE')).arrayBuffer()), {
      bom: true,
    }) as string[][];
    expect(all.slice(1).map((r) => r[0])).toEqual(['G001']);
    // the roster's name search narrows the download as it narrows the page: 吴军 by its initials
    const searched = parse(
      Buffer.from(await (await download(hqAdmin, '?format=csv&search=wj')).arrayBuffer()),
      {
        bom: true,
      },
    ) as string[][];
    expect(searched.slice(1).map((r) => r[0])).toEqual(['G001']);
    // and so does the union group (小组) the page is filtered by; a group of another branch gives nothing
    const group = uuidv7();
    await database.dataSource.query(
      `INSERT INTO union_group (id, branch_id, name, status, formed_on) VALUES ($1, $2, '一组', 'ACTIVE', '2026-01-01')`,
      [group, math],
    );
    await database.dataSource.query(`UPDATE member SET group_id = $1 WHERE staff_number = 'G001'`, [group]);
    const rowsOf = async (caller: string, query: string) =>
      (parse(Buffer.from(await (await download(caller, query)).arrayBuffer()), { bom: true }) as string[][])
        .slice(1)
        .map((r) => r[0]);
    expect(await rowsOf(hqAdmin, `?format=csv&groupId=${group}`)).toEqual(['G001']);
    expect(await rowsOf(hqAdmin, `?format=csv&groupId=${uuidv7()}`)).toEqual([]);
    expect(await rowsOf(csOfficer, `?format=csv&groupId=${group}`)).toEqual([]);
    const badGroup = await download(hqAdmin, '?format=csv&groupId=x');
    expect(badGroup.status).toBe(400);
    expect((await json(badGroup)).error).toMatchObject({ reason: 'INVALID_ID', field: 'groupId' });
    const other = await download(csOfficer, `?format=csv&branchId=${math}`);
    expect(other.status).toBe(403);
    expect((await json(other)).error).toMatchObject({ code: 'FORBIDDEN', reason: 'OUT_OF_SCOPE' });
    const badFilter = await download(hqAdmin, '?ageBand=YOUNG');
    expect(badFilter.status).toBe(400);
    expect((await json(badFilter)).error).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'INVALID_AGEBAND',
      field: 'ageBand',
    });
    const xlsx = await download(hqAdmin);
    expect(xlsx.status).toBe(200);
    expect(
      Buffer.from(await xlsx.arrayBuffer())
        .subarray(0, 2)
        .toString(),
    ).toBe('PK');
  });

  it('refuses the file routes to a caller who goes around the gateway where its signature is required', async () => {
    const production = await serveSubgraph({
      service: 'membership',
      subgraph: { ...MEMBERSHIP_SUBGRAPH, requireGatewaySignature: true },
      issuer,
      dataSource: database.dataSource,
      providers: [...MEMBER_PROVIDERS, ...ROSTER_FILE_PROVIDERS],
      controllers: [RosterFilesController],
    });
    try {
      const around = { authorization: hqAdmin };
      const upload = await production.fetch(around, '/roster/imports?mode=dry-run', {
        method: 'POST',
        headers: { 'content-type': 'text/csv' },
        body: `${HEADER}\n`,
        signed: false,
      });
      expect(upload.status).toBe(401);
      expect((await json(upload)).error).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'GATEWAY_SIGNATURE_INVALID',
      });
      const exported = await production.fetch(around, '/roster/export?format=csv', { signed: false });
      expect(exported.status).toBe(401);
      expect(await exported.text()).not.toContain('D001');
      // what the gateway forwards (signed) is served
      expect((await production.fetch(around, '/roster/export?format=csv')).status).toBe(200);
    } finally {
      await production.close();
    }
  });
});
