import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka, Producer } from 'kafkajs';
import {
  ALL_EVENTS,
  DisbursementRejectionReason,
  EVENT_REGISTRY,
  FinanceEvents,
  encodeEvent,
  type DisbursementPaid,
  type DisbursementRejected,
  type DisbursementRequested,
} from '@unionfed/contracts';
import {
  createKafka,
  ensureTopics,
  eventBatchOf,
  Outbox,
  RELIABLE_PRODUCER,
  ServiceConsumers,
  toKafkaHeaders,
} from '@unionfed/messaging';
import { uuidv7 } from '@unionfed/persistence';
import { SYSTEM } from '@unionfed/audit';
import { eventually, testInfrastructure } from '@unionfed/testing';
import { DisbursementsConsumer } from '../src/application/disbursements.consumer';
import { financeDatabase, type FinanceDatabase } from './finance-database';

type Outcome = { type: string; paid?: DisbursementPaid; rejected?: DisbursementRejected };

/**
 * The disbursement saga's finance step against real Kafka and PostgreSQL: DisbursementRequested published as a
 * requester's relay publishes it, consumed by finance's consumer as ConsumersModule runs it (inbox, outbox), the
 * answers read from finance's outbox (what its relay would publish).
 */
describe('disbursements requested by other services (real PostgreSQL + Kafka)', () => {
  let db: FinanceDatabase;
  let kafka: Kafka;
  let producer: Producer;
  let consumer: Consumer;
  let consumers: ServiceConsumers;
  const tag = randomBytes(3).toString('hex');
  const branch = uuidv7();
  const otherBranch = uuidv7();
  const yearless = uuidv7();
  const member = uuidv7();
  const otherMember = uuidv7();
  const year = Number(
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).slice(0, 4),
  );

  const request = (
    fields: Partial<
      Parameters<typeof encodeEvent<typeof FinanceEvents.DisbursementRequested.schema>>[1]
    > = {},
  ) =>
    encodeEvent(FinanceEvents.DisbursementRequested, {
      requestId: uuidv7(),
      requestingService: 'welfare',
      branchId: '',
      source: { case: 'fundCode', value: 'HARDSHIP' },
      amountFen: 20_000n,
      beneficiary: { case: 'memberId', value: member },
      purpose: '困难职工救助',
      expenseAccountCode: '5102',
      ...fields,
    });

  /** Publishes as the requester's relay does; `eventId` fixed for a redelivery of the same message. */
  async function publish(event: ReturnType<typeof request>, eventId = uuidv7()): Promise<void> {
    await producer.send({
      topic: event.topic,
      acks: -1,
      messages: [
        {
          key: event.key,
          value: Buffer.from(event.payload),
          headers: toKafkaHeaders({
            id: eventId,
            type: event.type,
            source: '/unionfed/welfare',
            time: new Date().toISOString(),
            branchId: event.branchId,
          }),
        },
      ],
    });
  }

  async function outcomes(requestId: string): Promise<Outcome[]> {
    const rows: { event_type: string; payload: Buffer }[] = await db.dataSource.query(
      `SELECT event_type, payload FROM outbox WHERE message_key = $1 ORDER BY id`,
      [requestId],
    );
    return rows.map((r) => {
      const decoded = EVENT_REGISTRY.decode(r.event_type, r.payload)!;
      return r.event_type === FinanceEvents.DisbursementPaid.type
        ? { type: 'PAID', paid: decoded.message as DisbursementPaid }
        : { type: 'REJECTED', rejected: decoded.message as DisbursementRejected };
    });
  }

  const decided = (requestId: string) =>
    eventually(async () => {
      const found = await db.disbursementRepository.find(requestId);
      expect(found).toBeDefined();
      return found!;
    });

  beforeAll(async () => {
    db = await financeDatabase('finance-disbursements', 24);
    await db.dataSource.query(
      `INSERT INTO branch_directory (branch_id, code, name, kind, staff_headcount, status, updated_at)
       VALUES ($1, 'A${tag}', '甲分工会', 'COLLEGE', 50, 'ACTIVE', now()), ($2, 'B${tag}', '乙分工会', 'COLLEGE', 50, 'ACTIVE', now()),
              ($3, 'C${tag}', '丙分工会', 'COLLEGE', 50, 'ACTIVE', now())`,
      [branch, otherBranch, yearless],
    );
    await db.dataSource.query(
      `INSERT INTO member_directory (member_id, branch_id, name, status, updated_at)
       VALUES ($1, $2, '陈思', 'ACTIVE', now()), ($3, $4, '李明', 'ACTIVE', now())`,
      [member, branch, otherMember, otherBranch],
    );
    for (const entity of [null, branch, otherBranch])
      await db.commands.openFiscalYear({ branchId: entity, year }, SYSTEM);
    // HQ's hardship fund: ¥20,000 (the seeds' 困难补助基金); branch A's: ¥500
    await db.post({
      branchId: null,
      debit: '1002',
      credit: '3101',
      yuan: '20000.00',
      fund: 'HARDSHIP',
      date: `${year}-01-02`,
    });
    await db.post({
      branchId: branch,
      debit: '1002',
      credit: '3101',
      yuan: '500.00',
      fund: 'HARDSHIP',
      date: `${year}-01-02`,
    });

    kafka = createKafka(`finance-disbursements-${tag}`, testInfrastructure().kafkaBrokers);
    await ensureTopics(kafka, [...new Map(ALL_EVENTS.map((e) => [e.topic.name, e.topic])).values()]);
    producer = kafka.producer(RELIABLE_PRODUCER);
    await producer.connect();
    consumers = new ServiceConsumers(
      db.dataSource,
      'finance',
      EVENT_REGISTRY,
      [new DisbursementsConsumer(db.disbursements)],
      () => ({
        outbox: new Outbox('/unionfed/finance'),
      }),
    );
    const groupId = `it-finance-${tag}`;
    const admin = kafka.admin();
    await admin.connect();
    for (const topic of consumers.topics) {
      // a topic just created may not have its leader yet
      const ends = await eventually(() => admin.fetchTopicOffsets(topic));
      await admin.setOffsets({
        groupId,
        topic,
        partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
      });
    }
    await admin.disconnect();
    consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await consumer.connect();
    await consumer.subscribe({ topics: consumers.topics });
    await consumer.run({
      eachBatchAutoResolve: false,
      eachBatch: (payload) => consumers.dispatchBatch(eventBatchOf(payload)),
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await db?.drop();
  });

  it('pays a member’s relief grant from HQ’s hardship fund and answers DisbursementPaid with the paying entry', async () => {
    const event = request({ amountFen: 150_000n });
    await publish(event);
    const done = await decided(event.key);
    expect(done).toMatchObject({ status: 'PAID', branchId: null, fundCode: 'HARDSHIP' });
    const entry = await db.ledger.entry(done.entryId!);
    expect(entry?.lines.map((l) => [l.accountCode, l.fundCode, l.side, l.amount.toString()])).toEqual([
      ['5102', 'HARDSHIP', 'DEBIT', '1500.00'],
      ['1002', 'HARDSHIP', 'CREDIT', '1500.00'],
    ]);
    expect(await db.fundFen(null, 'HARDSHIP')).toBe(2_000_000n - 150_000n);
    const [answer] = await outcomes(event.key);
    expect(answer.paid).toMatchObject({
      requestId: event.key,
      entryId: done.entryId,
      amountFen: 150_000n,
      requestingService: 'welfare',
    });
    const audit = await db.dataSource.query(`SELECT action, actor_name FROM audit_log WHERE entity_id = $1`, [
      event.key,
    ]);
    expect(audit).toEqual([{ action: 'DISBURSEMENT_PAID', actor_name: 'finance.disbursements' }]);
  });

  it('pays once when the same message is delivered three times (one effect, one answer)', async () => {
    const event = request({ amountFen: 1_000n });
    const eventId = uuidv7();
    const before = await db.fundFen(null, 'HARDSHIP');
    for (let i = 0; i < 3; i++) await publish(event, eventId);
    await decided(event.key);
    const marker = request({ amountFen: 1n });
    await publish(marker); // same key order does not hold across keys: wait for its own decision, then for quiet
    await decided(marker.key);
    await eventually(async () => expect(await db.fundFen(null, 'HARDSHIP')).toBe(before - 1_000n - 1n));
    expect((await outcomes(event.key)).map((o) => o.type)).toEqual(['PAID']);
  });

  it('answers a request asked again under new event ids with the same outcome, paying it once', async () => {
    const event = request({ amountFen: 2_500n });
    const before = await db.fundFen(null, 'HARDSHIP');
    for (let i = 0; i < 3; i++) await publish(event);
    await eventually(async () => expect(await outcomes(event.key)).toHaveLength(3));
    const answers = await outcomes(event.key);
    expect(new Set(answers.map((a) => a.paid?.entryId)).size).toBe(1);
    expect(await db.fundFen(null, 'HARDSHIP')).toBe(before - 2_500n);
    const [row] = await db.dataSource.query(
      `SELECT count(*)::int AS n FROM journal_entry WHERE idempotency_key = $1`,
      [`disbursement:${event.key}`],
    );
    expect(row.n).toBe(1);
  });

  it('rejects each kind of request it cannot pay, with its reason, and pays nothing', async () => {
    const cases: [string, ReturnType<typeof request>, DisbursementRejectionReason][] = [
      [
        'more than the fund holds',
        request({ branchId: branch, amountFen: 50_001n }),
        DisbursementRejectionReason.INSUFFICIENT_FUNDS,
      ],
      [
        'an unknown member',
        request({ beneficiary: { case: 'memberId', value: uuidv7() } }),
        DisbursementRejectionReason.UNKNOWN_MEMBER,
      ],
      [
        'another branch’s member',
        request({ branchId: branch, beneficiary: { case: 'memberId', value: otherMember }, amountFen: 100n }),
        DisbursementRejectionReason.UNKNOWN_MEMBER,
      ],
      [
        'an unknown fund',
        request({ source: { case: 'fundCode', value: 'NO_SUCH_FUND' } }),
        DisbursementRejectionReason.UNKNOWN_FUND,
      ],
      [
        'a budget line (not yet known)',
        request({ source: { case: 'budgetLineId', value: uuidv7() } }),
        DisbursementRejectionReason.UNKNOWN_BUDGET_LINE,
      ],
      [
        'an unknown category',
        request({ expenseAccountCode: '9999' }),
        DisbursementRejectionReason.UNKNOWN_ACCOUNT,
      ],
      [
        'a category with sub-categories',
        request({ expenseAccountCode: '5101' }),
        DisbursementRejectionReason.UNKNOWN_ACCOUNT,
      ],
      ['an unknown branch', request({ branchId: uuidv7() }), DisbursementRejectionReason.UNKNOWN_BRANCH],
      [
        'a branch whose year is not open',
        request({
          branchId: yearless,
          beneficiary: { case: 'nonMember', value: { name: '王同学', relation: '学生' } },
        }),
        DisbursementRejectionReason.FISCAL_YEAR_CLOSED,
      ],
      ['no amount', request({ amountFen: 0n }), DisbursementRejectionReason.INVALID_REQUEST],
    ];
    const before = [await db.fundFen(null, 'HARDSHIP'), await db.fundFen(branch, 'HARDSHIP')];
    for (const [, event] of cases) await publish(event);
    for (const [what, event, reason] of cases) {
      await decided(event.key);
      const [answer] = await outcomes(event.key);
      expect([what, answer.rejected?.reason]).toEqual([what, reason]);
    }
    expect([await db.fundFen(null, 'HARDSHIP'), await db.fundFen(branch, 'HARDSHIP')]).toEqual(before);
  });

  it('pays a non-member beneficiary named explicitly', async () => {
    const event = request({
      beneficiary: { case: 'nonMember', value: { name: '张同学', relation: '学生' } },
      amountFen: 30_000n,
      expenseAccountCode: '510105',
    });
    await publish(event);
    expect(await decided(event.key)).toMatchObject({
      status: 'PAID',
      beneficiary: { kind: 'NON_MEMBER', name: '张同学', relation: '学生' },
    });
  });

  it('never overdraws a fund when many requests are decided at once, in concurrent inbox transactions', async () => {
    // branch B: ¥100.00; 40 requests of ¥3.00 decided at the same time → 33 paid, 7 rejected, ¥1.00 left
    await db.post({
      branchId: otherBranch,
      debit: '1002',
      credit: '3101',
      yuan: '100.00',
      fund: 'HARDSHIP',
      date: `${year}-01-02`,
    });
    const events = Array.from({ length: 40 }, () =>
      request({
        branchId: otherBranch,
        beneficiary: { case: 'memberId', value: otherMember },
        amountFen: 300n,
      }),
    );
    const outbox = new Outbox('/unionfed/finance');
    const results = await Promise.all(
      events.map((e) =>
        db.dataSource.transaction((manager) =>
          db.disbursements.handle(
            EVENT_REGISTRY.decode(e.type, e.payload)!.message as DisbursementRequested,
            manager,
            {
              add: (ev) => outbox.add(manager, ev),
            },
          ),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'PAID')).toHaveLength(33);
    expect(new Set(results.filter((r) => r.status === 'REJECTED').map((r) => r.rejectionReason))).toEqual(
      new Set(['INSUFFICIENT_FUNDS']),
    );
    expect(await db.fundFen(otherBranch, 'HARDSHIP')).toBe(100n);
  });

  it('leaves nothing behind when it fails between paying and answering, and pays once when delivered again', async () => {
    const event = request({ amountFen: 700n });
    const message = EVENT_REGISTRY.decode(event.type, event.payload)!.message as DisbursementRequested;
    const before = await db.fundFen(null, 'HARDSHIP');
    // the crash: the entry is posted and the decision recorded, then the answer cannot be written
    await expect(
      db.dataSource.transaction((manager) =>
        db.disbursements.handle(message, manager, {
          add: () => Promise.reject(new Error('finance stopped here')),
        }),
      ),
    ).rejects.toThrow('finance stopped here');
    expect(await db.disbursementRepository.find(event.key)).toBeUndefined();
    expect(await db.fundFen(null, 'HARDSHIP')).toBe(before);
    // redelivered: decided from the start, once
    await publish(event);
    await publish(event);
    await eventually(async () => expect(await outcomes(event.key)).toHaveLength(2));
    expect(await db.fundFen(null, 'HARDSHIP')).toBe(before - 700n);
  });
});
