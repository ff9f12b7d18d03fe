import type { DataSource, EntityManager } from 'typeorm';
import {
  BranchKind,
  BranchStatus,
  EVENT_REGISTRY,
  Gender,
  MemberCategory,
  MembershipEvents,
  type MemberJoined,
  type MemberProfile,
} from '@unionfed/contracts';
import { EventDispatcher, type DispatcherOptions, type HandlerContext } from '@unionfed/messaging';

const enumName = <E extends Record<string, string | number>>(e: E, value: number, fallback: string) =>
  value ? String(e[value as unknown as keyof E]) : fallback;

function profileColumns(profile: MemberProfile | undefined) {
  return {
    staff_number: profile?.staffNumber || null,
    member_number: profile?.memberNumber || null,
    name: profile?.name || null,
    gender: profile?.gender ? enumName(Gender, profile.gender, '') : null,
    birth_date: profile?.birthDate?.iso || null,
    category: profile?.category ? enumName(MemberCategory, profile.category, '') : null,
  };
}

/**
 * Inserts or updates a member's row. `onInsertOnly` columns are written only when this directory has not seen
 * the member yet (events of different topics may arrive in any order).
 */
async function upsertMember(
  manager: EntityManager,
  memberId: string,
  columns: Record<string, unknown>,
  onInsertOnly: Record<string, unknown> = {},
): Promise<void> {
  const all = { ...onInsertOnly, ...columns };
  const names = Object.keys(all);
  await manager.query(
    `INSERT INTO member_directory (member_id, ${names.join(', ')}, updated_at)
     VALUES ($1, ${names.map((_, i) => `$${i + 2}`).join(', ')}, now())
     ON CONFLICT (member_id) DO UPDATE SET ${Object.keys(columns)
       .map((n) => `${n} = EXCLUDED.${n}`)
       .join(', ')}, updated_at = now()`,
    [memberId, ...Object.values(all)],
  );
}

/**
 * Members' first facts in bulk (MembersImported). The import's topic is not the member topic, so a member's later
 * event may have arrived first: such a row keeps its branch and status, and its profile when a profile event
 * brought one (every profile carries the staff number; a field that event left empty stays empty). Only what is
 * still unknown is filled in.
 */
async function fillInJoinedMembers(manager: EntityManager, members: readonly MemberJoined[]): Promise<void> {
  if (members.length === 0) return;
  const rows = members.map((e) => ({
    member_id: e.memberId,
    branch_id: e.branchId,
    ...profileColumns(e.profile),
    joined_on: e.joinedOn?.iso || null,
  }));
  const profile = ['staff_number', 'member_number', 'name', 'gender', 'birth_date', 'category'];
  await manager.query(
    `INSERT INTO member_directory (member_id, branch_id, ${profile.join(', ')}, joined_on, status, updated_at)
     SELECT r.member_id, r.branch_id, ${profile.map((c) => `r.${c}`).join(', ')}, r.joined_on, 'ACTIVE', now()
       FROM json_to_recordset($1::json) AS r(member_id uuid, branch_id uuid, staff_number text, member_number text,
            name text, gender text, birth_date date, category text, joined_on date)
     ON CONFLICT (member_id) DO UPDATE SET ${profile
       .map(
         (c) =>
           `${c} = CASE WHEN member_directory.staff_number IS NULL THEN EXCLUDED.${c} ELSE member_directory.${c} END`,
       )
       .join(
         ', ',
       )}, joined_on = COALESCE(member_directory.joined_on, EXCLUDED.joined_on), updated_at = now()`,
    [JSON.stringify(rows)],
  );
}

/** Updates only the columns given, for a member this directory may not have seen join (created then). */
async function setMemberStatus(
  manager: EntityManager,
  memberId: string,
  branchId: string,
  status: string,
): Promise<void> {
  await upsertMember(manager, memberId, { branch_id: branchId, status });
}

async function recordProgress(
  manager: EntityManager,
  projection: string,
  context: HandlerContext,
): Promise<void> {
  await manager.query(
    `INSERT INTO projection_status (projection, events_applied, last_event_id, last_event_type, last_event_time, updated_at)
     VALUES ($1, 1, $2, $3, $4, now())
     ON CONFLICT (projection) DO UPDATE SET events_applied = projection_status.events_applied + 1,
       last_event_id = EXCLUDED.last_event_id, last_event_type = EXCLUDED.last_event_type,
       last_event_time = EXCLUDED.last_event_time, updated_at = now()`,
    [projection, context.envelope.id, context.envelope.type, context.envelope.time],
  );
}

/**
 * The membership projection: every membership event keeps `branch_directory` and `member_directory` current.
 * Each handler runs inside the inbox transaction, so a redelivered event is applied once.
 */
/** The consumer (inbox, dead letters, metrics) name of a service's directory projection. */
export const directoryConsumerOf = (service: string): string => `${service}.directory`;

export function createDirectoryDispatcher(
  dataSource: DataSource,
  service: string,
  options: Pick<DispatcherOptions, 'log' | 'deadLetters' | 'observer' | 'retry' | 'sleep'> = {},
): EventDispatcher {
  const projection = directoryConsumerOf(service);
  const dispatcher = new EventDispatcher(dataSource, {
    consumer: projection,
    registry: EVENT_REGISTRY,
    ...options,
  });
  const progress = (context: HandlerContext) => recordProgress(context.manager, projection, context);
  const upsertBranch = async (
    manager: EntityManager,
    e: {
      branchId: string;
      campusId: string;
      code: string;
      name: string;
      kind: BranchKind;
      staffHeadcount: number;
    },
    status: string,
  ) =>
    manager.query(
      `INSERT INTO branch_directory (branch_id, campus_id, code, name, kind, staff_headcount, status, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())
       ON CONFLICT (branch_id) DO UPDATE SET campus_id = EXCLUDED.campus_id, code = EXCLUDED.code, name = EXCLUDED.name,
         kind = EXCLUDED.kind, staff_headcount = EXCLUDED.staff_headcount, status = EXCLUDED.status, updated_at = now()`,
      [
        e.branchId,
        e.campusId || null,
        e.code,
        e.name,
        enumName(BranchKind, e.kind, 'COLLEGE'),
        e.staffHeadcount,
        status,
      ],
    );

  return dispatcher
    .on(MembershipEvents.BranchOpened, async (e, context) => {
      await upsertBranch(context.manager, e, 'ACTIVE');
      await progress(context);
    })
    .on(MembershipEvents.BranchUpdated, async (e, context) => {
      await upsertBranch(context.manager, e, enumName(BranchStatus, e.status, 'ACTIVE'));
      await progress(context);
    })
    .on(MembershipEvents.BranchMerged, async (e, context) => {
      // its members move with their own MemberTransferred events, the target's headcount with a BranchUpdated
      await context.manager.query(
        `UPDATE branch_directory SET status = 'MERGED', staff_headcount = 0, updated_at = now()
          WHERE branch_id = $1`,
        [e.sourceBranchId],
      );
      await progress(context);
    })
    .on(MembershipEvents.BranchDissolved, async (e, context) => {
      await context.manager.query(
        `UPDATE branch_directory SET status = 'DISSOLVED', updated_at = now() WHERE branch_id = $1`,
        [e.branchId],
      );
      await progress(context);
    })
    .on(MembershipEvents.MemberJoined, async (e, context) => {
      await upsertMember(context.manager, e.memberId, {
        branch_id: e.branchId,
        ...profileColumns(e.profile),
        status: 'ACTIVE',
        joined_on: e.joinedOn?.iso || null,
      });
      await progress(context);
    })
    .on(MembershipEvents.MembersImported, async (e, context) => {
      await fillInJoinedMembers(context.manager, e.members);
      await progress(context);
    })
    .on(MembershipEvents.MemberProfileUpdated, async (e, context) => {
      await upsertMember(
        context.manager,
        e.memberId,
        { branch_id: e.branchId, ...profileColumns(e.profile) },
        { status: 'ACTIVE' },
      );
      await progress(context);
    })
    .on(MembershipEvents.MemberTransferred, async (e, context) => {
      await upsertMember(context.manager, e.memberId, { branch_id: e.toBranchId, status: 'ACTIVE' });
      await progress(context);
    })
    .on(MembershipEvents.MemberRetired, async (e, context) => {
      await setMemberStatus(context.manager, e.memberId, e.branchId, 'RETIRED');
      await progress(context);
    })
    .on(MembershipEvents.MemberWithdrew, async (e, context) => {
      await setMemberStatus(context.manager, e.memberId, e.branchId, 'WITHDRAWN');
      await progress(context);
    })
    .on(MembershipEvents.MemberDeceased, async (e, context) => {
      await setMemberStatus(context.manager, e.memberId, e.branchId, 'DECEASED');
      await progress(context);
    });
}
