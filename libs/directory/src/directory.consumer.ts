import {
  BranchKind,
  BranchStatus,
  CommitteeRole,
  Gender,
  MemberCategory,
  MemberStatus,
  MembershipEvents,
  type BranchDissolved,
  type BranchMerged,
  type BranchOpened,
  type BranchUpdated,
  type CommitteeRoleAssigned,
  type CommitteeRoleEnded,
  type MemberDeceased,
  type MemberGroupChanged,
  type MemberJoined,
  type MemberProfile,
  type MemberProfileUpdated,
  type MemberReinstated,
  type MembersImported,
  type MemberRetired,
  type MemberTransferred,
  type MemberWithdrew,
  type UnionGroupDissolved,
  type UnionGroupFormed,
  type UnionGroupRenamed,
} from '@unionfed/contracts';
import {
  EventConsumer,
  OnEvent,
  type BatchWrites,
  type HandlerContext,
  type VersionedTable,
} from '@unionfed/messaging';

const enumName = <E extends Record<string, string | number>>(e: E, value: number, fallback: string) =>
  value ? String(e[value as unknown as keyof E]) : fallback;
/** an id the event leaves empty is none */
const idOrNull = (id: string) => id || null;

// The directory's tables as BatchWrites writes them (one upsert per table and transaction, newest version wins).
export const MEMBER_DIRECTORY: VersionedTable = {
  table: 'member_directory',
  key: ['member_id'],
  columns: {
    member_id: 'uuid',
    branch_id: 'uuid',
    group_id: 'uuid',
    staff_number: 'text',
    member_number: 'text',
    name: 'text',
    gender: 'text',
    birth_date: 'date',
    category: 'text',
    status: 'text',
    joined_on: 'date',
  },
  // a member first met through an event that does not say (a profile or group change): active until told
  defaults: { status: 'ACTIVE' },
};

export const BRANCH_DIRECTORY: VersionedTable = {
  table: 'branch_directory',
  key: ['branch_id'],
  columns: {
    branch_id: 'uuid',
    campus_id: 'uuid',
    code: 'text',
    name: 'text',
    kind: 'text',
    staff_headcount: 'integer',
    status: 'text',
  },
  defaults: { code: '', name: '', kind: 'COLLEGE', staff_headcount: 0, status: 'ACTIVE' },
};

export const UNION_GROUP_DIRECTORY: VersionedTable = {
  table: 'union_group_directory',
  key: ['group_id'],
  columns: {
    group_id: 'uuid',
    branch_id: 'uuid',
    name: 'text',
    leader_member_id: 'uuid',
    status: 'text',
    formed_on: 'date',
    dissolved_on: 'date',
  },
  defaults: { name: '', status: 'ACTIVE' },
};

export const COMMITTEE_DIRECTORY: VersionedTable = {
  table: 'committee_directory',
  key: ['appointment_id'],
  columns: {
    appointment_id: 'uuid',
    committee_branch_id: 'uuid',
    member_id: 'uuid',
    role: 'text',
    group_id: 'uuid',
    starts_on: 'date',
    ends_on: 'date',
    status: 'text',
    end_reason: 'text',
  },
  defaults: { role: 'COMMITTEE', status: 'ACTIVE' },
};

export const PROJECTION_STATUS: VersionedTable = {
  table: 'projection_status',
  key: ['projection'],
  columns: {
    projection: 'text',
    events_applied: 'bigint',
    last_event_id: 'uuid',
    last_event_type: 'text',
    last_event_time: 'timestamptz',
  },
  defaults: { events_applied: 0 },
  merge: { events_applied: 'add' },
};

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

/** A member's first facts, from their MemberJoined or their entry of a roster import's MembersImported. */
function joined(writes: BatchWrites, e: MemberJoined): void {
  writes.upsert(
    MEMBER_DIRECTORY,
    {
      member_id: e.memberId,
      branch_id: e.branchId,
      group_id: idOrNull(e.groupId),
      ...profileColumns(e.profile),
      status: 'ACTIVE',
      joined_on: e.joinedOn?.iso || null,
    },
    e.version,
  );
}

/** A branch's whole state (BranchOpened, BranchUpdated). Branch events are ordered by their topic: no version. */
function branchState(writes: BatchWrites, e: BranchOpened | BranchUpdated, status: string): void {
  writes.upsert(BRANCH_DIRECTORY, {
    branch_id: e.branchId,
    campus_id: idOrNull(e.campusId),
    code: e.code,
    name: e.name,
    kind: enumName(BranchKind, e.kind, 'COLLEGE'),
    staff_headcount: e.staffHeadcount,
    status,
  });
}

/** How far the directory has got: one more event applied, and which. */
function progress(context: HandlerContext): void {
  const { envelope } = context;
  context.writes.upsert(PROJECTION_STATUS, {
    projection: context.consumer,
    events_applied: 1,
    last_event_id: envelope.id,
    last_event_type: envelope.type,
    last_event_time: envelope.time,
  });
}

/**
 * The membership directory (event-carried state): every membership event keeps `branch_directory`,
 * `member_directory`, `union_group_directory` and `committee_directory` current, in the inbox transaction of
 * its batch, each table written once per transaction.
 *
 * Every event writes the columns it knows, at its version: a member's events carry the member's version (the
 * id of the member_history entry of the change), so the member topic and the roster import's topic may arrive
 * in any order and the newest fact of each column stays. An event without a version (published before the
 * field existed; and branch, group and committee events, which one topic keeps in order per key) is older than
 * any versioned fact and, among unversioned ones, the later delivered wins.
 */
@EventConsumer('directory')
export class DirectoryConsumer {
  @OnEvent(MembershipEvents.BranchOpened)
  async branchOpened(e: BranchOpened, context: HandlerContext): Promise<void> {
    branchState(context.writes, e, 'ACTIVE');
    progress(context);
  }

  @OnEvent(MembershipEvents.BranchUpdated)
  async branchUpdated(e: BranchUpdated, context: HandlerContext): Promise<void> {
    branchState(context.writes, e, enumName(BranchStatus, e.status, 'ACTIVE'));
    progress(context);
  }

  @OnEvent(MembershipEvents.BranchMerged)
  async branchMerged(e: BranchMerged, context: HandlerContext): Promise<void> {
    // its members move with their own MemberTransferred events, the target's headcount with a BranchUpdated
    context.writes.upsert(BRANCH_DIRECTORY, {
      branch_id: e.sourceBranchId,
      status: 'MERGED',
      staff_headcount: 0,
    });
    progress(context);
  }

  @OnEvent(MembershipEvents.BranchDissolved)
  async branchDissolved(e: BranchDissolved, context: HandlerContext): Promise<void> {
    context.writes.upsert(BRANCH_DIRECTORY, { branch_id: e.branchId, status: 'DISSOLVED' });
    progress(context);
  }

  @OnEvent(MembershipEvents.MemberJoined)
  async memberJoined(e: MemberJoined, context: HandlerContext): Promise<void> {
    joined(context.writes, e);
    progress(context);
  }

  @OnEvent(MembershipEvents.MembersImported)
  async membersImported(e: MembersImported, context: HandlerContext): Promise<void> {
    for (const member of e.members) joined(context.writes, member);
    progress(context);
  }

  @OnEvent(MembershipEvents.MemberProfileUpdated)
  async memberProfileUpdated(e: MemberProfileUpdated, context: HandlerContext): Promise<void> {
    context.writes.upsert(
      MEMBER_DIRECTORY,
      { member_id: e.memberId, branch_id: e.branchId, ...profileColumns(e.profile) },
      e.version,
    );
    progress(context);
  }

  @OnEvent(MembershipEvents.MemberTransferred)
  async memberTransferred(e: MemberTransferred, context: HandlerContext): Promise<void> {
    context.writes.upsert(
      MEMBER_DIRECTORY,
      { member_id: e.memberId, branch_id: e.toBranchId, group_id: idOrNull(e.toGroupId), status: 'ACTIVE' },
      e.version,
    );
    progress(context);
  }

  @OnEvent(MembershipEvents.MemberRetired)
  async memberRetired(e: MemberRetired, context: HandlerContext): Promise<void> {
    this.status(context, e, 'RETIRED');
  }

  @OnEvent(MembershipEvents.MemberWithdrew)
  async memberWithdrew(e: MemberWithdrew, context: HandlerContext): Promise<void> {
    this.status(context, e, 'WITHDRAWN');
  }

  @OnEvent(MembershipEvents.MemberDeceased)
  async memberDeceased(e: MemberDeceased, context: HandlerContext): Promise<void> {
    this.status(context, e, 'DECEASED');
  }

  /** 重新入会: the member counts again, in the branch they rejoined, in no union group. */
  @OnEvent(MembershipEvents.MemberReinstated)
  async memberReinstated(e: MemberReinstated, context: HandlerContext): Promise<void> {
    context.writes.upsert(
      MEMBER_DIRECTORY,
      {
        member_id: e.memberId,
        branch_id: e.branchId,
        group_id: null,
        status: enumName(MemberStatus, e.status, 'ACTIVE'),
      },
      e.version,
    );
    progress(context);
  }

  @OnEvent(MembershipEvents.MemberGroupChanged)
  async memberGroupChanged(e: MemberGroupChanged, context: HandlerContext): Promise<void> {
    context.writes.upsert(
      MEMBER_DIRECTORY,
      { member_id: e.memberId, branch_id: e.branchId, group_id: idOrNull(e.groupId) },
      e.version,
    );
    progress(context);
  }

  @OnEvent(MembershipEvents.UnionGroupFormed)
  async unionGroupFormed(e: UnionGroupFormed, context: HandlerContext): Promise<void> {
    context.writes.upsert(UNION_GROUP_DIRECTORY, {
      group_id: e.groupId,
      branch_id: e.branchId,
      name: e.name,
      leader_member_id: idOrNull(e.leaderMemberId),
      status: 'ACTIVE',
      formed_on: e.formedOn?.iso || null,
    });
    progress(context);
  }

  @OnEvent(MembershipEvents.UnionGroupRenamed)
  async unionGroupRenamed(e: UnionGroupRenamed, context: HandlerContext): Promise<void> {
    context.writes.upsert(UNION_GROUP_DIRECTORY, {
      group_id: e.groupId,
      branch_id: e.branchId,
      name: e.name,
    });
    progress(context);
  }

  @OnEvent(MembershipEvents.UnionGroupDissolved)
  async unionGroupDissolved(e: UnionGroupDissolved, context: HandlerContext): Promise<void> {
    context.writes.upsert(UNION_GROUP_DIRECTORY, {
      group_id: e.groupId,
      branch_id: e.branchId,
      status: 'DISSOLVED',
      dissolved_on: e.dissolvedOn?.iso || null,
    });
    progress(context);
  }

  @OnEvent(MembershipEvents.CommitteeRoleAssigned)
  async committeeRoleAssigned(e: CommitteeRoleAssigned, context: HandlerContext): Promise<void> {
    context.writes.upsert(COMMITTEE_DIRECTORY, {
      ...appointmentOf(e),
      starts_on: e.startsOn?.iso || null,
      ends_on: e.endsOn?.iso || null,
      status: 'ACTIVE',
    });
    progress(context);
  }

  @OnEvent(MembershipEvents.CommitteeRoleEnded)
  async committeeRoleEnded(e: CommitteeRoleEnded, context: HandlerContext): Promise<void> {
    context.writes.upsert(COMMITTEE_DIRECTORY, {
      ...appointmentOf(e),
      ends_on: e.endsOn?.iso || null,
      status: 'ENDED',
      end_reason: e.reason || null,
    });
    progress(context);
  }

  private status(
    context: HandlerContext,
    e: MemberRetired | MemberWithdrew | MemberDeceased,
    status: string,
  ): void {
    context.writes.upsert(
      MEMBER_DIRECTORY,
      { member_id: e.memberId, branch_id: e.branchId, status },
      e.version,
    );
    progress(context);
  }
}

function appointmentOf(e: CommitteeRoleAssigned | CommitteeRoleEnded) {
  return {
    appointment_id: e.appointmentId,
    committee_branch_id: idOrNull(e.committeeBranchId),
    member_id: e.memberId,
    role: enumName(CommitteeRole, e.role, 'COMMITTEE'),
    group_id: idOrNull(e.groupId),
  };
}
