import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('union_group')
export class UnionGroupEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'branch_id', type: 'uuid' }) branchId!: string;
  @Column('text') name!: string;
  @Column('text') status!: string;
  @Column({ name: 'formed_on', type: 'date' }) formedOn!: string;
  @Column({ name: 'dissolved_on', type: 'date', nullable: true }) dissolvedOn!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('committee_appointment')
export class CommitteeAppointmentEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'branch_id', type: 'uuid', nullable: true }) branchId!: string | null;
  @Column({ name: 'member_id', type: 'uuid' }) memberId!: string;
  @Column('text') role!: string;
  @Column({ name: 'group_id', type: 'uuid', nullable: true }) groupId!: string | null;
  @Column({ name: 'starts_on', type: 'date' }) startsOn!: string;
  @Column({ name: 'ends_on', type: 'date', nullable: true }) endsOn!: string | null;
  @Column({ name: 'end_reason', type: 'text', nullable: true }) endReason!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

export const STRUCTURE_ENTITIES = [UnionGroupEntity, CommitteeAppointmentEntity];
