import { textArrayLiteral, type CopyValue } from '@unionfed/persistence';
import type { Member, MemberCategory } from '../domain/member';
import type { MemberEntity, MemberHistoryEntity } from './entities';
import { nameSearchKeys } from './member-search';

/**
 * Every shape a member takes outside the domain, mapped in one place: a `member` row — read by raw SQL or as the
 * TypeORM entity — as the domain's Member (absent values undefined, not null); a Member as the columns it is
 * stored in (inserts, the import's bulk updates and COPY); and what the subgraph serves beside the Member itself
 * (its history entries, what a transfer request shows of it). A field added to Member is added here, once. (Its
 * integration events are application/integration-events.ts's `memberProfile`; its roster-file cells
 * domain/roster-import's `rosterCells`.)
 */

/** A member's columns on `member m`, as `memberOfRow` reads them (dates as YYYY-MM-DD text). */
export const MEMBER_COLUMNS = `m.id, m.member_number, m.staff_number, m.name, m.gender, m.birth_date::text AS birth_date,
  m.phone, m.email, m.category, m.title, m.branch_id, m.group_id, m.joined_on::text AS joined_on, m.status`;

/** A `member` row as stored (and as read with MEMBER_COLUMNS). */
export interface MemberRow {
  id: string;
  member_number: string;
  staff_number: string;
  name: string;
  gender: string;
  birth_date: string | null;
  phone: string | null;
  email: string | null;
  category: string;
  title: string | null;
  branch_id: string;
  group_id: string | null;
  joined_on: string;
  status: string;
}

/** A member row read with raw SQL, as the domain's Member (absent values undefined, not null). */
export const memberOfRow = (r: MemberRow): Member => ({
  id: r.id,
  memberNumber: r.member_number,
  staffNumber: r.staff_number,
  name: r.name,
  gender: r.gender as Member['gender'],
  birthDate: r.birth_date ?? undefined,
  phone: r.phone ?? undefined,
  email: r.email ?? undefined,
  category: r.category as Member['category'],
  title: r.title ?? undefined,
  branchId: r.branch_id,
  groupId: r.group_id ?? undefined,
  joinedOn: r.joined_on,
  status: r.status as Member['status'],
});

/**
 * The roster's name search keys (member-search.ts): stored beside a member's columns by every write of its name
 * (admission, the import's COPY and updates, a correction), never read back as part of the member.
 */
export interface MemberSearchRow {
  name_characters: string[];
  name_initials: string[];
}

export const MEMBER_SEARCH_COLUMNS: readonly (keyof MemberSearchRow)[] = ['name_characters', 'name_initials'];

export const memberSearchRowOf = (m: Pick<Member, 'name'>): MemberSearchRow => {
  const keys = nameSearchKeys(m.name);
  return { name_characters: keys.characters, name_initials: keys.initials };
};

export const memberSearchEntityOf = (
  m: Pick<Member, 'name'>,
): Pick<MemberEntity, 'nameCharacters' | 'nameInitials'> => {
  const keys = nameSearchKeys(m.name);
  return { nameCharacters: keys.characters, nameInitials: keys.initials };
};

/** A member entity (TypeORM), as the domain's Member. */
export const memberOfEntity = (e: MemberEntity): Member => ({
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

/** A Member as the entity TypeORM inserts (absent values NULL). */
export const memberEntityOf = (m: Member): Omit<MemberEntity, 'createdAt'> => ({
  id: m.id,
  memberNumber: m.memberNumber,
  staffNumber: m.staffNumber,
  name: m.name,
  gender: m.gender,
  birthDate: m.birthDate ?? null,
  phone: m.phone ?? null,
  email: m.email ?? null,
  category: m.category,
  title: m.title ?? null,
  branchId: m.branchId,
  groupId: m.groupId ?? null,
  joinedOn: m.joinedOn,
  status: m.status,
  ...memberSearchEntityOf(m),
});

/** A Member as its stored row (absent values NULL): the import's bulk writes (JSON records, COPY). */
export const memberRowOf = (m: Member): MemberRow => ({
  id: m.id,
  member_number: m.memberNumber,
  staff_number: m.staffNumber,
  name: m.name,
  gender: m.gender,
  birth_date: m.birthDate ?? null,
  phone: m.phone ?? null,
  email: m.email ?? null,
  category: m.category,
  title: m.title ?? null,
  branch_id: m.branchId,
  group_id: m.groupId ?? null,
  joined_on: m.joinedOn,
  status: m.status,
});

/** A Member as everything a write of it stores: its row and its name search keys (the import's bulk updates). */
export const memberWriteOf = (m: Member): MemberRow & MemberSearchRow => ({
  ...memberRowOf(m),
  ...memberSearchRowOf(m),
});

/** The member table's columns as COPY writes them, in `memberCopyRow`'s order: the row's, then the search keys. */
export const MEMBER_COPY_COLUMNS: readonly (keyof MemberRow | keyof MemberSearchRow)[] = [
  'id',
  'member_number',
  'staff_number',
  'name',
  'gender',
  'birth_date',
  'phone',
  'email',
  'category',
  'title',
  'branch_id',
  'group_id',
  'joined_on',
  'status',
  'name_characters',
  'name_initials',
];

/**
 * A Member as a COPY row: `memberWriteOf`'s values in MEMBER_COPY_COLUMNS order (the spec holds them to it), built
 * straight as an array — the import writes one per new member (0.14 µs instead of 0.6 through the record; the
 * search keys, a few µs, are most of it) — the keys as text[] literals.
 */
export function memberCopyRow(m: Member): CopyValue[] {
  const keys = nameSearchKeys(m.name);
  return [
    m.id,
    m.memberNumber,
    m.staffNumber,
    m.name,
    m.gender,
    m.birthDate,
    m.phone,
    m.email,
    m.category,
    m.title,
    m.branchId,
    m.groupId,
    m.joinedOn,
    m.status,
    textArrayLiteral(keys.characters),
    textArrayLiteral(keys.initials),
  ];
}

/**
 * What a transfer request shows of its member: what the receiving branch needs to decide (name, 工号, member
 * number, category, title) — not their contact details or birth date, which stay the sending branch's until the
 * member arrives.
 */
export interface TransferCandidate {
  name: string;
  staffNumber: string;
  memberNumber: string;
  category: MemberCategory;
  title?: string;
}

/** The candidate of a transfer request, from the member's columns of the same names. */
export const transferCandidateOf = (
  r: Pick<MemberRow, 'name' | 'staff_number' | 'member_number' | 'category' | 'title'>,
): TransferCandidate => ({
  name: r.name,
  staffNumber: r.staff_number,
  memberNumber: r.member_number,
  category: r.category as MemberCategory,
  title: r.title ?? undefined,
});

/** A member's history entry (会员档案) as the subgraph serves it: recorded when, as an ISO timestamp. */
export const memberHistoryOf = (e: MemberHistoryEntity) => ({ ...e, recordedAt: e.recordedAt.toISOString() });
