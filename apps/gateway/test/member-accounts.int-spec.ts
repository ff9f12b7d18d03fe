import { randomBytes } from 'node:crypto';
import { graphql } from 'graphql';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import {
  ALL_EVENTS,
  BranchKind,
  Gender,
  MemberCategory,
  MemberStatus,
  MembershipEvents,
  encodeEvent,
  type EncodedEvent,
} from '@unionfed/contracts';
import type { Grant, Principal } from '@unionfed/auth';
import {
  createKafka,
  ensureTopics,
  eventBatchOf,
  RELIABLE_PRODUCER,
  toKafkaHeaders,
} from '@unionfed/messaging';
import { uuidv7 } from '@unionfed/persistence';
import { createErrorFormatter } from '@unionfed/graphql-kit';
import { eventually, testInfrastructure } from '@unionfed/testing';
import type { Caller } from '../src/application/caller';
import { gatewayIdentity, type GatewayIdentity } from './gateway-identity';

/**
 * Members' own accounts in the gateway, against its copy of the membership directory fed through real Kafka
 * (membership's events as membership publishes them, consumed by the gateway's consumers as ConsumersModule runs
 * them) and its real PostgreSQL; the identity subgraph's fields executed as the gateway executes them.
 */
describe('member accounts (real PostgreSQL + Kafka)', () => {
  let gateway: GatewayIdentity;
  let kafka: Kafka;
  let producer: Producer;
  let consumer: Consumer;
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const campusId = uuidv7();
  const [branchA, branchB, branchC] = [uuidv7(), uuidv7(), uuidv7()];
  const ADDRESS = '10.7.0.1';
  const formatError = createErrorFormatter((error) => console.error(error));

  const user = (grants: Grant[], subject = uuidv7()): Caller => ({
    principal: { kind: 'user', subject, name: `officer-${subject.slice(-4)}`, grants, scopes: [] },
    address: ADDRESS,
  });
  const officerOf = (branchId: string, role: Grant['role'] = 'MEMBERSHIP_OFFICER') =>
    user([{ role, branchId }]);
  const hq = user([{ role: 'ADMIN', branchId: null }]);

  /** Publishes membership events as membership's relay does (CloudEvents headers, the aggregate's key). */
  async function publish(...events: EncodedEvent[]): Promise<void> {
    for (const event of events)
      await producer.send({
        topic: event.topic,
        acks: -1,
        messages: [
          {
            key: event.key,
            value: Buffer.from(event.payload),
            headers: toKafkaHeaders({
              id: uuidv7(),
              type: event.type,
              source: '/unionfed/membership',
              time: new Date().toISOString(),
              branchId: event.branchId,
            }),
          },
        ],
      });
  }

  const branchOpened = (branchId: string, code: string) =>
    encodeEvent(MembershipEvents.BranchOpened, {
      branchId,
      campusId,
      code: `${code}${tag}`,
      name: `${code}分工会`,
      kind: BranchKind.COLLEGE,
      staffHeadcount: 50,
    });
  const joined = (branchId: string, staffNumber: string, name: string, memberId = uuidv7()) =>
    encodeEvent(MembershipEvents.MemberJoined, {
      memberId,
      branchId,
      profile: {
        staffNumber,
        name,
        gender: Gender.FEMALE,
        category: MemberCategory.TEACHER,
        memberNumber: `M${staffNumber}`,
      },
      joinedOn: { iso: '2020-09-01' },
      version: uuidv7(),
    });
  const idOf = (event: EncodedEvent) => event.key;

  /** Admits members (through the directory's events) and waits until the gateway's directory has them. */
  async function admit(...events: EncodedEvent[]): Promise<string[]> {
    await publish(...events);
    const ids = events.map(idOf);
    await eventually(async () => {
      for (const id of ids) expect(await gateway.directory.reader.member(id)).toBeDefined();
    });
    return ids;
  }

  /** The identity subgraph's field, as the gateway runs it for the caller (its @access and reach included). */
  async function ask<T = Record<string, unknown>>(
    caller: Caller,
    source: string,
    variableValues: Record<string, unknown> = {},
  ): Promise<{ data?: T; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
    const result = await graphql({
      schema: gateway.schema,
      source,
      variableValues,
      contextValue: { principal: caller.principal, address: caller.address },
    });
    // errors as the gateway formats them (extensions.code and reason; anything unexpected: INTERNAL_SERVER_ERROR)
    const errors = result.errors?.map((error) => formatError(error.toJSON(), error));
    return JSON.parse(JSON.stringify({ data: result.data ?? undefined, ...(errors ? { errors } : {}) }));
  }
  const CREATE = `mutation($m: ID!, $u: String) {
    createMemberAccount(memberId: $m, username: $u) { accountId staffNumber name username oneTimePassword member { id } }
  }`;
  const BULK = `mutation($b: ID!) {
    createMemberAccounts(branchId: $b) {
      branchId
      created { accountId staffNumber name username oneTimePassword }
      skipped { staffNumber name reason member { id } }
    }
  }`;
  const RESET = `mutation($m: ID!) { resetMemberAccountPassword(memberId: $m) { username oneTimePassword } }`;
  const codeOf = (result: { errors?: { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.map((e) => [e.extensions?.code, e.extensions?.reason]);

  const accountOf = async (memberId: string) =>
    (
      await gateway.dataSource.query(
        `SELECT id, username, status, must_change_password, password_hash FROM account WHERE member_id = $1`,
        [memberId],
      )
    )[0];
  /** what a subgraph makes of the session's access token */
  const claims = (token: string) => gateway.keys.tokenVerifier().verify(token);
  /** Signs in with the one-time password, changes it, and signs in again: the member's real session. */
  async function firstSignIn(username: string, oneTimePassword: string) {
    const anonymous: Caller = {
      principal: { kind: 'anonymous', subject: '', name: '', grants: [], scopes: [] },
      address: ADDRESS,
    };
    const first = await gateway.sessions.login(username, oneTimePassword, anonymous);
    const principal: Principal = {
      kind: 'user',
      subject: first.account.id,
      name: username,
      grants: [],
      scopes: [],
    };
    const password = `Gonghui-${randomBytes(4).toString('hex')}-9527`;
    await gateway.sessions.changePassword({ principal, address: ADDRESS }, oneTimePassword, password);
    return { first, password, session: await gateway.sessions.login(username, password, anonymous) };
  }

  beforeAll(async () => {
    gateway = await gatewayIdentity('member-accounts');
    kafka = createKafka('member-accounts-test', testInfrastructure().kafkaBrokers);
    await ensureTopics(kafka, [...new Map(ALL_EVENTS.map((e) => [e.topic.name, e.topic])).values()]);
    producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
    // a group of its own, starting at the topics' ends: the events of this test, not every test's before it
    const groupId = `it-gateway-${tag}`;
    const admin = kafka.admin();
    await admin.connect();
    for (const topic of gateway.consumers.topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
      });
    }
    await admin.disconnect();
    consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await consumer.connect();
    await consumer.subscribe({ topics: gateway.consumers.topics });
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: (payload) => gateway.consumers.dispatchBatch(eventBatchOf(payload)),
    });
    await publish(branchOpened(branchA, 'A'), branchOpened(branchB, 'B'), branchOpened(branchC, 'C'));
    await eventually(async () =>
      expect((await gateway.directory.directory()).branches).toBeGreaterThanOrEqual(3),
    );
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await gateway?.close();
  });

  it('makes an officer’s member an account whose one-time password only changes itself, then signs in as that member', async () => {
    const [member] = await admit(joined(branchA, `A1${tag}`, '陈思'));
    const created = await ask<{ createMemberAccount: Record<string, unknown> }>(officerOf(branchA), CREATE, {
      m: member,
    });
    expect(created.errors).toBeUndefined();
    const row = created.data!.createMemberAccount;
    expect(row).toMatchObject({
      staffNumber: `A1${tag}`,
      name: '陈思',
      username: `a1${tag.toLowerCase()}`,
      member: { id: member },
    });
    const { first, session } = await firstSignIn(row.username as string, row.oneTimePassword as string);
    // until it is changed the one-time password gives no reach at all
    expect(first.account.mustChangePassword).toBe(true);
    expect(await claims(first.accessToken)).toMatchObject({ grants: [] });
    expect(await claims(session.accessToken)).toMatchObject({
      grants: [{ role: 'MEMBER', branchId: null }],
      memberId: member,
    });
    // the one-time password is gone
    await expect(
      gateway.sessions.login(row.username as string, row.oneTimePassword as string, {
        ...hq,
        address: '10.7.0.2',
      }),
    ).rejects.toMatchObject({ reason: 'BAD_CREDENTIALS' });
  });

  it('answers a member of another branch as it answers a member nobody knows — NOT_FOUND, nothing made — and audits the attempt', async () => {
    const [member] = await admit(joined(branchA, `A2${tag}`, '林梅'));
    const officer = officerOf(branchB, 'ADMIN');
    const other = await ask(officer, CREATE, { m: member });
    const unknown = await ask(officer, CREATE, { m: uuidv7() });
    const sameDirectory = await ask(officer, RESET, { m: member });
    expect(codeOf(other)).toEqual([['NOT_FOUND', 'MEMBER_NOT_FOUND']]);
    expect(other).toEqual(unknown);
    expect(codeOf(sameDirectory)).toEqual([['NOT_FOUND', 'MEMBER_NOT_FOUND']]);
    expect(JSON.stringify(other)).not.toContain('林梅');
    expect(await accountOf(member)).toBeUndefined();
    const refused = await gateway.dataSource.query(
      `SELECT action, details->>'reason' AS reason FROM audit_log WHERE outcome = 'REFUSED' AND entity_id = $1 ORDER BY id`,
      [member],
    );
    expect(refused).toEqual([
      { action: 'MEMBER_ACCOUNT_CREATED', reason: 'MEMBER_OUT_OF_REACH' },
      { action: 'PASSWORD_RESET', reason: 'MEMBER_OUT_OF_REACH' },
    ]);
    // the officer of the member's own branch, and HQ, do reach them
    expect((await ask(hq, CREATE, { m: member })).errors).toBeUndefined();
  });

  it('keeps one account per member, for active members only, and refuses a taken username', async () => {
    const [active, retiring, taken] = await admit(
      joined(branchA, `A3${tag}`, '周全'),
      joined(branchA, `A4${tag}`, '吴老'),
      joined(branchA, `A5${tag}`, '郑重'),
    );
    await publish(
      encodeEvent(MembershipEvents.MemberRetired, {
        memberId: retiring,
        branchId: branchA,
        effectiveOn: { iso: '2026-07-01' },
        version: uuidv7(),
      }),
    );
    await eventually(async () =>
      expect(await gateway.directory.reader.member(retiring)).toMatchObject({ status: 'RETIRED' }),
    );
    const officer = officerOf(branchA);
    expect((await ask(officer, CREATE, { m: active })).errors).toBeUndefined();
    expect(codeOf(await ask(officer, CREATE, { m: active }))).toEqual([
      ['CONFLICT', 'MEMBER_ALREADY_HAS_ACCOUNT'],
    ]);
    expect(codeOf(await ask(officer, CREATE, { m: retiring }))).toEqual([['CONFLICT', 'MEMBER_NOT_ACTIVE']]);
    expect(codeOf(await ask(officer, CREATE, { m: taken, u: `a3${tag}` }))).toEqual([
      ['CONFLICT', 'USERNAME_TAKEN'],
    ]);
    expect(codeOf(await ask(officer, CREATE, { m: taken, u: 'no' }))).toEqual([
      ['BAD_USER_INPUT', 'INVALID_USERNAME'],
    ]);
    const named = await ask<{ createMemberAccount: { username: string } }>(officer, CREATE, {
      m: taken,
      u: `zheng.zhong.${tag}`,
    });
    expect(named.data?.createMemberAccount.username).toBe(`zheng.zhong.${tag.toLowerCase()}`);
  });

  it('makes the accounts of every active member of a branch who has none, once, and a second run only the missing ones', async () => {
    const people = [
      joined(branchC, `C1${tag}`, '甲一'),
      joined(branchC, `C2${tag}`, '乙二'),
      joined(branchC, `C3${tag}`, '丙三'),
      joined(branchC, '12', '丁四'),
      joined(branchC, `C5${tag}`, '戊五'),
    ];
    const ids = await admit(...people);
    // a staff account has the username C5's staff number would get
    await gateway.accounts.createAccount(hq, {
      username: `c5${tag}`,
      displayName: '某干事',
      grants: [{ role: 'VIEWER', branchId: branchC }],
    });
    const officer = officerOf(branchC);
    const first = await ask<{
      createMemberAccounts: {
        created: { accountId: string; staffNumber: string; username: string; oneTimePassword: string }[];
        skipped: { staffNumber: string; reason: string; member: { id: string } }[];
      };
    }>(officer, BULK, { b: branchC });
    expect(first.errors).toBeUndefined();
    const sheet = first.data!.createMemberAccounts;
    expect(sheet.created.map((r) => [r.staffNumber, r.username])).toEqual(
      [1, 2, 3].map((n) => [`C${n}${tag}`, `c${n}${tag.toLowerCase()}`]),
    );
    expect(new Set(sheet.created.map((r) => r.oneTimePassword)).size).toBe(3);
    expect(sheet.skipped.map((s) => [s.staffNumber, s.reason])).toEqual([
      ['12', 'NO_USABLE_USERNAME'],
      [`C5${tag}`, 'USERNAME_TAKEN'],
    ]);
    expect(sheet.skipped[0].member.id).toBe(ids[3]);
    // stored only as hashes: the sheet cannot be had again, neither from the accounts nor from the audit trail
    const stored = JSON.stringify(
      await gateway.dataSource.query(`SELECT * FROM account WHERE member_id = ANY($1::uuid[])`, [ids]),
    );
    const audited = JSON.stringify(await gateway.dataSource.query(`SELECT * FROM audit_log`));
    for (const { oneTimePassword } of sheet.created) {
      expect(stored).not.toContain(oneTimePassword);
      expect(audited).not.toContain(oneTimePassword);
    }
    const rows = await gateway.dataSource.query(
      `SELECT entity_id AS "entityId", branch_id AS "branchId", actor_id AS "actorId", role, role_branch_id AS "roleBranchId",
              details->>'username' AS username, details->>'oneTimePassword' AS "oneTimePassword"
         FROM audit_log WHERE action = 'MEMBER_ACCOUNT_CREATED' AND branch_id = $1 ORDER BY details->>'username'`,
      [branchC],
    );
    expect(rows).toEqual(
      sheet.created.map((r) => ({
        entityId: r.accountId,
        branchId: branchC,
        actorId: officer.principal.subject,
        role: 'MEMBERSHIP_OFFICER',
        roleBranchId: branchC,
        username: r.username,
        oneTimePassword: '[REDACTED]',
      })),
    );
    // each signs in with their line of the sheet
    const { session } = await firstSignIn(sheet.created[1].username, sheet.created[1].oneTimePassword);
    expect((await claims(session.accessToken)).memberId).toBe(ids[1]);

    const again = await ask<{ createMemberAccounts: { created: unknown[] } }>(officer, BULK, { b: branchC });
    expect(again.data?.createMemberAccounts.created).toEqual([]);
    const [newcomer] = await admit(joined(branchC, `C6${tag}`, '己六'));
    const third = await ask<{ createMemberAccounts: { created: { staffNumber: string }[] } }>(officer, BULK, {
      b: branchC,
    });
    expect(third.data?.createMemberAccounts.created.map((r) => r.staffNumber)).toEqual([`C6${tag}`]);
    expect((await accountOf(newcomer)).must_change_password).toBe(true);
  });

  it('refuses a bulk run for another branch, and for a branch nobody knows', async () => {
    expect(codeOf(await ask(officerOf(branchA), BULK, { b: branchC }))).toEqual([
      ['FORBIDDEN', 'OUT_OF_SCOPE'],
    ]);
    expect(codeOf(await ask(hq, BULK, { b: uuidv7() }))).toEqual([['NOT_FOUND', 'BRANCH_NOT_FOUND']]);
    expect(codeOf(await ask(user([{ role: 'VIEWER', branchId: branchC }]), BULK, { b: branchC }))).toEqual([
      ['FORBIDDEN', 'ROLE_MISSING'],
    ]);
  });

  it('gives a member’s own account a new one-time password, ending its sessions — but not a staff account linked to a member', async () => {
    const [member, staff] = await admit(
      joined(branchA, `A6${tag}`, '冯七'),
      joined(branchA, `A7${tag}`, '陈主席'),
    );
    const officer = officerOf(branchA);
    const created = (
      await ask<{ createMemberAccount: { username: string; oneTimePassword: string } }>(officer, CREATE, {
        m: member,
      })
    ).data!.createMemberAccount;
    const { session } = await firstSignIn(created.username, created.oneTimePassword);
    const reset = await ask<{ resetMemberAccountPassword: { username: string; oneTimePassword: string } }>(
      officer,
      RESET,
      { m: member },
    );
    expect(reset.errors).toBeUndefined();
    await expect(gateway.sessions.refresh(session.refreshToken, hq)).rejects.toMatchObject({
      reason: 'REFRESH_TOKEN_REVOKED',
    });
    const again = await gateway.sessions.login(
      created.username,
      reset.data!.resetMemberAccountPassword.oneTimePassword,
      hq,
    );
    expect(again.account.mustChangePassword).toBe(true);
    // the branch chair's staff account, linked to their member record, is HQ's to reset
    await gateway.accounts.createAccount(hq, {
      username: `chair${tag}`,
      displayName: '陈主席',
      grants: [{ role: 'ADMIN', branchId: null }],
      memberId: staff,
    });
    expect(codeOf(await ask(officer, RESET, { m: staff }))).toEqual([
      ['NOT_FOUND', 'MEMBER_ACCOUNT_NOT_FOUND'],
    ]);
  });

  it('links no account to a member beyond a branch admin’s branch (the session would reach that record)', async () => {
    const [member] = await admit(joined(branchA, `A8${tag}`, '褚八'));
    const branchAdmin = officerOf(branchB, 'ADMIN');
    const attempt = () =>
      gateway.accounts.createAccount(branchAdmin, {
        username: `spy${tag}`,
        displayName: '越权',
        grants: [{ role: 'VIEWER', branchId: branchB }],
        memberId: member,
      });
    await expect(attempt()).rejects.toMatchObject({ kind: 'NOT_FOUND', reason: 'MEMBER_NOT_FOUND' });
    expect(await accountOf(member)).toBeUndefined();
    await expect(
      gateway.accounts.createAccount(officerOf(branchA, 'ADMIN'), {
        username: `own${tag}`,
        displayName: '本会',
        grants: [{ role: 'VIEWER', branchId: branchA }],
        memberId: member,
      }),
    ).resolves.toBeDefined();
  });

  it('disables a member’s own account when they withdraw or die, and ends the MEMBER reach of a staff account linked to them', async () => {
    const [leaver, deceased] = await admit(
      joined(branchA, `A9${tag}`, '卫九'),
      joined(branchA, `AA${tag}`, '蒋十'),
    );
    const officer = officerOf(branchA);
    const own = (
      await ask<{ createMemberAccount: { username: string; oneTimePassword: string } }>(officer, CREATE, {
        m: leaver,
      })
    ).data!.createMemberAccount;
    const { session, password } = await firstSignIn(own.username, own.oneTimePassword);
    const staffAccount = await gateway.accounts.createAccount(hq, {
      username: `staff${tag}`,
      displayName: '蒋十',
      grants: [{ role: 'VIEWER', branchId: branchA }],
      memberId: deceased,
    });
    const staffSession = await firstSignIn(`staff${tag}`, staffAccount.oneTimePassword);
    expect((await claims(staffSession.session.accessToken)).memberId).toBe(deceased);

    await publish(
      encodeEvent(MembershipEvents.MemberWithdrew, {
        memberId: leaver,
        branchId: branchA,
        effectiveOn: { iso: '2026-11-30' },
        reason: '调离学校',
        version: uuidv7(),
      }),
      encodeEvent(MembershipEvents.MemberDeceased, {
        memberId: deceased,
        branchId: branchA,
        effectiveOn: { iso: '2026-11-30' },
        version: uuidv7(),
      }),
    );
    await eventually(async () => expect((await accountOf(leaver)).status).toBe('DISABLED'));
    await expect(gateway.sessions.refresh(session.refreshToken, hq)).rejects.toMatchObject({
      reason: expect.stringMatching(/REFRESH_TOKEN_REVOKED|ACCOUNT_DISABLED/),
    });
    await expect(gateway.sessions.login(own.username, password, hq)).rejects.toMatchObject({
      reason: 'ACCOUNT_DISABLED',
    });
    const [audit] = await gateway.dataSource.query(
      `SELECT actor_name, branch_id, details FROM audit_log WHERE action = 'ACCOUNT_DISABLED' AND entity_id = $1`,
      [(await accountOf(leaver)).id],
    );
    expect(audit).toMatchObject({
      actor_name: 'system',
      branch_id: branchA,
      details: { reason: 'MEMBER_WITHDREW' },
    });
    // the staff account keeps its roles; its sessions no longer reach the member's record
    await eventually(async () =>
      expect(await gateway.directory.reader.member(deceased)).toMatchObject({ status: 'DECEASED' }),
    );
    expect((await accountOf(deceased)).status).toBe('ACTIVE');
    const refreshed = await gateway.sessions.refresh(staffSession.session.refreshToken, hq);
    expect(await claims(refreshed.accessToken)).toEqual(
      expect.objectContaining({ grants: [{ role: 'VIEWER', branchId: branchA }] }),
    );
    expect((await claims(refreshed.accessToken)).memberId).toBeUndefined();
    // nobody gives the one who left a new password or a new account
    expect(codeOf(await ask(officer, RESET, { m: leaver }))).toEqual([['CONFLICT', 'MEMBER_HAS_LEFT']]);
  });

  it('gives a reinstated member back the account their withdrawal disabled, never one an admin disabled', async () => {
    const [returning, barred] = await admit(
      joined(branchA, `AD${tag}`, '杨十三'),
      joined(branchA, `AE${tag}`, '朱十四'),
    );
    const officer = officerOf(branchA);
    const created = async (m: string) =>
      (
        await ask<{ createMemberAccount: { username: string; oneTimePassword: string } }>(officer, CREATE, {
          m,
        })
      ).data!.createMemberAccount;
    const own = await created(returning);
    const { password } = await firstSignIn(own.username, own.oneTimePassword);
    await created(barred);
    await gateway.accounts.setAccountStatus(hq, (await accountOf(barred)).id, 'DISABLED');

    const withdrew = (memberId: string) =>
      encodeEvent(MembershipEvents.MemberWithdrew, {
        memberId,
        branchId: branchA,
        effectiveOn: { iso: '2026-11-30' },
        version: uuidv7(),
      });
    await publish(withdrew(returning), withdrew(barred));
    await eventually(async () => expect((await accountOf(returning)).status).toBe('DISABLED'));
    const reinstated = (memberId: string) =>
      encodeEvent(MembershipEvents.MemberReinstated, {
        memberId,
        branchId: branchA,
        status: MemberStatus.ACTIVE,
        effectiveOn: { iso: '2026-12-02' },
        reason: '重新入会',
        version: uuidv7(),
      });
    await publish(reinstated(returning), reinstated(barred));

    await eventually(async () => expect((await accountOf(returning)).status).toBe('ACTIVE'));
    await expect(gateway.sessions.login(own.username, password, hq)).resolves.toBeDefined();
    expect((await accountOf(barred)).status).toBe('DISABLED');
    const enabled = await gateway.dataSource.query(
      `SELECT entity_id, actor_name, details FROM audit_log WHERE action = 'ACCOUNT_ENABLED' AND details->>'memberId' = ANY($1)`,
      [[returning, barred]],
    );
    expect(enabled).toEqual([
      {
        entity_id: (await accountOf(returning)).id,
        actor_name: 'system',
        details: expect.objectContaining({ reason: 'MEMBER_REINSTATED', memberId: returning }),
      },
    ]);
  });

  it('disables an account made while its member’s leaving is handled: the leaving waits for it', async () => {
    const [member] = await admit(joined(branchA, `AB${tag}`, '沈十一'));
    const runner = gateway.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    try {
      // a creation under way: the member's directory row read (SHARE) as ACTIVE, the account not committed yet
      await runner.query(`SELECT status FROM member_directory WHERE member_id = $1 FOR SHARE`, [member]);
      await runner.query(
        `INSERT INTO account (id, username, display_name, password_hash, must_change_password, member_id)
         VALUES ($1, $2, '沈十一', 'x', true, $3)`,
        [uuidv7(), `ab${tag}`, member],
      );
      await publish(
        encodeEvent(MembershipEvents.MemberWithdrew, {
          memberId: member,
          branchId: branchA,
          effectiveOn: { iso: '2026-11-30' },
          version: uuidv7(),
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    await eventually(async () => expect((await accountOf(member)).status).toBe('DISABLED'));
  });

  it('keeps why an account is disabled in the database: no disabled account without a reason, no active one with one', async () => {
    const [member] = await admit(joined(branchA, `AF${tag}`, '秦十五'));
    expect((await ask(officerOf(branchA), CREATE, { m: member })).errors).toBeUndefined();
    const { id } = await accountOf(member);
    await expect(
      gateway.dataSource.query(`UPDATE account SET status = 'DISABLED' WHERE id = $1`, [id]),
    ).rejects.toThrow(/account_disabled_reason/);
    await expect(
      gateway.dataSource.query(`UPDATE account SET disabled_reason = 'ADMIN' WHERE id = $1`, [id]),
    ).rejects.toThrow(/account_disabled_reason/);
    expect((await accountOf(member)).status).toBe('ACTIVE');
  });

  it('moves a member’s account with them: the new branch’s officers administer it, the old one’s no longer', async () => {
    const [member] = await admit(joined(branchA, `AC${tag}`, '韩十二'));
    const created = await ask(officerOf(branchA), CREATE, { m: member });
    expect(created.errors).toBeUndefined();
    await publish(
      encodeEvent(MembershipEvents.MemberTransferred, {
        memberId: member,
        fromBranchId: branchA,
        toBranchId: branchB,
        effectiveOn: { iso: '2026-12-01' },
        transferId: uuidv7(),
        version: uuidv7(),
      }),
    );
    await eventually(async () =>
      expect(await gateway.directory.reader.member(member)).toMatchObject({ branchId: branchB }),
    );
    expect(codeOf(await ask(officerOf(branchA), RESET, { m: member }))).toEqual([
      ['NOT_FOUND', 'MEMBER_NOT_FOUND'],
    ]);
    expect((await ask(officerOf(branchB), RESET, { m: member })).errors).toBeUndefined();
    expect((await accountOf(member)).status).toBe('ACTIVE');
  });

  it('reports the gateway’s directory and its consumers’ dead letters to HQ', async () => {
    const sync = await ask<{ gatewayDirectory: { service: string; eventsApplied: number } }>(
      hq,
      '{ gatewayDirectory { service eventsApplied } gatewayDeadLetters { id } }',
    );
    expect(sync.errors).toBeUndefined();
    expect(sync.data?.gatewayDirectory.service).toBe('gateway');
    expect(sync.data?.gatewayDirectory.eventsApplied).toBeGreaterThan(10);
    expect(codeOf(await ask(officerOf(branchA, 'ADMIN'), '{ gatewayDirectory { service } }'))).toEqual([
      ['FORBIDDEN', 'ROLE_MISSING'],
    ]);
  });
});
