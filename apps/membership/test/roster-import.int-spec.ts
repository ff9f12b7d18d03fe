import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { DataSource } from 'typeorm';
import { parse } from 'csv-parse/sync';
import { Logger } from '@nestjs/common';
import { Reach } from '@unionfed/auth';
import { EVENT_REGISTRY, MembershipEvents, type MembersImported } from '@unionfed/contracts';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { RosterImports, MAX_STORED_PROBLEMS, type ImportRequest } from '../src/application/roster-import';
import { RosterExport, type ExportFormat } from '../src/application/roster-export';
import { RosterImportRepository } from '../src/infrastructure/roster-import.repository';
import { MEMBERS_PER_ANNOUNCEMENT } from '../src/application/integration-events';
import { rosterCriteria } from '../src/domain/roster';
import { StructureCommands } from '../src/application/structure.commands';
import { StructureRepository } from '../src/infrastructure/structure.repository';
import { dayBefore } from '../src/domain/committee';
import { todayInShanghai } from '@unionfed/domain-kit';
import { extractTraceContext, inSpan } from '@unionfed/telemetry';
import { recordSpans, type SpanRecorder } from '@unionfed/testing';

const HEADER = '工号,姓名,性别,出生日期,所属分工会,人员类别,入会日期,手机,邮箱,职称';

describe('roster import and export (real PostgreSQL)', () => {
  let database: MembershipDatabase;
  let dataSource: DataSource;
  let imports: RosterImports;
  let jobs: RosterImportRepository;
  let exporter: RosterExport;
  let dir: string;
  let cs: string;
  let math: string;
  let files = 0;
  let recorder: SpanRecorder;

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await dataSource.query(sql, params))[0].n);
  const totals = async () => ({
    members: await count(`SELECT count(*) AS n FROM member`),
    history: await count(`SELECT count(*) AS n FROM member_history`),
    outbox: await count(`SELECT count(*) AS n FROM outbox`),
  });

  /**
   * Imports a file the way the upload endpoint does — in the upload request's span when `upload` (a caller's
   * traceparent) is given — and waits for the job to end.
   */
  async function importFile(
    content: string | Buffer,
    { upload, ...options }: Partial<Omit<ImportRequest, 'filePath' | 'fileBytes'>> & { upload?: string } = {},
    via: RosterImports = imports,
  ) {
    const filePath = join(dir, `upload-${++files}`);
    writeFileSync(filePath, content);
    const parent = upload ? extractTraceContext({ traceparent: upload }) : undefined;
    const submitted = await inSpan('POST /roster/imports', { parent }, () =>
      via.submit({
        filePath,
        fileName: 'roster.csv',
        fileBytes: Buffer.byteLength(content),
        mode: 'APPLY',
        onInvalid: 'SKIP',
        mapping: {},
        startedBy: { subject: 'officer-1', name: '组织委员' },
        reach: Reach.EVERYTHING,
        ...options,
      }),
    );
    expect(submitted.status).toBe('QUEUED');
    await via.whenSettled(submitted.id);
    const job = (await jobs.findJob(submitted.id))!;
    const problems = (await jobs.problems(job.id, MAX_STORED_PROBLEMS + 1)).map(
      ({ seq: _seq, ...problem }) => problem,
    );
    return { job, problems };
  }

  async function exported(format: ExportFormat, filter = {}, reach = Reach.EVERYTHING): Promise<Buffer> {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk));
    await exporter.write(rosterCriteria(filter, '2026-11-22'), reach, format, out);
    return Buffer.concat(chunks);
  }

  beforeAll(async () => {
    recorder = recordSpans();
    database = await membershipDatabase('roster_import');
    dataSource = database.dataSource;
    jobs = new RosterImportRepository(dataSource);
    imports = new RosterImports(dataSource, jobs, database.repository, database.unitOfWork);
    exporter = new RosterExport(database.repository, jobs);
    dir = mkdtempSync(join(tmpdir(), 'roster-import-it-'));
    const campus = await database.commands.openCampus({ code: 'main', name: '本部校区' });
    const open = (code: string, name: string) =>
      database.commands.openBranch({ campusId: campus.id, code, name, kind: 'COLLEGE', staffHeadcount: 50 });
    cs = (await open('CS', '计算机学院分工会')).id;
    math = (await open('MATH', '数学学院分工会')).id;
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await database?.drop();
    await recorder?.stop();
  });

  const VALID = [
    'A001,陈静,女,1985-03-08,CS,专任教师,2010-09-01,13800138000,chenjing@u.edu.cn,副教授',
    'A002,王强,男,1979/11/2,数学学院分工会,管理,2005-07-01,,,',
  ];
  const INVALID = [
    'A003,李明,男,1985-13-45,CS,专任教师,2010-09-01,,,', // malformed date
    'A004,赵敏,女,1990-01-01,PHYSICS,工勤,2015-09-01,,,', // unknown branch
    'A005,,未知,1990-01-01,CS,临时工,2015-09-01,,,', // empty name, unknown gender and category
  ];
  const MIXED = `${HEADER}\n${[VALID[0], INVALID[0], VALID[1], INVALID[1], INVALID[2]].join('\n')}\n`;

  it('a dry run reports every problem of every row and writes nothing', async () => {
    const before = await totals();
    const { job, problems } = await importFile(MIXED, { mode: 'DRY_RUN' });
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      phase: 'DONE',
      format: 'CSV',
      encoding: 'UTF-8',
      totalRows: 5,
      processed: 5,
      created: 2,
      updated: 0,
      unchanged: 0,
      invalid: 3,
      errorCount: 5,
      storedErrors: 5,
    });
    expect(problems).toEqual([
      {
        row: 3,
        column: '出生日期',
        code: 'INVALID_DATE',
        message: '出生日期格式应为 YYYY-MM-DD',
        messageEn: 'birth date must be YYYY-MM-DD',
        staffNumber: 'A003',
      },
      expect.objectContaining({ row: 5, column: '所属分工会', code: 'UNKNOWN_BRANCH', staffNumber: 'A004' }),
      expect.objectContaining({ row: 6, column: '姓名', code: 'NAME_REQUIRED', message: '姓名不能为空' }),
      expect.objectContaining({ row: 6, column: '性别', code: 'INVALID_GENDER', staffNumber: 'A005' }),
      expect.objectContaining({ row: 6, column: '人员类别', code: 'INVALID_CATEGORY' }),
    ]);
    expect(await totals()).toEqual(before);
  });

  it('all-or-nothing stores nothing when one row is invalid, and says why', async () => {
    const before = await totals();
    const { job, problems } = await importFile(`${HEADER}\n${VALID.join('\n')}\n${INVALID[0]}\n`, {
      onInvalid: 'ABORT',
    });
    expect(job).toMatchObject({ status: 'ABORTED', created: 0, updated: 0, invalid: 1, errorCount: 1 });
    expect(problems).toEqual([expect.objectContaining({ row: 4, code: 'INVALID_DATE' })]);
    expect(await totals()).toEqual(before);
  });

  it('applying with skip stores the valid rows — member, JOINED history, one MembersImported per branch — and reports the invalid', async () => {
    const before = await totals();
    recorder.clear();
    const { job, problems } = await importFile(MIXED, {
      upload: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      created: 2,
      updated: 0,
      unchanged: 0,
      invalid: 3,
      errorCount: 5,
    });
    expect(problems.map((p) => [p.row, p.code])).toEqual([
      [3, 'INVALID_DATE'],
      [5, 'UNKNOWN_BRANCH'],
      [6, 'NAME_REQUIRED'],
      [6, 'INVALID_GENDER'],
      [6, 'INVALID_CATEGORY'],
    ]);
    expect(await totals()).toEqual({
      members: before.members + 2,
      history: before.history + 2,
      outbox: before.outbox + 2,
    });
    const members = await dataSource.query(
      `SELECT staff_number, name, gender, birth_date::text AS birth, branch_id, category, joined_on::text AS joined,
              phone, title, status FROM member ORDER BY staff_number`,
    );
    expect(members).toEqual([
      {
        staff_number: 'A001',
        name: '陈静',
        gender: 'FEMALE',
        birth: '1985-03-08',
        branch_id: cs,
        category: 'TEACHER',
        joined: '2010-09-01',
        phone: '13800138000',
        title: '副教授',
        status: 'ACTIVE',
      },
      {
        staff_number: 'A002',
        name: '王强',
        gender: 'MALE',
        birth: '1979-11-02',
        branch_id: math,
        category: 'MANAGEMENT',
        joined: '2005-07-01',
        phone: null,
        title: null,
        status: 'ACTIVE',
      },
    ]);
    const history = await dataSource.query(
      `SELECT m.staff_number, h.change, h.effective_on::text AS on FROM member_history h JOIN member m ON m.id = h.member_id ORDER BY 1`,
    );
    expect(history).toEqual([
      { staff_number: 'A001', change: 'JOINED', on: '2010-09-01' },
      { staff_number: 'A002', change: 'JOINED', on: '2005-07-01' },
    ]);
    // announced together, one MembersImported per branch, keyed by the job (not a MemberJoined each)
    const events = await dataSource.query(
      `SELECT event_type, message_key, payload, headers FROM outbox WHERE topic = $1 ORDER BY seq`,
      [MembershipEvents.MembersImported.topic.name],
    );
    expect(events.map((e: { event_type: string }) => e.event_type)).toEqual([
      MembershipEvents.MembersImported.type,
      MembershipEvents.MembersImported.type,
    ]);
    const announced = events.map((e: { event_type: string; payload: Buffer }) => {
      const decoded = EVENT_REGISTRY.decode(e.event_type, e.payload)!;
      expect(decoded.contract).toBe(MembershipEvents.MembersImported);
      return decoded.message as MembersImported;
    });
    expect(announced.map((a: MembersImported) => [a.jobId, a.branchId, a.members.length])).toEqual([
      [job.id, cs, 1],
      [job.id, math, 1],
    ]);
    expect(announced[0].members[0]).toMatchObject({
      branchId: cs,
      joinedOn: { iso: '2010-09-01' },
      profile: { staffNumber: 'A001', name: '陈静', title: '副教授', phone: '13800138000' },
    });
    expect(announced[1].members[0]).toMatchObject({ branchId: math, profile: { staffNumber: 'A002' } });
    expect(events.map((e: { message_key: string }) => e.message_key)).toEqual([job.id, job.id]);
    expect(events.map((e: { headers: Record<string, string> }) => e.headers.unionfed_branch_id)).toEqual([
      cs,
      math,
    ]);
    // the job ran in a span under the upload request's, and its events carry that trace (their unit of work's span)
    const [upload] = recorder.named('POST /roster/imports');
    const [run] = recorder.named('roster import');
    expect(upload.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(run.parentSpanContext?.spanId).toBe(upload.spanContext().spanId);
    const units = recorder
      .spans()
      .filter((span) => span.parentSpanContext?.spanId === run.spanContext().spanId);
    const unitSpans = new Set(units.map((span) => span.spanContext().spanId));
    for (const event of events as { headers: Record<string, string> }[]) {
      const [, traceId, spanId] = event.headers.traceparent.split('-');
      expect(traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(unitSpans.has(spanId)).toBe(true);
    }
    expect(
      await dataSource.query(`SELECT 1 FROM outbox WHERE event_type = $1`, [
        MembershipEvents.MemberJoined.type,
      ]),
    ).toEqual([]);
  });

  it('re-importing the same file changes nothing: no new history, no new outbox rows', async () => {
    const before = await totals();
    const { job } = await importFile(MIXED);
    expect(job).toMatchObject({ status: 'SUCCEEDED', created: 0, updated: 0, unchanged: 2, invalid: 3 });
    expect(await totals()).toEqual(before);
  });

  it('changed rows produce exactly one history entry and one event each: profile update, or transfer', async () => {
    const before = await totals();
    const changed = [
      'A001,陈静,女,1985-03-08,CS,专任教师,2010-09-01,13800138000,chenjing@u.edu.cn,教授', // 副教授 → 教授
      'A002,王强,男,1979-11-02,CS,管理,2005-07-01,,,', // 数学 → 计算机: a transfer
    ];
    const { job } = await importFile(`${HEADER}\n${changed.join('\n')}\n`);
    expect(job).toMatchObject({ status: 'SUCCEEDED', created: 0, updated: 2, unchanged: 0, invalid: 0 });
    expect(await totals()).toEqual({ ...before, history: before.history + 2, outbox: before.outbox + 2 });
    const history = await dataSource.query(
      `SELECT m.staff_number, h.change, h.details FROM member_history h JOIN member m ON m.id = h.member_id
        WHERE h.change <> 'JOINED' ORDER BY 1`,
    );
    expect(history).toEqual([
      {
        staff_number: 'A001',
        change: 'PROFILE_UPDATED',
        details: { fields: 'title', source: 'ROSTER_IMPORT', importId: job.id },
      },
      {
        staff_number: 'A002',
        change: 'TRANSFERRED',
        details: { fromBranchId: math, source: 'ROSTER_IMPORT', importId: job.id },
      },
    ]);
    const events = await dataSource.query(`SELECT event_type, payload FROM outbox ORDER BY seq DESC LIMIT 2`);
    const decoded = events
      .reverse()
      .map((e: { event_type: string; payload: Buffer }) => EVENT_REGISTRY.decode(e.event_type, e.payload)!);
    expect(decoded[0].contract).toBe(MembershipEvents.MemberProfileUpdated);
    expect(decoded[0].message).toMatchObject({
      branchId: cs,
      profile: { staffNumber: 'A001', title: '教授' },
    });
    expect(decoded[1].contract).toBe(MembershipEvents.MemberTransferred);
    expect(decoded[1].message).toMatchObject({ fromBranchId: math, toBranchId: cs });
  });

  it('refuses both rows of a staff number that appears twice, and stores neither', async () => {
    const before = await totals();
    const { job, problems } = await importFile(
      `${HEADER}\nB001,孙丽,女,1988-01-01,CS,管理,2015-09-01,,,\nb001,孙丽,女,1988-01-01,MATH,管理,2015-09-01,,,\n`,
    );
    expect(job).toMatchObject({ created: 0, invalid: 2 });
    expect(problems).toEqual([
      expect.objectContaining({
        row: 2,
        code: 'DUPLICATE_STAFF_NUMBER',
        message: expect.stringContaining('第 2、3 行'),
      }),
      expect.objectContaining({ row: 3, code: 'DUPLICATE_STAFF_NUMBER' }),
    ]);
    expect(await totals()).toEqual(before);
  });

  it('keeps a branch officer to their branch: other branches FORBIDDEN per row, their members out of reach', async () => {
    const before = await totals();
    const { job, problems } = await importFile(
      `${HEADER}\nC001,周芳,女,1990-05-05,MATH,管理,2016-09-01,,,\nC002,吴军,男,1990-05-05,CS,管理,2016-09-01,,,\nA001,陈静,女,1985-03-08,MATH,专任教师,2010-09-01,,,\n`,
      { reach: Reach.of([math]), startedBy: { subject: 'math-officer', name: '数学组织委员' } },
    );
    expect(job).toMatchObject({
      created: 1,
      updated: 0,
      invalid: 2,
      scopeAll: false,
      scopeBranchIds: [math],
    });
    expect(problems).toEqual([
      expect.objectContaining({
        row: 3,
        column: '所属分工会',
        code: 'FORBIDDEN',
        message: '您无权导入分工会“CS”的会员',
      }),
      // A001 is a member of 计算机学院: moving them is not the math officer's to do
      expect.objectContaining({ row: 4, column: '工号', code: 'MEMBER_OUT_OF_REACH' }),
    ]);
    expect(await totals()).toEqual({
      members: before.members + 1,
      history: before.history + 1,
      outbox: before.outbox + 1,
    });
  });

  it('fails a job whose file is not a roster, saying so in both languages', async () => {
    const { job } = await importFile(Buffer.from('%PDF-1.7 not a roster'));
    expect(job).toMatchObject({
      status: 'FAILED',
      failureCode: 'NOT_CSV_OR_XLSX',
      failureMessage: expect.stringContaining('文件不是 CSV 或 XLSX'),
      failureMessageEn: expect.stringContaining('the file is neither CSV nor XLSX'),
      created: 0,
    });
  });

  it('shows progress while it runs, batch by batch, and caps the problems it stores', async () => {
    const rows = Array.from({ length: 12_000 }, (_, i) => {
      const n = String(i).padStart(5, '0');
      // every other row has a malformed birth date: 6,000 problems… plus 4,100 more on a second column
      const birth = i % 2 === 0 ? '1980-01-01' : '1980-02-30';
      const phone = i < 8200 && i % 2 === 1 ? 'n/a' : '';
      return `P${n},测试${n},男,${birth},CS,工勤,2020-01-01,${phone},,`;
    });
    const content = `${HEADER}\n${rows.join('\n')}\n`;
    const filePath = join(dir, 'big.csv');
    writeFileSync(filePath, content);
    const submitted = await imports.submit({
      filePath,
      fileName: 'big.csv',
      fileBytes: content.length,
      mode: 'DRY_RUN',
      onInvalid: 'SKIP',
      mapping: {},
      startedBy: { subject: 'hq', name: 'HQ' },
      reach: Reach.EVERYTHING,
    });
    const seen = new Set<number>();
    const settled = imports.whenSettled(submitted.id).then(() => 'done');
    while ((await Promise.race([settled, new Promise((r) => setTimeout(() => r('poll'), 10))])) === 'poll') {
      const job = await jobs.findJob(submitted.id);
      if (job?.phase === 'CHECKING') seen.add(job.processed);
    }
    const job = (await jobs.findJob(submitted.id))!;
    expect([...seen].some((processed) => processed > 0 && processed < 12_000)).toBe(true);
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      totalRows: 12_000,
      processed: 12_000,
      created: 6_000,
      invalid: 6_000,
      errorCount: 10_100,
      storedErrors: MAX_STORED_PROBLEMS,
    });
    expect(await count(`SELECT count(*) AS n FROM roster_import_error WHERE job_id = $1`, [job.id])).toBe(
      MAX_STORED_PROBLEMS,
    );
  });

  it('puts members into the union groups the 工会小组 column names: new ones on joining, others by a group change', async () => {
    const group = '0192f0c2-0000-7000-8000-0000000000a1';
    await dataSource.query(
      `INSERT INTO union_group (id, branch_id, name, status, formed_on) VALUES ($1, $2, '软件教研室小组', 'ACTIVE', '2020-01-01')`,
      [group, cs],
    );
    const header = `${HEADER},工会小组`;
    const before = await totals();
    const { job, problems } = await importFile(
      `${header}\nA001,陈静,女,1985-03-08,CS,专任教师,2010-09-01,13800138000,chenjing@u.edu.cn,教授,软件教研室小组\n` +
        `H001,郑伟,男,1992-06-01,CS,专任教师,2019-09-01,,,讲师,软件教研室小组\n` +
        `H002,冯涛,男,1992-06-01,CS,专任教师,2019-09-01,,,讲师,不存在的小组\n`,
    );
    expect(problems).toEqual([
      expect.objectContaining({ row: 4, column: '工会小组', code: 'UNKNOWN_GROUP' }),
    ]);
    expect(job).toMatchObject({ created: 1, updated: 1, invalid: 1 });
    expect(await totals()).toEqual({
      members: before.members + 1,
      history: before.history + 2,
      outbox: before.outbox + 2,
    });
    expect(
      await dataSource.query(
        `SELECT staff_number, group_id FROM member WHERE staff_number IN ('A001','H001') ORDER BY 1`,
      ),
    ).toEqual([
      { staff_number: 'A001', group_id: group },
      { staff_number: 'H001', group_id: group },
    ]);
    const events = await dataSource.query(`SELECT event_type, payload FROM outbox ORDER BY seq DESC LIMIT 2`);
    const decoded = events
      .reverse()
      .map((e: { event_type: string; payload: Buffer }) => EVENT_REGISTRY.decode(e.event_type, e.payload)!);
    // a batch writes its admissions' events, then its changes' (each member's own events stay in order)
    expect(decoded.map((d: { contract: { type: string } }) => d.contract.type)).toEqual([
      MembershipEvents.MembersImported.type,
      MembershipEvents.MemberGroupChanged.type,
    ]);
    expect((decoded[0].message as MembersImported).members).toEqual([
      expect.objectContaining({ groupId: group, profile: expect.objectContaining({ staffNumber: 'H001' }) }),
    ]);
    expect(decoded[1].message).toMatchObject({ groupId: group, fromGroupId: '' });
    // again: nothing changes
    const again = await importFile(
      `${header}\nA001,陈静,女,1985-03-08,CS,专任教师,2010-09-01,13800138000,chenjing@u.edu.cn,教授,软件教研室小组\n`,
    );
    expect(again.job).toMatchObject({ updated: 0, unchanged: 1 });
  });

  it('exports exactly the filtered rows within the caller’s reach, with Chinese headers', async () => {
    const all = parse(await exported('csv'), { bom: true }) as string[][];
    expect(all[0]).toEqual([
      '工号',
      '姓名',
      '性别',
      '出生日期',
      '所属分工会',
      '分工会代码',
      '工会小组',
      '人员类别',
      '入会日期',
      '手机',
      '邮箱',
      '职称',
      '会员编号',
      '状态',
    ]);
    expect(all.slice(1).map((r) => r[0])).toEqual(['A001', 'A002', 'C001', 'H001']);
    expect(all[1]).toEqual([
      'A001',
      '陈静',
      '女',
      '1985-03-08',
      '计算机学院分工会',
      'CS',
      '软件教研室小组',
      '专任教师',
      '2010-09-01',
      '13800138000',
      'chenjing@u.edu.cn',
      '教授',
      expect.stringMatching(/^M\d{6}$/),
      '在会',
    ]);
    const women = parse(await exported('csv', { gender: 'FEMALE' }), { bom: true }) as string[][];
    expect(women.slice(1).map((r) => r[0])).toEqual(['A001', 'C001']);
    const ofMath = parse(await exported('csv', {}, Reach.of([math])), { bom: true }) as string[][];
    expect(ofMath.slice(1).map((r) => r[0])).toEqual(['C001']);
    const nothing = parse(await exported('csv', {}, Reach.NOTHING), { bom: true }) as string[][];
    expect(nothing).toHaveLength(1);
  });

  it('round-trips through XLSX: an exported workbook imports back unchanged', async () => {
    const before = await totals();
    const workbook = await exported('xlsx');
    const { job, problems } = await importFile(workbook, { fileName: 'roster.xlsx' });
    expect(problems).toEqual([]);
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      format: 'XLSX',
      totalRows: 4,
      created: 0,
      updated: 0,
      unchanged: 4,
      invalid: 0,
      ignoredColumns: [],
    });
    expect(await totals()).toEqual(before);
  });

  it('shows jobs to who started them, to officers of the branches they were started within, and to HQ', async () => {
    const mine = await jobs.listJobs({ all: false, subject: 'math-officer', branchIds: [] }, 100);
    expect(mine.map((j) => j.startedBy)).toEqual(['math-officer']);
    const mathOfficer = await jobs.listJobs({ all: false, subject: 'someone-else', branchIds: [math] }, 100);
    expect(mathOfficer.map((j) => j.startedBy)).toEqual(['math-officer']);
    const csOfficer = await jobs.listJobs({ all: false, subject: 'cs-officer', branchIds: [cs] }, 100);
    expect(csOfficer).toEqual([]);
    const hq = await jobs.listJobs({ all: true, subject: 'hq', branchIds: [] }, 100);
    expect(hq.length).toBe(await count(`SELECT count(*) AS n FROM roster_import_job`));
    expect(hq.map((j) => j.id)).toEqual([...hq.map((j) => j.id)].sort().reverse());
    const hqJob = hq.find((j) => j.startedBy === 'officer-1')!;
    expect(
      await jobs.findJob(hqJob.id, { all: false, subject: 'cs-officer', branchIds: [cs] }),
    ).toBeUndefined();
  });

  it('all-or-nothing applies every row, in one transaction, when every row is valid', async () => {
    const before = await totals();
    const rows = Array.from(
      { length: 4500 },
      (_, i) => `K${String(i).padStart(5, '0')},测试,女,1990-01-01,MATH,合同制,2020-01-01,,,`,
    );
    const { job, problems } = await importFile(`${HEADER}\n${rows.join('\n')}\n`, { onInvalid: 'ABORT' });
    expect(problems).toEqual([]);
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      phase: 'DONE',
      processed: 4500,
      created: 4500,
      invalid: 0,
    });
    const after = await totals();
    expect(after.members).toBe(before.members + 4500);
    expect(after.history).toBe(before.history + 4500);
    // the 4,500 new members are announced in MembersImported events of at most 500 members each
    const announcements = (
      await dataSource.query(`SELECT event_type, payload FROM outbox WHERE message_key = $1 ORDER BY seq`, [
        job.id,
      ])
    ).map(
      (e: { event_type: string; payload: Buffer }) =>
        EVENT_REGISTRY.decode(e.event_type, e.payload)!.message as MembersImported,
    );
    expect(after.outbox - before.outbox).toBe(announcements.length);
    expect(announcements.length).toBeGreaterThanOrEqual(9);
    expect(Math.max(...announcements.map((a: MembersImported) => a.members.length))).toBe(
      MEMBERS_PER_ANNOUNCEMENT,
    );
    const named = announcements.flatMap((a: MembersImported) => a.members.map((m) => m.profile!.staffNumber));
    expect(new Set(named).size).toBe(4500);
    expect(named.length).toBe(4500);
  });

  it('plans a batch again when someone admits one of its staff numbers while it writes: no duplicate, nothing lost', async () => {
    // the admission commits just before the batch's members are stored, after the batch read them under lock
    class RacingRepository extends RosterImportRepository {
      raced = false;
      override async insertMembers(...args: Parameters<RosterImportRepository['insertMembers']>) {
        if (!this.raced) {
          this.raced = true;
          await database.commands.admitMember({
            branchId: math,
            staffNumber: 'R002',
            name: '抢先',
            gender: 'MALE',
            category: 'MANAGEMENT',
          });
        }
        return super.insertMembers(...args);
      }
    }
    const racing = new RacingRepository(dataSource);
    const racingImports = new RosterImports(dataSource, racing, database.repository, database.unitOfWork);
    const content = `${HEADER}\nR001,甲,男,1980-01-01,CS,专任教师,2010-09-01,,,\nR002,乙,男,1981-01-01,MATH,管理,2011-09-01,,,\nR003,丙,女,1982-01-01,CS,专任教师,2012-09-01,,,\n`;
    const { job } = await importFile(content, {}, racingImports);

    expect(racing.raced).toBe(true);
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      created: 2,
      updated: 1,
      invalid: 0,
    });
    const stored = await dataSource.query(
      `SELECT staff_number, name FROM member WHERE staff_number LIKE 'R00%' ORDER BY staff_number`,
    );
    expect(stored).toEqual([
      { staff_number: 'R001', name: '甲' },
      { staff_number: 'R002', name: '乙' }, // the file's name, as an update of the member admitted meanwhile
      { staff_number: 'R003', name: '丙' },
    ]);
  });

  // these add members and jobs the tests above do not count: they come last
  it('moves no member across branches for a branch officer: either way a per-row problem naming nobody, audited', async () => {
    const admit = (staffNumber: string, branchId: string) =>
      database.commands.admitMember({
        branchId,
        staffNumber,
        name: `跨院${staffNumber}`,
        gender: 'FEMALE',
        category: 'TEACHER',
        joinedOn: '2012-09-01',
      });
    const [inMath, inCs] = [await admit('XB01', math), await admit('XB02', cs)];
    const audit = jest.spyOn(Logger.prototype, 'warn');
    try {
      const before = await totals();
      const { job, problems } = await importFile(
        `${HEADER}\nXB01,跨院XB01,女,,CS,专任教师,2012-09-01,,,\nXB02,跨院XB02,女,,MATH,专任教师,2012-09-01,,,\nXB03,新人,男,1990-01-01,MATH,管理,2020-09-01,,,\n`,
        { reach: Reach.of([math]), startedBy: { subject: 'math-officer', name: '数学组织委员' } },
      );
      expect(job).toMatchObject({ status: 'SUCCEEDED', created: 1, updated: 0, invalid: 2 });
      expect(problems).toEqual([
        // out of math to CS: CS is not the math officer's to import into
        expect.objectContaining({ row: 2, code: 'FORBIDDEN' }),
        // out of CS into math: the member is not the math officer's to move
        expect.objectContaining({
          row: 3,
          column: '工号',
          code: 'MEMBER_OUT_OF_REACH',
          message: '该工号属于其他分工会的会员，您无权修改',
          messageEn: 'this staff number belongs to a member of a branch you may not change',
        }),
      ]);
      const refusal = JSON.stringify(problems[1]);
      for (const secret of [inCs.name, inCs.memberNumber, inCs.id, cs, '计算机']) {
        expect(refusal).not.toContain(secret);
      }
      expect(await database.repository.findMember(inMath.id)).toMatchObject({ branchId: math });
      expect(await database.repository.findMember(inCs.id)).toMatchObject({ branchId: cs });
      expect(await totals()).toEqual({
        members: before.members + 1,
        history: before.history + 1,
        outbox: before.outbox + 1,
      });
      const audited = audit.mock.calls
        .map(([message]) => String(message))
        .filter((message) => message.includes('ROSTER_IMPORT_ROW_REFUSED') && message.includes(job.id));
      expect(audited).toHaveLength(2);
      expect(audited.join('\n')).toContain('math-officer');
      expect(audited.join('\n')).not.toContain(inCs.name);
    } finally {
      audit.mockRestore();
    }
    // HQ's import moves them: one TRANSFERRED entry and one MemberTransferred each
    const before = await totals();
    const { job } = await importFile(
      `${HEADER}\nXB01,跨院XB01,女,,CS,专任教师,2012-09-01,,,\nXB02,跨院XB02,女,,MATH,专任教师,2012-09-01,,,\n`,
    );
    expect(job).toMatchObject({ status: 'SUCCEEDED', updated: 2, invalid: 0 });
    expect(await database.repository.findMember(inMath.id)).toMatchObject({ branchId: cs });
    expect(await database.repository.findMember(inCs.id)).toMatchObject({ branchId: math });
    expect(await totals()).toEqual({ ...before, history: before.history + 2, outbox: before.outbox + 2 });
  });

  it('refuses only the row with a malformed cell (an unquoted =HYPERLINK("…")) and imports the others', async () => {
    const bad = 'QM02,=HYPERLINK("http://evil.example","点我"),女,1990-01-01,CS,管理,2020-09-01,,,';
    const content = `${HEADER}\nQM01,周一,男,1990-01-01,CS,管理,2020-09-01,,,\n${bad}\nQM03,周三,女,1990-01-01,CS,管理,2020-09-01,,,\n`;
    const before = await totals();
    const { job, problems } = await importFile(content);
    expect(job).toMatchObject({ status: 'SUCCEEDED', totalRows: 3, created: 2, invalid: 1, errorCount: 1 });
    expect(problems).toEqual([
      expect.objectContaining({
        row: 3,
        column: null,
        code: 'MALFORMED_ROW',
        staffNumber: 'QM02',
        message: expect.stringContaining('本行的引号不符合 CSV 格式'),
        messageEn: expect.stringContaining("the row's quotes are not valid CSV"),
      }),
    ]);
    expect(await totals()).toMatchObject({ members: before.members + 2, history: before.history + 2 });
    expect(await database.repository.findMemberByStaffNumber('QM02')).toBeUndefined();
  });

  it('refuses an all-or-nothing import with a malformed cell, listing that row, writing nothing', async () => {
    const bad = 'QM12,"周"十二,女,1990-01-01,CS,管理,2020-09-01,,,';
    const before = await totals();
    const { job, problems } = await importFile(
      `${HEADER}\nQM11,周十一,男,1990-01-01,CS,管理,2020-09-01,,,\n${bad}\n`,
      { onInvalid: 'ABORT' },
    );
    expect(job).toMatchObject({ status: 'ABORTED', created: 0, invalid: 1, errorCount: 1 });
    expect(problems).toEqual([expect.objectContaining({ row: 3, code: 'MALFORMED_ROW' })]);
    expect(await totals()).toEqual(before);
  });

  // last: the member it moves would show in the exports above
  it('ends the committee terms a member held in the branch an import moves them out of, with CommitteeRoleEnded', async () => {
    const structure = new StructureCommands(
      database.unitOfWork,
      database.repository,
      new StructureRepository(dataSource),
    );
    const member = await database.commands.admitMember({
      branchId: math,
      staffNumber: 'T901',
      name: '孙委员',
      gender: 'FEMALE',
      category: 'TEACHER',
      joinedOn: '2015-09-01',
    });
    const appointment = await structure.appointCommitteeMember({
      branchId: math,
      memberId: member.id,
      role: 'COMMITTEE',
      startsOn: '2020-01-01',
    });
    const { job } = await importFile(`${HEADER}\nT901,孙委员,女,,CS,专任教师,2015-09-01,,,\n`);
    expect(job).toMatchObject({ status: 'SUCCEEDED', updated: 1 });
    const [row] = await dataSource.query(
      `SELECT ends_on::text AS "endsOn", end_reason AS "endReason" FROM committee_appointment WHERE id = $1`,
      [appointment.id],
    );
    expect(row).toEqual({ endsOn: dayBefore(todayInShanghai()), endReason: 'MEMBER_TRANSFERRED' });
    const events = await dataSource.query(`SELECT event_type, payload FROM outbox ORDER BY seq DESC LIMIT 2`);
    const contracts = events
      .reverse()
      .map(
        (e: { event_type: string; payload: Buffer }) =>
          EVENT_REGISTRY.decode(e.event_type, e.payload)!.contract,
      );
    expect(contracts).toEqual([MembershipEvents.MemberTransferred, MembershipEvents.CommitteeRoleEnded]);
  });
});
