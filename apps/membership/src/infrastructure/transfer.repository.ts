import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Reach } from '@unionfed/auth';
import type { MemberTransfer, TransferStatus } from '../domain/transfer';
import { transferCandidateOf, type MemberRow, type TransferCandidate } from './member.mapper';

interface TransferRow {
  id: string;
  member_id: string;
  from_branch_id: string;
  to_branch_id: string;
  status: TransferStatus;
  effective_on: string | null;
  reason: string | null;
  requested_by: string;
  requested_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
}

const COLUMNS = `t.id, t.member_id, t.from_branch_id, t.to_branch_id, t.status, t.effective_on::text AS effective_on,
  t.reason, t.requested_by, t.requested_at, t.decided_by, t.decided_at, t.decision_reason`;

const toTransfer = (r: TransferRow): MemberTransfer => ({
  id: r.id,
  memberId: r.member_id,
  fromBranchId: r.from_branch_id,
  toBranchId: r.to_branch_id,
  status: r.status,
  effectiveOn: r.effective_on ?? undefined,
  reason: r.reason ?? undefined,
  requestedBy: r.requested_by,
  requestedAt: r.requested_at,
  decidedBy: r.decided_by ?? undefined,
  decidedAt: r.decided_at ?? undefined,
  decisionReason: r.decision_reason ?? undefined,
});

export type ListedTransfer = MemberTransfer & { candidate: TransferCandidate };

export interface TransferPage {
  rows: ListedTransfer[];
  totalCount: number;
}

/** 会籍转移 requests (table member_transfer), in raw SQL. */
@Injectable()
export class TransferRepository {
  constructor(private readonly dataSource: DataSource) {}

  async insert(manager: EntityManager, t: MemberTransfer): Promise<void> {
    await manager.query(
      `INSERT INTO member_transfer (id, member_id, from_branch_id, to_branch_id, status, effective_on, reason,
         requested_by, requested_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        t.id,
        t.memberId,
        t.fromBranchId,
        t.toBranchId,
        t.status,
        t.effectiveOn ?? null,
        t.reason ?? null,
        t.requestedBy,
        t.requestedAt,
      ],
    );
  }

  /** A request, locked for the decision when `lock` (two decisions of one request: the second waits, then sees it). */
  async find(id: string, manager?: EntityManager, lock = false): Promise<MemberTransfer | undefined> {
    const rows: TransferRow[] = await (manager ?? this.dataSource.manager).query(
      `SELECT ${COLUMNS} FROM member_transfer t WHERE t.id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0] && toTransfer(rows[0]);
  }

  async pendingOf(memberId: string, manager: EntityManager): Promise<MemberTransfer | undefined> {
    const rows: TransferRow[] = await manager.query(
      `SELECT ${COLUMNS} FROM member_transfer t WHERE t.member_id = $1 AND t.status = 'PENDING'`,
      [memberId],
    );
    return rows[0] && toTransfer(rows[0]);
  }

  async saveDecision(manager: EntityManager, t: MemberTransfer): Promise<void> {
    await manager.query(
      `UPDATE member_transfer SET status = $2, decided_by = $3, decided_at = $4, decision_reason = $5
        WHERE id = $1`,
      [t.id, t.status, t.decidedBy ?? null, t.decidedAt ?? null, t.decisionReason ?? null],
    );
  }

  /**
   * A page of requests in the order they were made (UUIDv7 ids), after `afterId`, one extra row fetched:
   * INCOMING — to a branch in the reach, OUTGOING — from one. Scoping is part of the SQL.
   */
  async list(
    direction: 'INCOMING' | 'OUTGOING',
    status: TransferStatus,
    reach: Reach,
    size: number,
    afterId: string | undefined,
    branchId?: string,
  ): Promise<TransferPage> {
    const column = direction === 'INCOMING' ? 't.to_branch_id' : 't.from_branch_id';
    const params: unknown[] = [status];
    const where = [`t.status = $1`, reach.sqlCondition(column, params)];
    if (branchId) {
      params.push(branchId);
      where.push(`${column} = $${params.length}::uuid`);
    }
    const scoped = { where: where.join(' AND '), params: [...params] };
    if (afterId) {
      params.push(afterId);
      where.push(`t.id > $${params.length}::uuid`);
    }
    params.push(size + 1);
    const rows: (TransferRow &
      Pick<MemberRow, 'name' | 'staff_number' | 'member_number' | 'category' | 'title'>)[] =
      await this.dataSource.query(
        `SELECT ${COLUMNS}, m.name, m.staff_number, m.member_number, m.category, m.title
         FROM member_transfer t JOIN member m ON m.id = t.member_id
        WHERE ${where.join(' AND ')}
        ORDER BY t.id
        LIMIT $${params.length}`,
        params,
      );
    const [{ n }] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM member_transfer t WHERE ${scoped.where}`,
      scoped.params,
    );
    return {
      rows: rows.map((r) => ({
        ...toTransfer(r),
        candidate: transferCandidateOf(r),
      })),
      totalCount: n,
    };
  }

  /** The candidate part of one request (for the answer of a command). */
  async candidate(memberId: string, manager?: EntityManager): Promise<TransferCandidate | undefined> {
    const rows = await (manager ?? this.dataSource.manager).query(
      `SELECT name, staff_number, member_number, category, title FROM member WHERE id = $1`,
      [memberId],
    );
    const r = rows[0];
    return r && transferCandidateOf(r);
  }
}
