import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Money } from '@unionfed/domain-kit';
import type { Beneficiary, DisbursementRequest, RejectionReason } from '../domain/disbursement';
import type { AccountKind } from '../domain/chart-of-accounts';

export interface DecidedDisbursement {
  requestId: string;
  requestingService: string;
  branchId: string | null;
  fundCode: string | null;
  budgetLineId: string | null;
  expenseAccountCode: string | null;
  amount: Money;
  beneficiary: Beneficiary;
  purpose: string;
  status: 'PAID' | 'REJECTED';
  rejectionReason: RejectionReason | null;
  rejectionDetail: string | null;
  entryId: string | null;
  decidedAt: Date;
}

const COLUMNS = `request_id, requesting_service, branch_id, fund_code, budget_line_id, expense_account, amount_fen,
  beneficiary, purpose, status, rejection_reason, rejection_detail, entry_id, decided_at`;

function decidedOf(r: Record<string, never>): DecidedDisbursement {
  return {
    requestId: r.request_id,
    requestingService: r.requesting_service,
    branchId: r.branch_id,
    fundCode: r.fund_code,
    budgetLineId: r.budget_line_id,
    expenseAccountCode: r.expense_account,
    amount: Money.ofFen(r.amount_fen),
    beneficiary: r.beneficiary,
    purpose: r.purpose,
    status: r.status,
    rejectionReason: r.rejection_reason,
    rejectionDetail: r.rejection_detail,
    entryId: r.entry_id,
    decidedAt: r.decided_at,
  };
}

/** Disbursements as decided (one row per request id), and the facts a decision reads. */
@Injectable()
export class DisbursementRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Serializes the decisions of one request id (two deliveries at once decide once), then reads it. */
  async lockRequest(manager: EntityManager, requestId: string): Promise<DecidedDisbursement | undefined> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('disbursement:' || $1, 0))`, [
      requestId,
    ]);
    const [row] = await manager.query(`SELECT ${COLUMNS} FROM disbursement WHERE request_id = $1`, [
      requestId,
    ]);
    return row ? decidedOf(row) : undefined;
  }

  async find(requestId: string): Promise<DecidedDisbursement | undefined> {
    const [row] = await this.dataSource.query(`SELECT ${COLUMNS} FROM disbursement WHERE request_id = $1`, [
      requestId,
    ]);
    return row ? decidedOf(row) : undefined;
  }

  async record(
    manager: EntityManager,
    request: DisbursementRequest,
    decision:
      { status: 'PAID'; entryId: string } | { status: 'REJECTED'; reason: RejectionReason; detail: string },
  ): Promise<DecidedDisbursement> {
    const [row] = await manager.query(
      `INSERT INTO disbursement (request_id, requesting_service, branch_id, fund_code, budget_line_id, expense_account,
         amount_fen, beneficiary, purpose, status, rejection_reason, rejection_detail, entry_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11, $12, $13) RETURNING ${COLUMNS}`,
      [
        request.requestId,
        request.requestingService,
        request.branchId,
        request.fundCode,
        request.budgetLineId,
        request.expenseAccountCode || null,
        request.amount.fen.toString(),
        JSON.stringify(request.beneficiary),
        request.purpose,
        decision.status,
        decision.status === 'REJECTED' ? decision.reason : null,
        decision.status === 'REJECTED' ? decision.detail : null,
        decision.status === 'PAID' ? decision.entryId : null,
      ],
    );
    return decidedOf(row);
  }

  async branchKnown(manager: EntityManager, branchId: string | null): Promise<boolean> {
    if (branchId === null) return true;
    const [row] = await manager.query(
      `SELECT 1 FROM branch_directory WHERE branch_id = $1 AND status = 'ACTIVE'`,
      [branchId],
    );
    return Boolean(row);
  }

  /** An active member of the paying entity (HQ pays members of any branch). */
  async memberPayable(manager: EntityManager, memberId: string, branchId: string | null): Promise<boolean> {
    const [row] = await manager.query(
      `SELECT 1 FROM member_directory WHERE member_id = $1 AND status = 'ACTIVE'
          AND ($2::uuid IS NULL OR branch_id = $2::uuid)`,
      [memberId, branchId],
    );
    return Boolean(row);
  }

  async fundKnown(manager: EntityManager, fundCode: string): Promise<boolean> {
    const [row] = await manager.query(`SELECT 1 FROM ledger_fund WHERE code = $1`, [fundCode]);
    return Boolean(row);
  }

  async expenseAccount(
    manager: EntityManager,
    code: string,
  ): Promise<{ kind: AccountKind; leaf: boolean } | undefined> {
    const [row] = await manager.query(
      `SELECT a.kind, NOT EXISTS (SELECT 1 FROM ledger_account c WHERE c.parent_code = a.code) AS leaf
         FROM ledger_account a WHERE a.code = $1`,
      [code],
    );
    return row ? { kind: row.kind, leaf: row.leaf } : undefined;
  }

  async yearOpen(manager: EntityManager, branchId: string | null, year: number): Promise<boolean> {
    const [row] = await manager.query(
      `SELECT 1 FROM fiscal_year WHERE branch_id IS NOT DISTINCT FROM $1::uuid AND year = $2 AND status = 'OPEN'`,
      [branchId, year],
    );
    return Boolean(row);
  }

  /** The fund's balance at the entity, locked until the decision commits (the reservation). */
  async lockFundBalance(manager: EntityManager, branchId: string | null, fundCode: string): Promise<Money> {
    const [row] = await manager.query(
      `SELECT balance_fen FROM fund_balance WHERE branch_id IS NOT DISTINCT FROM $1::uuid AND fund_code = $2 FOR UPDATE`,
      [branchId, fundCode],
    );
    return Money.ofFen(row?.balance_fen ?? 0);
  }
}
