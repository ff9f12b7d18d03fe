import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Union groups (工会小组), committee appointments with terms (委员会任职), and branch merges / dissolutions. */
export class FederationStructure1763800000300 implements MigrationInterface {
  name = 'FederationStructure1763800000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE branch ADD COLUMN merged_into_id UUID REFERENCES branch(id)`);
    await q.query(`ALTER TABLE branch ADD COLUMN closed_on DATE`);
    await q.query(`
      ALTER TABLE branch ADD CONSTRAINT branch_merged_into CHECK ((status = 'MERGED') = (merged_into_id IS NOT NULL))`);
    await q.query(`
      CREATE TABLE union_group (
        id            UUID PRIMARY KEY,
        branch_id     UUID NOT NULL REFERENCES branch(id),
        name          TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('ACTIVE','DISSOLVED')),
        formed_on     DATE NOT NULL,
        dissolved_on  DATE,
        created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
        CHECK ((status = 'DISSOLVED') = (dissolved_on IS NOT NULL))
      )`);
    // a name is unique among a branch's active groups (the domain compares ignoring case and spacing)
    await q.query(
      `CREATE UNIQUE INDEX union_group_active_name ON union_group (branch_id, name) WHERE status = 'ACTIVE'`,
    );
    await q.query(
      `ALTER TABLE member ADD CONSTRAINT member_group FOREIGN KEY (group_id) REFERENCES union_group(id)`,
    );
    // the roster filtered by group, and a group's member count
    await q.query(`CREATE INDEX member_group_status ON member (group_id, status) WHERE group_id IS NOT NULL`);
    await q.query(`
      CREATE TABLE committee_appointment (
        id          UUID PRIMARY KEY,
        -- the branch whose committee it is; NULL: the federation's own committee (校工会委员会)
        branch_id   UUID REFERENCES branch(id),
        member_id   UUID NOT NULL REFERENCES member(id),
        role        TEXT NOT NULL
                    CHECK (role IN ('CHAIR','VICE_CHAIR','COMMITTEE','WOMEN_COMMITTEE','AUDIT_COMMITTEE','GROUP_LEADER')),
        group_id    UUID REFERENCES union_group(id),
        starts_on   DATE NOT NULL,
        -- the last day in office; NULL while open-ended
        ends_on     DATE,
        end_reason  TEXT,
        created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
        CHECK (ends_on IS NULL OR ends_on >= starts_on),
        CHECK ((role = 'GROUP_LEADER') = (group_id IS NOT NULL)),
        CHECK (role <> 'GROUP_LEADER' OR branch_id IS NOT NULL)
      )`);
    await q.query(
      `CREATE INDEX committee_appointment_branch ON committee_appointment (branch_id, starts_on)`,
    );
    await q.query(`CREATE INDEX committee_appointment_member ON committee_appointment (member_id)`);
    await q.query(
      `CREATE INDEX committee_appointment_group ON committee_appointment (group_id) WHERE group_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE committee_appointment`);
    await q.query(`DROP INDEX member_group_status`);
    await q.query(`ALTER TABLE member DROP CONSTRAINT member_group`);
    await q.query(`DROP TABLE union_group`);
    await q.query(`ALTER TABLE branch DROP CONSTRAINT branch_merged_into`);
    await q.query(`ALTER TABLE branch DROP COLUMN closed_on`);
    await q.query(`ALTER TABLE branch DROP COLUMN merged_into_id`);
  }
}
