import type { DataSource } from 'typeorm';
import { membershipDatabase, type MembershipDatabase } from './membership-database';
import { ConflictError, InvalidInputError, NotFoundError, todayInShanghai } from '@unionfed/domain-kit';
import { EVENT_REGISTRY, MembershipEvents, type MemberJoined } from '@unionfed/contracts';

describe('membership write path (real PostgreSQL)', () => {
  let database: MembershipDatabase;
  let dataSource: DataSource;
  let commands: MembershipDatabase['commands'];
  let branchId: string;
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await dataSource.query(sql, params))[0].n);
  const events = () => count(`SELECT count(*) AS n FROM outbox`);

  beforeAll(async () => {
    database = await membershipDatabase('membership');
    ({ dataSource, commands } = database);
    const campus = await commands.openCampus({ code: 'main', name: '本部校区' });
    branchId = (
      await commands.openBranch({
        campusId: campus.id,
        code: 'cs',
        name: '计算机学院分工会',
        kind: 'COLLEGE',
        staffHeadcount: 80,
      })
    ).id;
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('stores the member, its JOINED history entry and one MemberJoined event in one transaction', async () => {
    const before = await events();
    const member = await commands.admitMember({
      branchId,
      staffNumber: 't1001',
      name: '陈静',
      gender: 'FEMALE',
      category: 'TEACHER',
      joinedOn: '2020-09-01',
    });
    expect(await count(`SELECT count(*) AS n FROM member WHERE id = $1`, [member.id])).toBe(1);
    expect(
      await dataSource.query(
        `SELECT change, effective_on::text AS "effectiveOn" FROM member_history WHERE member_id = $1`,
        [member.id],
      ),
    ).toEqual([{ change: 'JOINED', effectiveOn: '2020-09-01' }]);
    expect(await events()).toBe(before + 1);
    const [row] = await dataSource.query(
      `SELECT event_type, message_key, payload FROM outbox ORDER BY seq DESC LIMIT 1`,
    );
    expect(row.event_type).toBe(MembershipEvents.MemberJoined.type);
    expect(row.message_key).toBe(member.id);
    const event = EVENT_REGISTRY.decode(row.event_type, row.payload)!.message as MemberJoined;
    expect(event).toMatchObject({
      memberId: member.id,
      branchId,
      profile: { staffNumber: 'T1001', name: '陈静' },
      joinedOn: { iso: '2020-09-01' },
    });
  });

  it('lets exactly one of several simultaneous admissions of the same staff number win', async () => {
    const before = await events();
    const attempts = await Promise.allSettled(
      ['周一', '周二', '周三'].map((name) =>
        commands.admitMember({ branchId, staffNumber: 'T2002', name, gender: 'MALE', category: 'SUPPORT' }),
      ),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const failed of attempts.filter((a) => a.status === 'rejected')) {
      expect((failed as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    }
    expect(await count(`SELECT count(*) AS n FROM member WHERE staff_number = 'T2002'`)).toBe(1);
    expect(await events()).toBe(before + 1);
  });

  it('writes nothing at all for an admission that is refused', async () => {
    const before = {
      events: await events(),
      members: await count(`SELECT count(*) AS n FROM member`),
      history: await count(`SELECT count(*) AS n FROM member_history`),
    };
    await expect(
      commands.admitMember({
        branchId,
        staffNumber: 'T3003',
        name: '刘洋',
        gender: 'MALE',
        category: 'TEACHER',
        birthDate: '2019-01-01',
      }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      commands.admitMember({
        branchId: '01900000-0000-7000-8000-000000000000',
        staffNumber: 'T3003',
        name: '刘洋',
        gender: 'MALE',
        category: 'TEACHER',
      }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect({
      events: await events(),
      members: await count(`SELECT count(*) AS n FROM member`),
      history: await count(`SELECT count(*) AS n FROM member_history`),
    }).toEqual(before);
  });

  it('refuses a second branch with the same code', async () => {
    const [campus] = await dataSource.query(`SELECT id FROM campus LIMIT 1`);
    await expect(
      commands.openBranch({
        campusId: campus.id,
        code: 'CS',
        name: '重复',
        kind: 'COLLEGE',
        staffHeadcount: 1,
      }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('keeps the whole record through an HQ transfer, retirement and death: one history entry and one event each', async () => {
    const [campus] = await dataSource.query(`SELECT id FROM campus LIMIT 1`);
    const math = await commands.openBranch({
      campusId: campus.id,
      code: 'math',
      name: '数学学院分工会',
      kind: 'COLLEGE',
      staffHeadcount: 40,
    });
    const member = await commands.admitMember({
      branchId,
      staffNumber: 'T5005',
      name: '吴敏',
      gender: 'FEMALE',
      category: 'TEACHER',
      joinedOn: '2001-09-01',
    });
    const before = await events();
    // HQ reaches both branches: its request is accepted at once (two entries, two events)
    await database.transferAsHq(member.id, math.id, '2015-03-01');
    await commands.changeStatus(member.id, 'RETIRED', { effectiveOn: '2024-07-01' });
    await commands.changeStatus(member.id, 'DECEASED', { effectiveOn: '2026-01-15' });
    const history = await dataSource.query(
      `SELECT change, branch_id AS "branchId", effective_on::text AS "effectiveOn" FROM member_history WHERE member_id = $1 ORDER BY effective_on`,
      [member.id],
    );
    expect(history).toEqual([
      { change: 'JOINED', branchId, effectiveOn: '2001-09-01' },
      { change: 'TRANSFERRED', branchId: math.id, effectiveOn: '2015-03-01' },
      { change: 'RETIRED', branchId: math.id, effectiveOn: '2024-07-01' },
      { change: 'DECEASED', branchId: math.id, effectiveOn: '2026-01-15' },
      { change: 'TRANSFER_REQUESTED', branchId, effectiveOn: todayInShanghai() },
    ]);
    const types = await dataSource.query(
      `SELECT event_type FROM outbox WHERE message_key = $1 ORDER BY seq`,
      [member.id],
    );
    expect(types.map((r: { event_type: string }) => r.event_type)).toEqual([
      MembershipEvents.MemberJoined.type,
      MembershipEvents.MemberTransferRequested.type,
      MembershipEvents.MemberTransferred.type,
      MembershipEvents.MemberRetired.type,
      MembershipEvents.MemberDeceased.type,
    ]);
    expect(await events()).toBe(before + 4);
    // the record stays, with its final status
    expect(
      await dataSource.query(`SELECT status, branch_id AS "branchId" FROM member WHERE id = $1`, [member.id]),
    ).toEqual([{ status: 'DECEASED', branchId: math.id }]);
    // and an ended record changes no more, writing nothing
    await expect(commands.changeStatus(member.id, 'WITHDRAWN', {})).rejects.toBeInstanceOf(ConflictError);
    expect(await events()).toBe(before + 4);
  });
});
