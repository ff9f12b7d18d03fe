import type { Member } from '../domain/member';
import type { MemberEntity } from './entities';
import {
  MEMBER_COLUMNS,
  MEMBER_COPY_COLUMNS,
  memberCopyRow,
  memberEntityOf,
  memberOfEntity,
  memberOfRow,
  memberRowOf,
  memberSearchRowOf,
  memberWriteOf,
  MEMBER_SEARCH_COLUMNS,
  transferCandidateOf,
} from './member.mapper';

const full: Member = {
  id: '0192f0c1-0000-7000-8000-000000000001',
  memberNumber: 'M000001',
  staffNumber: 'T1001',
  name: '陈静',
  gender: 'FEMALE',
  birthDate: '1985-03-08',
  phone: '13800138000',
  email: 'chenjing@u.edu.cn',
  category: 'TEACHER',
  title: '副教授',
  branchId: '0192f0c0-0000-7000-8000-0000000000c5',
  groupId: '0192f0c2-0000-7000-8000-000000000001',
  joinedOn: '2010-09-01',
  status: 'ACTIVE',
};
const bare: Member = {
  id: '0192f0c1-0000-7000-8000-000000000002',
  memberNumber: 'M000002',
  staffNumber: 'T1002',
  name: '王伟',
  gender: 'MALE',
  category: 'SUPPORT',
  branchId: full.branchId,
  joinedOn: '2012-09-01',
  status: 'RETIRED',
};

describe('the member mapper (every shape of a member outside the domain)', () => {
  it('reads a stored row back as the very member it stores, absent values undefined rather than null', () => {
    for (const member of [full, bare]) expect(memberOfRow(memberRowOf(member))).toEqual(member);
    expect(memberRowOf(bare)).toMatchObject({ birth_date: null, phone: null, title: null, group_id: null });
  });

  it('reads an entity back as the member it was made from', () => {
    for (const member of [full, bare]) {
      const entity: MemberEntity = { ...memberEntityOf(member), createdAt: new Date() };
      expect(memberOfEntity(entity)).toEqual(member);
    }
    expect(memberEntityOf(bare)).toMatchObject({ birthDate: null, email: null, groupId: null });
  });

  it('selects with MEMBER_COLUMNS exactly the columns a member is stored in', () => {
    const selected = MEMBER_COLUMNS.split(',').map((c) =>
      c
        .trim()
        .split(/\s+AS\s+/i)
        .pop()!
        .replace(/^m\./, ''),
    );
    // every column but the name search's keys, which are written with the name and never read back
    const own = MEMBER_COPY_COLUMNS.filter((c) => !(MEMBER_SEARCH_COLUMNS as readonly string[]).includes(c));
    expect(selected).toEqual(own);
    expect(Object.keys(memberRowOf(full))).toEqual(own);
    expect(Object.keys(memberWriteOf(full))).toEqual([...MEMBER_COPY_COLUMNS]);
  });

  it('writes the name search’s keys with every write of a member: the entity, the bulk row, the COPY row', () => {
    expect(memberSearchRowOf(full)).toEqual({ name_characters: ['陈', '静'], name_initials: ['c', 'cj'] });
    expect(memberEntityOf(full)).toMatchObject({ nameCharacters: ['陈', '静'], nameInitials: ['c', 'cj'] });
    expect(memberCopyRow(full).slice(-2)).toEqual(['{"陈","静"}', '{"c","cj"}']);
  });

  it('writes a COPY row in MEMBER_COPY_COLUMNS order, the stored row’s values, NULL for what is absent', () => {
    expect(memberCopyRow(full)).toEqual([
      full.id,
      'M000001',
      'T1001',
      '陈静',
      'FEMALE',
      '1985-03-08',
      '13800138000',
      'chenjing@u.edu.cn',
      'TEACHER',
      '副教授',
      full.branchId,
      full.groupId,
      '2010-09-01',
      'ACTIVE',
      '{"陈","静"}',
      '{"c","cj"}',
    ]);
    for (const member of [full, bare]) {
      const stored = memberWriteOf(member);
      const copied = memberCopyRow(member).map((v) => v ?? null);
      expect(copied.slice(0, -2)).toEqual(MEMBER_COPY_COLUMNS.slice(0, -2).map((c) => stored[c]));
    }
  });

  it('shows a transfer request only the member’s name, 工号, member number, category and title', () => {
    expect(transferCandidateOf(memberRowOf(full))).toEqual({
      name: '陈静',
      staffNumber: 'T1001',
      memberNumber: 'M000001',
      category: 'TEACHER',
      title: '副教授',
    });
    expect(transferCandidateOf(memberRowOf(bare)).title).toBeUndefined();
  });
});
