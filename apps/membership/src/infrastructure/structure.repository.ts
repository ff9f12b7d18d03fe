import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Branch } from '../domain/structure';
import type { Member } from '../domain/member';
import type { UnionGroup } from '../domain/union-group';
import type { CommitteeAppointment, CommitteeRole } from '../domain/committee';
import { BranchEntity, MemberEntity } from './entities';
import { CommitteeAppointmentEntity, UnionGroupEntity } from './structure.entities';
import { toBranch } from './membership.repository';
import { memberOfEntity } from './member.mapper';

const toGroup = (e: UnionGroupEntity): UnionGroup => ({
  id: e.id,
  branchId: e.branchId,
  name: e.name,
  status: e.status as UnionGroup['status'],
  formedOn: e.formedOn,
  dissolvedOn: e.dissolvedOn,
});

const toAppointment = (e: CommitteeAppointmentEntity): CommitteeAppointment => ({
  id: e.id,
  branchId: e.branchId,
  memberId: e.memberId,
  role: e.role as CommitteeRole,
  groupId: e.groupId,
  startsOn: e.startsOn,
  endsOn: e.endsOn,
  endReason: e.endReason,
});

/** A union group as listed: with its active members counted and its leader on the day asked about. */
export interface UnionGroupRow extends UnionGroup {
  memberCount: number;
  leaderMemberId: string | null;
}

/** An appointment as listed, with what a committee list shows of its holder. */
export interface AppointmentRow extends CommitteeAppointment {
  memberName: string;
  memberNumber: string;
  /** the holder's branch now (for reach checks: HQ committee members come from every branch) */
  memberBranchId: string;
}

const ROLE_ORDER = `array_position(ARRAY['CHAIR','VICE_CHAIR','COMMITTEE','WOMEN_COMMITTEE','AUDIT_COMMITTEE','GROUP_LEADER'], a.role)`;

/**
 * Persistence of the federation's structure: union groups, committee appointments, merged and dissolved
 * branches. Writes take the caller's transaction (EntityManager).
 */
@Injectable()
export class StructureRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  /**
   * Locks branches FOR UPDATE (in id order, so two merges never deadlock): admissions and transfers into them
   * (which take a shared lock) wait until the caller's transaction ends.
   */
  async lockBranches(manager: EntityManager, ids: string[]): Promise<Map<string, Branch>> {
    const rows = await manager
      .createQueryBuilder(BranchEntity, 'b')
      .where('b.id IN (:...ids)', { ids })
      .orderBy('b.id')
      .setLock('pessimistic_write')
      .getMany();
    return new Map(rows.map((row) => [row.id, toBranch(row)]));
  }

  async saveBranch(manager: EntityManager, branch: Branch): Promise<void> {
    await manager.update(
      BranchEntity,
      { id: branch.id },
      {
        status: branch.status,
        mergedIntoId: branch.mergedIntoId ?? null,
        closedOn: branch.closedOn ?? null,
      },
    );
  }

  /**
   * Serialises the structure changes of one branch (its committee, its groups) or of the federation committee, so
   * that checks against what exists (one chair, unique group names) hold under concurrency.
   */
  async lockCommittee(manager: EntityManager, branchId: string | undefined): Promise<void> {
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [
      `committee:${branchId ?? 'federation'}`,
    ]);
  }

  async activeMembersOf(manager: EntityManager, branchId: string): Promise<Member[]> {
    const rows = await manager
      .createQueryBuilder(MemberEntity, 'm')
      .where('m.branch_id = :branchId AND m.status = :status', { branchId, status: 'ACTIVE' })
      .orderBy('m.id')
      .setLock('pessimistic_write')
      .getMany();
    return rows.map(memberOfEntity);
  }

  async countActiveMembers(manager: EntityManager, branchId: string): Promise<number> {
    return manager.count(MemberEntity, { where: { branchId, status: 'ACTIVE' } });
  }

  /** Everyone (any status) in the group, locked. */
  async membersOfGroup(manager: EntityManager, groupId: string): Promise<Member[]> {
    const rows = await manager
      .createQueryBuilder(MemberEntity, 'm')
      .where('m.group_id = :groupId', { groupId })
      .orderBy('m.id')
      .setLock('pessimistic_write')
      .getMany();
    return rows.map(memberOfEntity);
  }

  async findGroup(
    id: string,
    manager?: EntityManager,
    lock?: 'pessimistic_read' | 'pessimistic_write',
  ): Promise<UnionGroup | undefined> {
    const query = this.m(manager).createQueryBuilder(UnionGroupEntity, 'g').where('g.id = :id', { id });
    if (lock) query.setLock(lock);
    const entity = await query.getOne();
    return entity ? toGroup(entity) : undefined;
  }

  /** The branch's active groups; `lock`: FOR UPDATE (before any member is locked: groups come first). */
  async activeGroupsOf(manager: EntityManager, branchId: string, lock = false): Promise<UnionGroup[]> {
    const query = manager
      .createQueryBuilder(UnionGroupEntity, 'g')
      .where('g.branch_id = :branchId AND g.status = :status', { branchId, status: 'ACTIVE' })
      .orderBy('g.id');
    if (lock) query.setLock('pessimistic_write');
    return (await query.getMany()).map(toGroup);
  }

  async insertGroup(manager: EntityManager, group: UnionGroup): Promise<void> {
    await manager.insert(UnionGroupEntity, { ...group, dissolvedOn: group.dissolvedOn ?? null });
  }

  async saveGroup(manager: EntityManager, group: UnionGroup): Promise<void> {
    await manager.update(
      UnionGroupEntity,
      { id: group.id },
      { name: group.name, status: group.status, dissolvedOn: group.dissolvedOn ?? null },
    );
  }

  /** The union groups of a branch by name, each with its active members counted and its leader on `day`. */
  async groupsOf(branchId: string, day: string, includeDissolved = false): Promise<UnionGroupRow[]> {
    return this.groupRows(`g.branch_id = $1 AND ($3::boolean OR g.status = 'ACTIVE')`, [
      branchId,
      day,
      includeDissolved,
    ]);
  }

  async groupRow(id: string, day: string): Promise<UnionGroupRow | undefined> {
    const [row] = await this.groupRows(`g.id = $1`, [id, day]);
    return row;
  }

  private async groupRows(where: string, params: unknown[]): Promise<UnionGroupRow[]> {
    const rows: Record<string, string | number | null>[] = await this.dataSource.query(
      `SELECT g.id, g.branch_id AS "branchId", g.name, g.status, g.formed_on::text AS "formedOn",
              g.dissolved_on::text AS "dissolvedOn",
              (SELECT count(*) FROM member m WHERE m.group_id = g.id AND m.status = 'ACTIVE')::int AS "memberCount",
              (SELECT a.member_id FROM committee_appointment a
                WHERE a.group_id = g.id AND a.role = 'GROUP_LEADER'
                  AND a.starts_on <= $2::date AND (a.ends_on IS NULL OR a.ends_on >= $2::date)
                LIMIT 1) AS "leaderMemberId"
         FROM union_group g
        WHERE ${where}
        ORDER BY g.status, g.name, g.id`,
      params,
    );
    return rows as unknown as UnionGroupRow[];
  }

  async insertAppointment(manager: EntityManager, appointment: CommitteeAppointment): Promise<void> {
    await manager.insert(CommitteeAppointmentEntity, {
      ...appointment,
      branchId: appointment.branchId ?? null,
      groupId: appointment.groupId ?? null,
      endsOn: appointment.endsOn ?? null,
      endReason: appointment.endReason ?? null,
    });
  }

  async saveAppointmentEnd(manager: EntityManager, appointment: CommitteeAppointment): Promise<void> {
    await manager.update(
      CommitteeAppointmentEntity,
      { id: appointment.id },
      { endsOn: appointment.endsOn ?? null, endReason: appointment.endReason ?? null },
    );
  }

  async findAppointment(id: string, manager?: EntityManager): Promise<CommitteeAppointment | undefined> {
    const entity = await this.m(manager).findOneBy(CommitteeAppointmentEntity, { id });
    return entity ? toAppointment(entity) : undefined;
  }

  /** Every appointment of a committee, ended ones included (a branch's, or the federation's without one). */
  async appointmentsOfCommittee(
    manager: EntityManager,
    branchId: string | undefined,
  ): Promise<CommitteeAppointment[]> {
    const query = manager.createQueryBuilder(CommitteeAppointmentEntity, 'a');
    if (branchId) query.where('a.branch_id = :branchId', { branchId });
    else query.where('a.branch_id IS NULL');
    return (await query.orderBy('a.starts_on').addOrderBy('a.id').getMany()).map(toAppointment);
  }

  /** Every appointment a member holds or held, on any committee. */
  async appointmentsOfMember(manager: EntityManager, memberId: string): Promise<CommitteeAppointment[]> {
    return (await manager.findBy(CommitteeAppointmentEntity, { memberId })).map(toAppointment);
  }

  /** The group a member leads on `day`, if any. */
  async groupLedBy(manager: EntityManager, memberId: string, day: string): Promise<string | undefined> {
    const [row] = await manager.query(
      `SELECT group_id FROM committee_appointment
        WHERE member_id = $1 AND role = 'GROUP_LEADER'
          AND starts_on <= $2::date AND (ends_on IS NULL OR ends_on >= $2::date)
        LIMIT 1`,
      [memberId, day],
    );
    return row?.group_id ?? undefined;
  }

  /** The appointments leading a group (ended ones included). */
  async leadersOfGroup(manager: EntityManager, groupId: string): Promise<CommitteeAppointment[]> {
    return (await manager.findBy(CommitteeAppointmentEntity, { groupId, role: 'GROUP_LEADER' })).map(
      toAppointment,
    );
  }

  /**
   * A committee as listed: held on `asOf` (the committee on that day), or every appointment ever when `asOf` is
   * undefined — by role (chair first), then by start.
   */
  async committee(branchId: string | undefined, asOf: string | undefined): Promise<AppointmentRow[]> {
    return this.appointmentRows(
      `a.branch_id IS NOT DISTINCT FROM $1::uuid
       AND ($2::date IS NULL OR (a.starts_on <= $2::date AND (a.ends_on IS NULL OR a.ends_on >= $2::date)))`,
      [branchId ?? null, asOf ?? null],
    );
  }

  async appointmentRow(id: string): Promise<AppointmentRow | undefined> {
    const [row] = await this.appointmentRows(`a.id = $1`, [id]);
    return row;
  }

  private async appointmentRows(where: string, params: unknown[]): Promise<AppointmentRow[]> {
    const rows: Record<string, string | null>[] = await this.dataSource.query(
      `SELECT a.id, a.branch_id AS "branchId", a.member_id AS "memberId", a.role, a.group_id AS "groupId",
              a.starts_on::text AS "startsOn", a.ends_on::text AS "endsOn", a.end_reason AS "endReason",
              m.name AS "memberName", m.member_number AS "memberNumber", m.branch_id AS "memberBranchId"
         FROM committee_appointment a JOIN member m ON m.id = a.member_id
        WHERE ${where}
        ORDER BY ${ROLE_ORDER}, a.starts_on, m.member_number`,
      params,
    );
    return rows as unknown as AppointmentRow[];
  }
}
