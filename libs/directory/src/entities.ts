import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A service's read-only copy of a branch, fed by membership events (event-carried state). */
@Entity('branch_directory')
export class BranchDirectoryEntry {
  @PrimaryColumn({ name: 'branch_id', type: 'uuid' }) branchId!: string;
  @Column({ name: 'campus_id', type: 'uuid', nullable: true }) campusId!: string | null;
  @Column('text') code!: string;
  @Column('text') name!: string;
  @Column('text') kind!: string;
  @Column({ name: 'staff_headcount', type: 'integer' }) staffHeadcount!: number;
  @Column('text') status!: string;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** A service's read-only copy of a member: what other services validate references against. */
@Entity('member_directory')
@Index('member_directory_branch', ['branchId', 'status'])
export class MemberDirectoryEntry {
  @PrimaryColumn({ name: 'member_id', type: 'uuid' }) memberId!: string;
  @Column({ name: 'branch_id', type: 'uuid' }) branchId!: string;
  @Column({ name: 'group_id', type: 'uuid', nullable: true }) groupId!: string | null;
  @Column({ name: 'staff_number', type: 'text', nullable: true }) staffNumber!: string | null;
  @Column({ name: 'member_number', type: 'text', nullable: true }) memberNumber!: string | null;
  @Column({ type: 'text', nullable: true }) name!: string | null;
  @Column({ type: 'text', nullable: true }) gender!: string | null;
  @Column({ name: 'birth_date', type: 'date', nullable: true }) birthDate!: string | null;
  @Column({ type: 'text', nullable: true }) category!: string | null;
  @Column('text') status!: string;
  @Column({ name: 'joined_on', type: 'date', nullable: true }) joinedOn!: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** A service's read-only copy of a union group (工会小组): teams, group leaders. */
@Entity('union_group_directory')
export class UnionGroupDirectoryEntry {
  @PrimaryColumn({ name: 'group_id', type: 'uuid' }) groupId!: string;
  @Column({ name: 'branch_id', type: 'uuid' }) branchId!: string;
  @Column('text') name!: string;
  @Column({ name: 'leader_member_id', type: 'uuid', nullable: true }) leaderMemberId!: string | null;
  @Column('text') status!: string;
  @Column({ name: 'formed_on', type: 'date', nullable: true }) formedOn!: string | null;
  @Column({ name: 'dissolved_on', type: 'date', nullable: true }) dissolvedOn!: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** A service's read-only copy of a committee appointment (委员会): who may approve what. */
@Entity('committee_directory')
export class CommitteeDirectoryEntry {
  @PrimaryColumn({ name: 'appointment_id', type: 'uuid' }) appointmentId!: string;
  /** null: the federation's own (校工会) committee */
  @Column({ name: 'committee_branch_id', type: 'uuid', nullable: true }) committeeBranchId!: string | null;
  @Column({ name: 'member_id', type: 'uuid' }) memberId!: string;
  @Column('text') role!: string;
  @Column({ name: 'group_id', type: 'uuid', nullable: true }) groupId!: string | null;
  @Column({ name: 'starts_on', type: 'date', nullable: true }) startsOn!: string | null;
  @Column({ name: 'ends_on', type: 'date', nullable: true }) endsOn!: string | null;
  @Column('text') status!: string;
  @Column({ name: 'end_reason', type: 'text', nullable: true }) endReason!: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** How far a projection has got: so HQ can see every service is in sync. */
@Entity('projection_status')
export class ProjectionStatus {
  @PrimaryColumn('text') projection!: string;
  @Column({ name: 'events_applied', type: 'bigint' }) eventsApplied!: string;
  @Column({ name: 'last_event_id', type: 'uuid', nullable: true }) lastEventId!: string | null;
  @Column({ name: 'last_event_type', type: 'text', nullable: true }) lastEventType!: string | null;
  @Column({ name: 'last_event_time', type: 'timestamptz', nullable: true }) lastEventTime!: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

export const DIRECTORY_ENTITIES = [
  BranchDirectoryEntry,
  MemberDirectoryEntry,
  UnionGroupDirectoryEntry,
  CommitteeDirectoryEntry,
  ProjectionStatus,
];
