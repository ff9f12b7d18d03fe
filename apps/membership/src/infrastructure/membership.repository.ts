import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { Reach } from '@unionfed/auth';
import { isUuid } from '@unionfed/persistence';
import type { Branch, Campus } from '../domain/structure';
import type { Member, MemberHistoryEntry } from '../domain/member';
import { AGE_BANDS, rosterCriteria, type RosterCriteria } from '../domain/roster';
import { openingHeadcount } from '../domain/headcount';
import { BranchEntity, CampusEntity, LATEST_HEADCOUNT, MemberEntity, MemberHistoryEntity } from './entities';
import { saveHeadcounts } from './headcount.repository';
import { nameSearchCondition } from './member-search';
import {
  MEMBER_COLUMNS,
  memberEntityOf,
  memberOfEntity,
  memberOfRow,
  memberSearchEntityOf,
  type MemberRow,
} from './member.mapper';

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
  /** every member matching the criteria (when counted) */
  totalCount?: number;
  /** the branches of the rows by id (when asked for) */
  branches?: Map<string, Branch>;
}

const BRANCH_COLUMNS = `b.campus_id AS branch_campus_id, b.code AS branch_code, b.name AS branch_name,
  b.kind AS branch_kind, (${LATEST_HEADCOUNT('b.id')}) AS branch_staff_headcount, b.status AS branch_status,
  b.merged_into_id AS branch_merged_into_id, b.closed_on::text AS branch_closed_on`;

interface RosterRow extends MemberRow {
  total?: number;
  branch_campus_id: string;
  branch_code: string;
  branch_name: string;
  branch_kind: string;
  branch_staff_headcount: number;
  branch_status: string;
  branch_merged_into_id: string | null;
  branch_closed_on: string | null;
}

const branchOfRow = (r: RosterRow): Branch => ({
  id: r.branch_id,
  campusId: r.branch_campus_id,
  code: r.branch_code,
  name: r.branch_name,
  kind: r.branch_kind as Branch['kind'],
  staffHeadcount: r.branch_staff_headcount,
  status: r.branch_status as Branch['status'],
  mergedIntoId: r.branch_merged_into_id,
  closedOn: r.branch_closed_on,
});

/**
 * The roster criteria and the caller's reach as SQL conditions on `member m` (parameters appended to `params`);
 * never empty.
 */
function rosterConditions(c: RosterCriteria, reach: Reach, params: unknown[]): string[] {
  const where: string[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (!reach.all) where.push(reach.sqlCondition('m.branch_id', params, 'm.id'));
  if (c.branchId) where.push(`m.branch_id = ${param(c.branchId)}`);
  // a group id that is no UUID matches no group (rather than failing the cast)
  if (c.groupId) where.push(isUuid(c.groupId) ? `m.group_id = ${param(c.groupId)}` : 'FALSE');
  if (c.status) where.push(`m.status = ${param(c.status)}`);
  if (c.category) where.push(`m.category = ${param(c.category)}`);
  if (c.gender) where.push(`m.gender = ${param(c.gender)}`);
  if (c.bornAfter) where.push(`m.birth_date > ${param(c.bornAfter)}`);
  if (c.bornOnOrBefore) where.push(`m.birth_date <= ${param(c.bornOnOrBefore)}`);
  if (c.joinedFrom) where.push(`m.joined_on >= ${param(c.joinedFrom)}`);
  if (c.joinedTo) where.push(`m.joined_on <= ${param(c.joinedTo)}`);
  if (c.birthMonth) where.push(`extract(month FROM m.birth_date) = ${param(c.birthMonth)}`);
  if (c.search) where.push(nameSearchCondition(c.search, params));
  if (where.length === 0) where.push('TRUE');
  return where;
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

  /** A new branch, with the headcount it opens with as this year's count (none when 0: not known). */
  async insertBranch(manager: EntityManager, branch: Branch, today?: string): Promise<void> {
    const { staffHeadcount: _counted, ...row } = branch;
    await manager.insert(BranchEntity, row);
    const opening = openingHeadcount(branch, today);
    if (opening) await saveHeadcounts(manager, [opening]);
  }

  async nextMemberNumber(manager: EntityManager): Promise<string> {
    const [{ n }] = await manager.query(`SELECT nextval('member_number_seq')::text AS n`);
    return `M${n.padStart(6, '0')}`;
  }

  async findMember(id: string, manager?: EntityManager, lock = false): Promise<Member | undefined> {
    const query = this.m(manager).createQueryBuilder(MemberEntity, 'm').where('m.id = :id', { id });
    if (lock) query.setLock('pessimistic_write');
    const entity = await query.getOne();
    return entity ? memberOfEntity(entity) : undefined;
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

  /** Stores a corrected profile (and the name search's keys) with its history entry (the caller's transaction). */
  async recordProfile(manager: EntityManager, member: Member, history: MemberHistoryEntry): Promise<void> {
    await manager.update(
      MemberEntity,
      { id: member.id },
      {
        staffNumber: member.staffNumber,
        name: member.name,
        ...memberSearchEntityOf(member),
        gender: member.gender,
        birthDate: member.birthDate ?? null,
        category: member.category,
        title: member.title ?? null,
        phone: member.phone ?? null,
        email: member.email ?? null,
      },
    );
    await manager.insert(MemberHistoryEntity, history);
  }

  /** A history entry that changes nothing of the record itself (e.g. a transfer request). */
  async addHistory(manager: EntityManager, history: MemberHistoryEntry): Promise<void> {
    await manager.insert(MemberHistoryEntity, history);
  }

  async findMemberByStaffNumber(staffNumber: string, manager?: EntityManager): Promise<Member | undefined> {
    const entity = await this.m(manager).findOneBy(MemberEntity, { staffNumber });
    return entity ? memberOfEntity(entity) : undefined;
  }

  async insertMember(manager: EntityManager, member: Member, history: MemberHistoryEntry): Promise<void> {
    await manager.insert(MemberEntity, memberEntityOf(member));
    await manager.insert(MemberHistoryEntity, history);
  }

  async history(memberId: string, manager?: EntityManager): Promise<MemberHistoryEntity[]> {
    return this.m(manager).find(MemberHistoryEntity, {
      where: { memberId },
      // one transaction's entries share recorded_at (e.g. an HQ transfer's request and move): then by id (UUIDv7)
      order: { effectiveOn: 'ASC', recordedAt: 'ASC', id: 'ASC' },
    });
  }

  /**
   * A page of the roster in admission order (UUIDv7 ids), after `afterId`, fetching one extra row; narrowed to
   * the caller's reach in the query itself. One SQL statement, no entity hydration: the rows map straight to
   * domain members. `count` (default true) also counts every matching member in the same statement;
   * `branches` joins each row's branch in, returned by id in `branches`.
   */
  async roster(
    criteria: RosterCriteria,
    size: number,
    afterId: string | undefined,
    reach: Reach,
    { count = true, branches = false }: { count?: boolean; branches?: boolean } = {},
  ): Promise<RosterPage> {
    const params: unknown[] = [];
    const where = rosterConditions(criteria, reach, params);
    const page = [...where];
    if (afterId) {
      params.push(afterId);
      page.push(`m.id > $${params.length}`);
    }
    params.push(size + 1);
    const limit = `$${params.length}`;
    const pageQuery = `SELECT ${MEMBER_COLUMNS}${branches ? `, ${BRANCH_COLUMNS}` : ''}
         FROM member m${branches ? ' JOIN branch b ON b.id = m.branch_id' : ''}
        WHERE ${page.join(' AND ')}
        ORDER BY m.id LIMIT ${limit}`;
    // the count and the page in one round trip; the LEFT JOIN keeps the count when the page is empty
    const rows: RosterRow[] = await this.dataSource.query(
      count
        ? `SELECT c.total, p.* FROM (SELECT count(*)::int AS total FROM member m WHERE ${where.join(' AND ')}) c
             LEFT JOIN LATERAL (${pageQuery}) p ON TRUE
            ORDER BY p.id`
        : pageQuery,
      params,
    );
    // counted, an empty page is one row with the count and no member
    const pageRows = rows[0]?.id === null ? [] : rows;
    const result: RosterPage = { rows: pageRows.map(memberOfRow), totalCount: rows[0]?.total };
    if (branches) {
      result.branches = new Map();
      for (const row of pageRows) {
        if (!result.branches.has(row.branch_id)) result.branches.set(row.branch_id, branchOfRow(row));
      }
    }
    return result;
  }

  /** How many members match the roster criteria within the caller's reach. */
  async rosterCount(criteria: RosterCriteria, reach: Reach): Promise<number> {
    const params: unknown[] = [];
    const where = rosterConditions(criteria, reach, params);
    const [{ total }] = await this.dataSource.query(
      `SELECT count(*)::int AS total FROM member m WHERE ${where.join(' AND ')}`,
      params,
    );
    return total;
  }

  /**
   * Composition of the active membership of one branch or of the federation (年度报告的会员结构): by gender,
   * category and age band (as of `today`), plus retirees and the staff headcount behind the join rate (the counts
   * in effect today of the active branches).
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
      `SELECT coalesce(sum((${LATEST_HEADCOUNT('b.id')})), 0)::int AS headcount FROM branch b
        WHERE b.status = 'ACTIVE' AND ($1::uuid IS NULL OR b.id = $1::uuid)`,
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
        memberOfEntity(e),
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
