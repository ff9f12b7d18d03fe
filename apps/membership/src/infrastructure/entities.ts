import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, VirtualColumn } from 'typeorm';
import type { HistoryDetails } from '../domain/member';
import { STRUCTURE_ENTITIES } from './structure.entities';

@Entity('campus')
export class CampusEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text', unique: true }) code!: string;
  @Column('text') name!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** The staff headcount in effect today of the branch whose id is `branchId` (an SQL expression). */
export const LATEST_HEADCOUNT = (branchId: string) =>
  `SELECT coalesce((SELECT h.staff_headcount FROM branch_staff_headcount h WHERE h.branch_id = ${branchId}
     ORDER BY h.year DESC LIMIT 1), 0)`;

@Entity('branch')
export class BranchEntity {
  @PrimaryColumn('uuid') id!: string;
  @Index() @Column({ name: 'campus_id', type: 'uuid' }) campusId!: string;
  @Column({ type: 'text', unique: true }) code!: string;
  @Column('text') name!: string;
  @Column('text') kind!: string;
  /** 教职工总数 in effect today: the latest year's count (branch_staff_headcount; no year ahead is counted), 0 if none */
  @VirtualColumn({ type: 'integer', query: (b) => LATEST_HEADCOUNT(`${b}.id`) })
  staffHeadcount!: number;
  @Column('text') status!: string;
  @Column({ name: 'merged_into_id', type: 'uuid', nullable: true }) mergedIntoId!: string | null;
  @Column({ name: 'closed_on', type: 'date', nullable: true }) closedOn!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('member')
export class MemberEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'member_number', type: 'text', unique: true }) memberNumber!: string;
  @Column({ name: 'staff_number', type: 'text', unique: true }) staffNumber!: string;
  @Column('text') name!: string;
  /** the name search's keys (member-search.ts), written with the name */
  @Column({ name: 'name_characters', type: 'text', array: true, select: false }) nameCharacters!: string[];
  @Column({ name: 'name_initials', type: 'text', array: true, select: false }) nameInitials!: string[];
  @Column('text') gender!: string;
  @Column({ name: 'birth_date', type: 'date', nullable: true }) birthDate!: string | null;
  @Column({ type: 'text', nullable: true }) phone!: string | null;
  @Column({ type: 'text', nullable: true }) email!: string | null;
  @Column('text') category!: string;
  @Column({ type: 'text', nullable: true }) title!: string | null;
  @Column({ name: 'branch_id', type: 'uuid' }) branchId!: string;
  @Column({ name: 'group_id', type: 'uuid', nullable: true }) groupId!: string | null;
  @Column({ name: 'joined_on', type: 'date' }) joinedOn!: string;
  @Column('text') status!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('member_history')
export class MemberHistoryEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'member_id', type: 'uuid' }) memberId!: string;
  @Column('text') change!: string;
  @Column({ name: 'branch_id', type: 'uuid' }) branchId!: string;
  @Column({ name: 'effective_on', type: 'date' }) effectiveOn!: string;
  @Column({ type: 'jsonb' }) details!: HistoryDetails;
  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' }) recordedAt!: Date;
}

export const MEMBERSHIP_ENTITIES = [
  CampusEntity,
  BranchEntity,
  MemberEntity,
  MemberHistoryEntity,
  ...STRUCTURE_ENTITIES,
];
