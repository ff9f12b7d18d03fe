import { Injectable } from '@nestjs/common';
import { Brackets, DataSource, In, type EntityManager } from 'typeorm';
import type { Reach } from '@unionfed/auth';
import { isUuid } from '@unionfed/persistence';
import type { Branch, Campus } from '../domain/structure';
import type { Member, MemberHistoryEntry } from '../domain/member';
import { AGE_BANDS, rosterCriteria, type RosterCriteria } from '../domain/roster';
import { BranchEntity, CampusEntity, MemberEntity, MemberHistoryEntity } from './entities';

export const toMember = (e: MemberEntity): Member => ({
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

export const toBranch = (e: BranchEntity): Branch => ({
  ...e,
  kind: e.kind as Branch['kind'],
  status: e.status as Branch['status'],
});

export interface MembershipStatisticsRow {
  staffHeadcount: number;
  activeMembers: number;
  retirees: number;
  byGender: { key: string; count: number }[];
  byCategory: { key: string; count: number }[];
  byAgeBand: { key: string; count: number }[];
}

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

  /** Several branches at once (ids that are not UUIDs match nothing). */
  async findBranches(ids: string[]): Promise<Branch[]> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return [];
    return (await this.dataSource.manager.findBy(BranchEntity, { id: In(valid) })).map(toBranch);
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
    criteria: RosterCriteria,
    size: number,
    afterId: string | undefined,
    reach: Reach,
  ): Promise<RosterPage> {
    const base = this.dataSource.manager.createQueryBuilder(MemberEntity, 'm');
    const c = criteria;
    if (!reach.all) {
      base.andWhere(
        new Brackets((scope) => {
          scope.where('m.branch_id = ANY(:reachBranchIds)', { reachBranchIds: [...reach.branchIds] });
          if (reach.ownMemberId) scope.orWhere('m.id = :reachMemberId', { reachMemberId: reach.ownMemberId });
        }),
      );
    }
    if (c.branchId) base.andWhere('m.branch_id = :branchId', { branchId: c.branchId });
    // a group id that is no UUID matches no group (rather than failing the cast)
    if (c.groupId)
      base.andWhere(isUuid(c.groupId) ? 'm.group_id = :groupId' : 'FALSE', { groupId: c.groupId });
    if (c.status) base.andWhere('m.status = :status', { status: c.status });
    if (c.category) base.andWhere('m.category = :category', { category: c.category });
    if (c.gender) base.andWhere('m.gender = :gender', { gender: c.gender });
    if (c.bornAfter) base.andWhere('m.birth_date > :bornAfter', { bornAfter: c.bornAfter });
    if (c.bornOnOrBefore)
      base.andWhere('m.birth_date <= :bornOnOrBefore', { bornOnOrBefore: c.bornOnOrBefore });
    if (c.joinedFrom) base.andWhere('m.joined_on >= :joinedFrom', { joinedFrom: c.joinedFrom });
    if (c.joinedTo) base.andWhere('m.joined_on <= :joinedTo', { joinedTo: c.joinedTo });
    if (c.birthMonth)
      base.andWhere('extract(month FROM m.birth_date) = :birthMonth', { birthMonth: c.birthMonth });
    const totalCount = await base.clone().getCount();
    const page = base
      .clone()
      .orderBy('m.id', 'ASC')
      .limit(size + 1);
    if (afterId) page.andWhere('m.id > :afterId', { afterId });
    const rows = await page.getMany();
    return { rows: rows.map(toMember), totalCount };
  }

  /**
   * Composition of the active membership of one branch or of the federation (年度报告的会员结构): by gender,
   * category and age band (as of `today`), plus retirees and the staff headcount behind the join rate.
   */
  async statistics(branchId: string | undefined, today: string): Promise<MembershipStatisticsRow> {
    const bands = AGE_BANDS.map((band) => ({ band, ...rosterCriteria({ ageBand: band }, today) }));
    const ageCase = `CASE ${bands
      .map(
        (b, i) =>
          `WHEN birth_date <= $${i * 2 + 2}::date AND ($${i * 2 + 3}::date IS NULL OR birth_date > $${i * 2 + 3}::date) THEN '${b.band}'`,
      )
      .join(' ')} ELSE 'UNKNOWN' END`;
    const params: unknown[] = [
      branchId ?? null,
      ...bands.flatMap((b) => [b.bornOnOrBefore, b.bornAfter ?? null]),
    ];
    const rows: { dimension: string; key: string; n: number }[] = await this.dataSource.query(
      `WITH scope AS (SELECT * FROM member WHERE ($1::uuid IS NULL OR branch_id = $1::uuid))
       SELECT 'gender' AS dimension, gender AS key, count(*)::int AS n FROM scope WHERE status = 'ACTIVE' GROUP BY gender
       UNION ALL SELECT 'category', category, count(*)::int FROM scope WHERE status = 'ACTIVE' GROUP BY category
       UNION ALL SELECT 'ageBand', ${ageCase}, count(*)::int FROM scope WHERE status = 'ACTIVE' GROUP BY 2
       UNION ALL SELECT 'status', status, count(*)::int FROM scope GROUP BY status`,
      params,
    );
    const [{ headcount }] = await this.dataSource.query(
      `SELECT coalesce(sum(staff_headcount), 0)::int AS headcount FROM branch
        WHERE status = 'ACTIVE' AND ($1::uuid IS NULL OR id = $1::uuid)`,
      [branchId ?? null],
    );
    const of = (dimension: string) =>
      rows.filter((r) => r.dimension === dimension).map((r) => ({ key: r.key, count: r.n }));
    const status = of('status');
    return {
      staffHeadcount: headcount,
      activeMembers: status.find((s) => s.key === 'ACTIVE')?.count ?? 0,
      retirees: status.find((s) => s.key === 'RETIRED')?.count ?? 0,
      byGender: of('gender'),
      byCategory: of('category'),
      byAgeBand: of('ageBand'),
    };
  }

  /** Active members whose birthday falls within `days` days from `today` (today included), soonest first. */
  async upcomingBirthdays(
    today: string,
    days: number,
    branchId: string | undefined,
    reach: Reach,
  ): Promise<{ member: Member; date: string; turning: number }[]> {
    const params: unknown[] = [today, days, branchId ?? null];
    const inReach = reach.sqlCondition('m.branch_id', params, 'm.id');
    const rows: { id: string; next: string; turning: number }[] = await this.dataSource.query(
      `SELECT m.id, n.next::text AS next, date_part('year', age(n.next, m.birth_date))::int AS turning
         FROM member m
        CROSS JOIN LATERAL (
          -- the next birthday on or after today (29 February falls on 28 February in common years)
          SELECT (m.birth_date + ((date_part('year', age($1::date - 1, m.birth_date)) + 1)::int * interval '1 year'))::date AS next
        ) n
        WHERE m.status = 'ACTIVE' AND m.birth_date IS NOT NULL AND ($3::uuid IS NULL OR m.branch_id = $3::uuid)
          AND ${inReach}
          AND n.next BETWEEN $1::date AND $1::date + ($2::int - 1)
        ORDER BY n.next, m.id`,
      params,
    );
    if (rows.length === 0) return [];
    const members = new Map(
      (await this.dataSource.manager.findBy(MemberEntity, { id: In(rows.map((r) => r.id)) })).map((e) => [
        e.id,
        toMember(e),
      ]),
    );
    return rows.map((row) => ({ member: members.get(row.id)!, date: row.next, turning: row.turning }));
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
