import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { isUuid } from '@unionfed/persistence';
import type { StaffHeadcount } from '../domain/headcount';

/** A year's count as stored: with the time it was (last) recorded. */
export interface RecordedHeadcount extends StaffHeadcount {
  recordedAt: Date;
}

const COLUMNS = `branch_id AS "branchId", year::int AS year, staff_headcount AS "staffHeadcount",
  recorded_at AS "recordedAt"`;

/** 教职工总数 per branch and year (`branch_staff_headcount`). Writes take the caller's transaction. */
@Injectable()
export class HeadcountRepository {
  constructor(private readonly dataSource: DataSource) {}

  of(manager: EntityManager, branchId: string): Promise<RecordedHeadcount[]> {
    return headcountsOf(manager, branchId);
  }

  /** The counts of several branches in one query, by year; ids that are not UUIDs have none. */
  async ofBranches(branchIds: readonly string[]): Promise<Map<string, RecordedHeadcount[]>> {
    const ids = branchIds.filter(isUuid);
    const byBranch = new Map<string, RecordedHeadcount[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return byBranch;
    const rows: RecordedHeadcount[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM branch_staff_headcount WHERE branch_id = ANY($1::uuid[]) ORDER BY branch_id, year`,
      [ids],
    );
    for (const row of rows) byBranch.get(row.branchId)!.push(row);
    return byBranch;
  }

  save(manager: EntityManager, counts: readonly StaffHeadcount[]): Promise<void> {
    return saveHeadcounts(manager, counts);
  }
}

/** A branch's counts, by year (in the caller's transaction, after it locked the branch). */
export function headcountsOf(manager: EntityManager, branchId: string): Promise<RecordedHeadcount[]> {
  return manager.query(`SELECT ${COLUMNS} FROM branch_staff_headcount WHERE branch_id = $1 ORDER BY year`, [
    branchId,
  ]);
}

/** Records counts (a year counted again is overwritten: its count and the time of recording). */
export async function saveHeadcounts(
  manager: EntityManager,
  counts: readonly StaffHeadcount[],
): Promise<void> {
  if (counts.length === 0) return;
  await manager.query(
    `INSERT INTO branch_staff_headcount (branch_id, year, staff_headcount)
     SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::int[])
     ON CONFLICT (branch_id, year) DO UPDATE
       SET staff_headcount = excluded.staff_headcount, recorded_at = now()`,
    [counts.map((c) => c.branchId), counts.map((c) => c.year), counts.map((c) => c.staffHeadcount)],
  );
}
