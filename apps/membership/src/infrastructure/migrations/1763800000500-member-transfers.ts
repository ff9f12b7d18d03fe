import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 会籍转移 requests: the sending branch asks, the receiving branch accepts or declines, the sender may cancel. At
 * most one pending request per member (a partial unique index: two racing requests, one CONFLICT). The pending
 * requests of a branch, incoming and outgoing, are read by branch (the scoped lists).
 */
export class MemberTransfers1763800000500 implements MigrationInterface {
  name = 'MemberTransfers1763800000500';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE member_transfer (
        id               UUID PRIMARY KEY,
        member_id        UUID NOT NULL REFERENCES member(id),
        from_branch_id   UUID NOT NULL REFERENCES branch(id),
        to_branch_id     UUID NOT NULL REFERENCES branch(id),
        status           TEXT NOT NULL CHECK (status IN ('PENDING','ACCEPTED','DECLINED','CANCELLED')),
        effective_on     DATE,
        reason           TEXT,
        requested_by     TEXT NOT NULL,
        requested_at     TIMESTAMPTZ NOT NULL,
        decided_by       TEXT,
        decided_at       TIMESTAMPTZ,
        decision_reason  TEXT,
        CHECK (from_branch_id <> to_branch_id),
        CHECK ((status = 'PENDING') = (decided_at IS NULL))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX member_transfer_one_pending ON member_transfer (member_id) WHERE status = 'PENDING'`,
    );
    await q.query(`CREATE INDEX member_transfer_to ON member_transfer (to_branch_id, status, id)`);
    await q.query(`CREATE INDEX member_transfer_from ON member_transfer (from_branch_id, status, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE member_transfer`);
  }
}
