import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Branch, Campus } from '../domain/structure';
import type { Member, MemberHistoryEntry } from '../domain/member';
import { BranchEntity, CampusEntity, MemberEntity, MemberHistoryEntity } from './entities';

const toMember = (e: MemberEntity): Member => ({
  id: e.id,
  memberNumber: e.memberNumber,
  staffNumber: e.staffNumber,
  name: e.name,
  gender: e.gender as Member['gender'],
  birthDate: e.birthDate ?? undefined,
  phone: e.phone ?? undefined,
  email: e.email ?? undefined,
  category: e.category as Member['category'],
  title: e.title ?? undefined,
  branchId: e.branchId,
  groupId: e.groupId ?? undefined,
  joinedOn: e.joinedOn,
  status: e.status as Member['status'],
});

const toBranch = (e: BranchEntity): Branch => ({
  ...e,
  kind: e.kind as Branch['kind'],
  status: e.status as Branch['status'],
});

export interface RosterPage {
  rows: Member[];
  totalCount: number;
}

/** Membership's persistence: every write takes the caller's transaction (EntityManager). */
@Injectable()
export class MembershipRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  async findCampus(id: string, manager?: EntityManager): Promise<Campus | undefined> {
    return (await this.m(manager).findOneBy(CampusEntity, { id })) ?? undefined;
  }

  async findCampusByCode(code: string, manager?: EntityManager): Promise<Campus | undefined> {
    return (await this.m(manager).findOneBy(CampusEntity, { code })) ?? undefined;
  }

  listCampuses(): Promise<Campus[]> {
    return this.dataSource.manager.find(CampusEntity, { order: { code: 'ASC' } });
  }

  async insertCampus(manager: EntityManager, campus: Campus): Promise<void> {
    await manager.insert(CampusEntity, campus);
  }

  async findBranch(id: string, manager?: EntityManager, lock = false): Promise<Branch | undefined> {
    const query = this.m(manager).createQueryBuilder(BranchEntity, 'b').where('b.id = :id', { id });
    if (lock) query.setLock('pessimistic_read');
    const entity = await query.getOne();
    return entity ? toBranch(entity) : undefined;
  }

  async findBranchByCode(code: string, manager?: EntityManager): Promise<Branch | undefined> {
    const entity = await this.m(manager).findOneBy(BranchEntity, { code });
    return entity ? toBranch(entity) : undefined;
  }

  async listBranches(campusId?: string): Promise<Branch[]> {
    const rows = await this.dataSource.manager.find(BranchEntity, {
      where: campusId ? { campusId } : {},
      order: { code: 'ASC' },
    });
    return rows.map(toBranch);
  }

  async insertBranch(manager: EntityManager, branch: Branch): Promise<void> {
    await manager.insert(BranchEntity, branch);
  }

  async nextMemberNumber(manager: EntityManager): Promise<string> {
    const [{ n }] = await manager.query(`SELECT nextval('member_number_seq')::text AS n`);
    return `M${n.padStart(6, '0')}`;
  }

  async findMember(id: string, manager?: EntityManager, lock = false): Promise<Member | undefined> {
    const query = this.m(manager).createQueryBuilder(MemberEntity, 'm').where('m.id = :id', { id });
    if (lock) query.setLock('pessimistic_write');
    const entity = await query.getOne();
    return entity ? toMember(entity) : undefined;
  }

  /** Stores a change of a member's record and its history entry (the caller's transaction). */
  async recordChange(manager: EntityManager, member: Member, history: MemberHistoryEntry): Promise<void> {
    await manager.update(
      MemberEntity,
      { id: member.id },
      { status: member.status, branchId: member.branchId, groupId: member.groupId ?? null },
    );
    await manager.insert(MemberHistoryEntity, history);
  }

  async findMemberByStaffNumber(staffNumber: string, manager?: EntityManager): Promise<Member | undefined> {
    const entity = await this.m(manager).findOneBy(MemberEntity, { staffNumber });
    return entity ? toMember(entity) : undefined;
  }

  async insertMember(manager: EntityManager, member: Member, history: MemberHistoryEntry): Promise<void> {
    await manager.insert(MemberEntity, {
      ...member,
      birthDate: member.birthDate ?? null,
      groupId: member.groupId ?? null,
    });
    await manager.insert(MemberHistoryEntity, history);
  }

  async history(memberId: string): Promise<MemberHistoryEntity[]> {
    return this.dataSource.manager.find(MemberHistoryEntity, {
      where: { memberId },
      order: { effectiveOn: 'ASC', recordedAt: 'ASC' },
    });
  }

  /** A page of the roster in admission order (UUIDv7 ids), after `afterId`, fetching one extra row. */
  async roster(
    filter: { branchId?: string; status?: string },
    size: number,
    afterId?: string,
  ): Promise<RosterPage> {
    const base = this.dataSource.manager.createQueryBuilder(MemberEntity, 'm');
    if (filter.branchId) base.andWhere('m.branch_id = :branchId', { branchId: filter.branchId });
    if (filter.status) base.andWhere('m.status = :status', { status: filter.status });
    const totalCount = await base.clone().getCount();
    const page = base
      .clone()
      .orderBy('m.id', 'ASC')
      .limit(size + 1);
    if (afterId) page.andWhere('m.id > :afterId', { afterId });
    const rows = await page.getMany();
    return { rows: rows.map(toMember), totalCount };
  }

  async activeMembersByBranch(branchIds: string[]): Promise<Map<string, number>> {
    if (branchIds.length === 0) return new Map();
    const rows: { branch_id: string; n: string }[] = await this.dataSource.query(
      `SELECT branch_id, count(*)::text AS n FROM member WHERE status = 'ACTIVE' AND branch_id = ANY($1::uuid[]) GROUP BY branch_id`,
      [branchIds],
    );
    return new Map(rows.map((r) => [r.branch_id, Number(r.n)]));
  }
}
