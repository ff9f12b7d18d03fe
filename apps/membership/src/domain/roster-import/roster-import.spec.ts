import { ConflictError, DomainError } from '@unionfed/domain-kit';
import type { Member } from '../member';
import type { Branch } from '../structure';
import type { UnionGroup } from '../union-group';
import {
  BranchDirectory,
  changeProblem,
  GroupDirectory,
  checkRow,
  ColumnLayout,
  duplicateProblem,
  isoDateText,
  parseMapping,
  rosterChange,
  RosterFileError,
  type RosterField,
  type RosterRow,
  type RowContext,
} from '.';

const branch = (code: string, name: string, status: Branch['status'] = 'ACTIVE'): Branch => ({
  id: `0192f0c0-0000-7000-8000-${code.padStart(12, '0').slice(-12)}`.toLowerCase(),
  campusId: '0192f0c0-0000-7000-8000-00000000000c',
  code,
  name,
  kind: 'COLLEGE',
  staffHeadcount: 10,
  status,
});
const CS = branch('CS', '计算机学院分工会');
const MATH = branch('MATH', '数学学院分工会');
const OLD = branch('OLDLIB', '老图书馆分工会', 'DISSOLVED');
const TODAY = '2026-11-22';

const ZH_HEADERS = [
  '工号',
  '姓名',
  '性别',
  '出生日期',
  '所属分工会',
  '人员类别',
  '入会日期',
  '手机',
  '邮箱',
  '职称',
];

function context(overrides: Partial<RowContext> = {}, headers = ZH_HEADERS): RowContext {
  return {
    columns: ColumnLayout.read(headers),
    branches: new BranchDirectory([CS, MATH, OLD]),
    mayImportInto: () => true,
    today: TODAY,
    ...overrides,
  };
}

function row(cells: Partial<Record<RosterField, string>>, extra: Partial<RosterRow> = {}): RosterRow {
  return {
    row: 7,
    cells: {
      staffNumber: 't1001',
      name: '陈静',
      gender: '女',
      birthDate: '1985-03-08',
      branch: 'CS',
      category: '专任教师',
      joinedOn: '2010-09-01',
      phone: '13800138000',
      email: 'chenjing@u.edu.cn',
      title: '副教授',
      ...cells,
    },
    ...extra,
  };
}

function problemsOf(result: ReturnType<typeof checkRow>) {
  if (result.ok) throw new Error('expected problems, the row was valid');
  return result.problems;
}

describe('roster columns (表头)', () => {
  it('reads Chinese headers', () => {
    const columns = ColumnLayout.read(ZH_HEADERS);
    expect(Object.fromEntries(columns.indexOf)).toEqual({
      staffNumber: 0,
      name: 1,
      gender: 2,
      birthDate: 3,
      branch: 4,
      category: 5,
      joinedOn: 6,
      phone: 7,
      email: 8,
      title: 9,
    });
    expect(columns.ignored).toEqual([]);
  });

  it('reads English headers, whatever their case, spacing and punctuation', () => {
    const columns = ColumnLayout.read([
      'Staff Number',
      'name',
      'GENDER',
      'birth_date',
      'Branch',
      'category',
      'E-mail',
    ]);
    expect(Object.fromEntries(columns.indexOf)).toEqual({
      staffNumber: 0,
      name: 1,
      gender: 2,
      birthDate: 3,
      branch: 4,
      category: 5,
      email: 6,
    });
  });

  it('reads headers with full-width brackets and a required-mark, and reports columns it does not know', () => {
    const columns = ColumnLayout.read([
      '*工号',
      '姓名',
      '性别',
      '出生日期（YYYY-MM-DD）',
      '分工会代码',
      '人员类别',
      '备注',
      '会员编号',
    ]);
    expect(columns.indexOf.get('birthDate')).toBe(3);
    expect(columns.indexOf.get('branchCode')).toBe(4);
    // 会员编号 is the record's own (written by the export) and read past silently; 备注 is reported
    expect(columns.ignored).toEqual(['备注']);
    expect(columns.headerOf('birthDate')).toBe('出生日期（YYYY-MM-DD）');
  });

  it('follows an explicit mapping, by field name or by a header meaning the field, over the built-in names', () => {
    const columns = ColumnLayout.read(['员工编号', '姓名', '性别', '部门', '类型', '姓名拼音', '工号'], {
      员工编号: 'staffNumber',
      部门: '所属分工会',
      类型: 'category',
      工号: 'ignore',
    });
    expect(Object.fromEntries(columns.indexOf)).toEqual({
      staffNumber: 0,
      name: 1,
      gender: 2,
      branch: 3,
      category: 4,
    });
    // the columns not imported, the one dropped on purpose included
    expect(columns.ignored).toEqual(['姓名拼音', '工号']);
  });

  it('refuses a file without a required column, naming every missing one in both languages', () => {
    expect(() => ColumnLayout.read(['姓名', '出生日期'])).toThrow(
      expect.objectContaining({
        reason: 'MISSING_COLUMN',
        messageZh: '缺少必需的列：工号、性别、人员类别、所属分工会',
        message: 'required columns are missing: staff number, gender, category, branch',
      }),
    );
  });

  it('refuses a file with a column twice', () => {
    expect(() => ColumnLayout.read([...ZH_HEADERS, 'staffNumber'])).toThrow(
      expect.objectContaining({ reason: 'DUPLICATE_COLUMN' }),
    );
  });

  it('refuses a mapping to something that is not a field, and a mapping that is not a JSON object of strings', () => {
    expect(() => parseMapping('{"员工编号":"salary"}')).toThrow(
      expect.objectContaining({ reason: 'INVALID_MAPPING' }),
    );
    expect(() => parseMapping('[1,2]')).toThrow(RosterFileError);
    expect(() => parseMapping('{nope')).toThrow(expect.objectContaining({ reason: 'INVALID_MAPPING' }));
    expect(parseMapping('{"员工编号":"工号"}')).toEqual({ 员工编号: '工号' });
  });

  it('tells a header row from a title row above it', () => {
    expect(ColumnLayout.looksLikeHeader(['计算机学院分工会会员花名册'])).toBe(false);
    expect(ColumnLayout.looksLikeHeader(ZH_HEADERS)).toBe(true);
  });
});

describe('a roster row, checked (每行每列的问题，中英文)', () => {
  it('turns a valid row into the member it describes: 男/女, 专任教师…, dates as office software writes them', () => {
    const result = checkRow(
      row({
        gender: '女',
        category: '工勤',
        birthDate: '1985/3/8',
        joinedOn: '2010年9月1日',
        staffNumber: ' t1001 ',
      }),
      context(),
    );
    expect(result).toMatchObject({
      ok: true,
      staffNumber: 'T1001',
      branch: CS,
      member: {
        staffNumber: 'T1001',
        name: '陈静',
        gender: 'FEMALE',
        category: 'SUPPORT',
        birthDate: '1985-03-08',
        joinedOn: '2010-09-01',
        branchId: CS.id,
        status: 'ACTIVE',
      },
    });
  });

  it('finds the branch by its full name as well as by its code', () => {
    expect(checkRow(row({ branch: '数学学院分工会' }), context())).toMatchObject({ ok: true, branch: MATH });
    expect(checkRow(row({ branch: 'math' }), context())).toMatchObject({ ok: true, branch: MATH });
  });

  it('reports a malformed date with the row, the column as the file names it, and a reason in Chinese and English', () => {
    expect(problemsOf(checkRow(row({ birthDate: '1985-13-45' }), context()))).toEqual([
      {
        row: 7,
        column: '出生日期',
        code: 'INVALID_DATE',
        message: '出生日期格式应为 YYYY-MM-DD',
        messageEn: 'birth date must be YYYY-MM-DD',
        staffNumber: 'T1001',
      },
    ]);
    expect(problemsOf(checkRow(row({ joinedOn: 'last spring' }), context()))).toEqual([
      expect.objectContaining({
        column: '入会日期',
        code: 'INVALID_DATE',
        message: '入会日期格式应为 YYYY-MM-DD',
      }),
    ]);
  });

  it('names the column as the file does when the headers are English', () => {
    const english = ['staffNumber', 'name', 'gender', 'birthDate', 'branch', 'category'];
    expect(problemsOf(checkRow(row({ birthDate: '08.03.1985' }), context({}, english)))).toEqual([
      expect.objectContaining({ column: 'birthDate', code: 'INVALID_DATE' }),
    ]);
  });

  it('reports an unknown branch', () => {
    expect(problemsOf(checkRow(row({ branch: '不存在学院分工会' }), context()))).toEqual([
      expect.objectContaining({
        column: '所属分工会',
        code: 'UNKNOWN_BRANCH',
        message: '找不到所属分工会“不存在学院分工会”（请填写分工会代码或全称）',
        messageEn: 'there is no branch "不存在学院分工会" (give the branch\'s code or full name)',
      }),
    ]);
  });

  it('refuses, per row, a branch outside the importer’s reach (FORBIDDEN)', () => {
    const onlyMath = context({ mayImportInto: (id) => id === MATH.id });
    expect(problemsOf(checkRow(row({ branch: 'CS' }), onlyMath))).toEqual([
      expect.objectContaining({
        column: '所属分工会',
        code: 'FORBIDDEN',
        message: '您无权导入分工会“CS”的会员',
        messageEn: 'you may not import members of branch "CS"',
      }),
    ]);
    expect(checkRow(row({ branch: 'MATH' }), onlyMath).ok).toBe(true);
  });

  it('refuses a dissolved branch by the member rules (BRANCH_NOT_ACTIVE)', () => {
    expect(problemsOf(checkRow(row({ branch: 'OLDLIB' }), context()))).toEqual([
      expect.objectContaining({ column: '所属分工会', code: 'BRANCH_NOT_ACTIVE' }),
    ]);
  });

  it('reports unknown gender and category codes', () => {
    expect(problemsOf(checkRow(row({ gender: '未知', category: '临时工' }), context()))).toEqual([
      expect.objectContaining({
        column: '性别',
        code: 'INVALID_GENDER',
        message: '性别应为“男”或“女”',
        messageEn: 'gender must be 男/女 or MALE/FEMALE',
      }),
      expect.objectContaining({
        column: '人员类别',
        code: 'INVALID_CATEGORY',
        message: '人员类别应为 专任教师、管理、工勤、合同制 之一',
      }),
    ]);
    expect(checkRow(row({ gender: 'male', category: 'contract' }), context())).toMatchObject({
      ok: true,
      member: { gender: 'MALE', category: 'CONTRACT' },
    });
  });

  it('reports an empty name and empty required cells', () => {
    expect(problemsOf(checkRow(row({ name: '  ', gender: '' }), context()))).toEqual([
      expect.objectContaining({
        column: '姓名',
        code: 'NAME_REQUIRED',
        message: '姓名不能为空',
        messageEn: 'name must not be empty',
      }),
      expect.objectContaining({
        column: '性别',
        code: 'REQUIRED',
        message: '性别不能为空',
        messageEn: 'gender must not be empty',
      }),
    ]);
  });

  it('reports every problem of a row at once, each rule being member.ts’s', () => {
    const problems = problemsOf(
      checkRow(
        row({
          staffNumber: 'T 1001!',
          birthDate: '2020-01-01',
          joinedOn: '2099-01-01',
          phone: 'call me',
          email: 'not-an-address',
          branch: 'NOPE',
        }),
        context(),
      ),
    );
    // left to right, as the columns stand in the file
    expect(problems.map((p) => [p.column, p.code])).toEqual([
      ['工号', 'INVALID_STAFF_NUMBER'],
      ['出生日期', 'IMPLAUSIBLE_BIRTH_DATE'],
      ['所属分工会', 'UNKNOWN_BRANCH'],
      ['入会日期', 'JOINED_IN_FUTURE'],
      ['手机', 'INVALID_PHONE'],
      ['邮箱', 'INVALID_EMAIL'],
    ]);
  });

  it('reports a row with two problems — a joining date in the future and a bad phone number — both, each once', () => {
    expect(
      problemsOf(checkRow(row({ joinedOn: '2099-09-01', phone: 'call me' }), context())).map((p) => [
        p.column,
        p.code,
        p.staffNumber,
      ]),
    ).toEqual([
      ['入会日期', 'JOINED_IN_FUTURE', 'T1001'],
      ['手机', 'INVALID_PHONE', 'T1001'],
    ]);
  });

  it('names the staff number of a row’s problems as the file writes it, also when it is what is wrong, and none when empty', () => {
    const invalid = problemsOf(checkRow(row({ staffNumber: 't 1001!', phone: 'call me' }), context()));
    expect(invalid.map((p) => [p.code, p.staffNumber])).toEqual([
      ['INVALID_STAFF_NUMBER', 'T 1001!'],
      ['INVALID_PHONE', 'T 1001!'],
    ]);
    const empty = problemsOf(checkRow(row({ staffNumber: '', email: 'nope' }), context()));
    expect(empty.map((p) => [p.code, p.staffNumber])).toEqual([
      ['REQUIRED', undefined],
      ['INVALID_EMAIL', undefined],
    ]);
  });

  it('refuses a cell that was too long, without its text, naming its length', () => {
    const result = checkRow(row({ name: undefined }, { oversized: { name: 10 * 1024 * 1024 } }), context());
    expect(problemsOf(result)).toEqual([
      expect.objectContaining({
        column: '姓名',
        code: 'CELL_TOO_LARGE',
        message: '姓名单元格过长（10485760 个字符，最多 1024 个）',
        messageEn: 'name cell is too long (10485760 characters, at most 1024)',
      }),
    ]);
  });

  it('names both rows of a staff number that appears twice in the file', () => {
    expect(duplicateProblem(9, 'T1001', [3, 9], ColumnLayout.read(ZH_HEADERS))).toEqual({
      row: 9,
      column: '工号',
      code: 'DUPLICATE_STAFF_NUMBER',
      message: '工号 T1001 在文件中重复出现（第 3、9 行），请只保留一行',
      messageEn: 'staff number T1001 appears more than once in the file (rows 3、9); keep one',
      staffNumber: 'T1001',
    });
  });

  it('reads dates as office software writes them, and leaves other text to the member rules', () => {
    expect(isoDateText('1985/3/8')).toBe('1985-03-08');
    expect(isoDateText('1985.03.08')).toBe('1985-03-08');
    expect(isoDateText('1985年3月8日')).toBe('1985-03-08');
    expect(isoDateText('19850308')).toBe('1985-03-08');
    expect(isoDateText('08/03/1985')).toBe('08/03/1985');
  });
});

describe('a roster row against the member it names', () => {
  const existing: Member = {
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
    branchId: CS.id,
    joinedOn: '2010-09-01',
    status: 'ACTIVE',
  };
  const checked = (cells: Partial<Record<RosterField, string>>, headers = ZH_HEADERS) => {
    const result = checkRow(row(cells), context({}, headers));
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    return result;
  };

  it('is unchanged when every column says what the record says (the joining date is the record’s)', () => {
    const columns = ColumnLayout.read(ZH_HEADERS);
    expect(rosterChange(existing, checked({ joinedOn: '2011-01-01' }), columns, TODAY)).toEqual({
      kind: 'UNCHANGED',
    });
  });

  it('updates the profile fields that differ: one PROFILE_UPDATED entry naming them', () => {
    const columns = ColumnLayout.read(ZH_HEADERS);
    const change = rosterChange(existing, checked({ title: '教授', phone: '' }), columns, TODAY, {
      importId: 'j1',
    });
    expect(change).toEqual({
      kind: 'UPDATED',
      member: { ...existing, title: '教授', phone: undefined },
      profileChanges: ['phone', 'title'],
      history: [
        {
          memberId: existing.id,
          change: 'PROFILE_UPDATED',
          branchId: CS.id,
          effectiveOn: TODAY,
          details: { fields: 'phone,title', importId: 'j1' },
        },
      ],
    });
  });

  it('leaves the fields of columns the file does not have as they are', () => {
    const columns = ColumnLayout.read(['工号', '姓名', '性别', '所属分工会', '人员类别']);
    const result = checked({}, ['工号', '姓名', '性别', '所属分工会', '人员类别']);
    expect(rosterChange(existing, result, columns, TODAY)).toEqual({ kind: 'UNCHANGED' });
  });

  it('moves the member when the branch differs: a transfer effective today', () => {
    const columns = ColumnLayout.read(ZH_HEADERS);
    const change = rosterChange(existing, checked({ branch: 'MATH' }), columns, TODAY);
    expect(change).toMatchObject({
      kind: 'UPDATED',
      member: { branchId: MATH.id },
      profileChanges: [],
      transferredFrom: CS.id,
      history: [
        { change: 'TRANSFERRED', branchId: MATH.id, effectiveOn: TODAY, details: { fromBranchId: CS.id } },
      ],
    });
  });

  it('does not move a retired member (the member rules refuse)', () => {
    const columns = ColumnLayout.read(ZH_HEADERS);
    expect(() =>
      rosterChange({ ...existing, status: 'RETIRED' }, checked({ branch: 'MATH' }), columns, TODAY),
    ).toThrow(ConflictError);
  });
});

describe('the 工会小组 column', () => {
  const group = (
    id: string,
    branchId: string,
    name: string,
    status: UnionGroup['status'] = 'ACTIVE',
  ): UnionGroup => ({
    id: `0192f0c2-0000-7000-8000-${id.padStart(12, '0')}`,
    branchId,
    name,
    status,
    formedOn: '2020-01-01',
    dissolvedOn: status === 'DISSOLVED' ? '2024-01-01' : null,
  });
  const G1 = group('1', CS.id, '软件教研室小组');
  const G2 = group('2', CS.id, '网络教研室小组');
  const OLD_GROUP = group('3', CS.id, '旧小组', 'DISSOLVED');
  const M1 = group('4', MATH.id, '代数小组');
  const HEADERS = [...ZH_HEADERS, '工会小组'];
  const withGroups = (overrides: Partial<RowContext> = {}) =>
    context({ groups: new GroupDirectory([G1, G2, OLD_GROUP, M1]), ...overrides }, HEADERS);
  const existing: Member = {
    id: '0192f0c1-0000-7000-8000-000000000009',
    memberNumber: 'M000009',
    staffNumber: 'T1001',
    name: '陈静',
    gender: 'FEMALE',
    birthDate: '1985-03-08',
    phone: '13800138000',
    email: 'chenjing@u.edu.cn',
    category: 'TEACHER',
    title: '副教授',
    branchId: CS.id,
    groupId: G1.id,
    joinedOn: '2010-09-01',
    status: 'ACTIVE',
  };
  const ok = (result: ReturnType<typeof checkRow>) => {
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    return result;
  };

  it('admits a new member straight into the named group of their branch (ignoring case and spacing)', () => {
    const checked = ok(checkRow(row({ group: ' 软件教研室 小组 ' }), withGroups()));
    expect(checked.group).toEqual(G1);
    const { member } = checked.admit({ id: existing.id, memberNumber: 'M000010' });
    expect(member.groupId).toBe(G1.id);
  });

  it('refuses a group the branch does not have: of another branch, dissolved, or unknown', () => {
    for (const name of ['代数小组', '旧小组', '没有这个小组']) {
      expect(problemsOf(checkRow(row({ group: name }), withGroups()))).toEqual([
        expect.objectContaining({
          column: '工会小组',
          code: 'UNKNOWN_GROUP',
          message: `该分工会没有名为“${name}”的工会小组`,
        }),
      ]);
    }
  });

  it('moves a member between groups, takes them out on an empty cell, and leaves them be without the column', () => {
    const columns = ColumnLayout.read(HEADERS);
    const moved = rosterChange(
      existing,
      ok(checkRow(row({ group: '网络教研室小组' }), withGroups())),
      columns,
      TODAY,
    );
    expect(moved).toMatchObject({
      kind: 'UPDATED',
      member: { groupId: G2.id },
      profileChanges: [],
      groupChangedFrom: G1.id,
      history: [
        { change: 'GROUP_CHANGED', effectiveOn: TODAY, details: { groupId: G2.id, fromGroupId: G1.id } },
      ],
    });
    const out = rosterChange(existing, ok(checkRow(row({ group: '' }), withGroups())), columns, TODAY);
    expect(out).toMatchObject({ kind: 'UPDATED', member: { groupId: undefined }, groupChangedFrom: G1.id });
    const same = rosterChange(
      existing,
      ok(checkRow(row({ group: '软件教研室小组' }), withGroups())),
      columns,
      TODAY,
    );
    expect(same).toEqual({ kind: 'UNCHANGED' });
    const noColumn = ColumnLayout.read(ZH_HEADERS);
    expect(rosterChange(existing, ok(checkRow(row({}), context())), noColumn, TODAY)).toEqual({
      kind: 'UNCHANGED',
    });
  });

  it('does not take a group leader out of their group, nor move a retired member (the group rules refuse)', () => {
    const columns = ColumnLayout.read(HEADERS);
    const checked = ok(checkRow(row({ group: '网络教研室小组' }), withGroups()));
    const refusal = (member: Member, ledGroupId?: string) => {
      try {
        rosterChange(member, checked, columns, TODAY, {}, ledGroupId);
      } catch (error) {
        return changeProblem(error as DomainError, checked, columns, false);
      }
      throw new Error('expected a refusal');
    };
    expect(refusal(existing, G1.id)).toMatchObject({
      column: '工会小组',
      code: 'GROUP_LEADER_CANNOT_LEAVE',
      message: '该会员是所在工会小组的组长，请先移交组长职务再调整小组',
    });
    expect(refusal({ ...existing, status: 'RETIRED' })).toMatchObject({
      column: '工会小组',
      code: 'MEMBER_STATUS_CONFLICT',
      message: '会员状态为退休，不能调整工会小组',
    });
  });

  it('after a transfer, puts the member into the named group of their new branch', () => {
    const columns = ColumnLayout.read(HEADERS);
    const change = rosterChange(
      existing,
      ok(checkRow(row({ branch: 'MATH', group: '代数小组' }), withGroups())),
      columns,
      TODAY,
    );
    expect(change).toMatchObject({
      kind: 'UPDATED',
      member: { branchId: MATH.id, groupId: M1.id },
      transferredFrom: CS.id,
      // the transfer took them out of their old group: the group change starts from none
      groupChangedFrom: null,
      history: [{ change: 'TRANSFERRED' }, { change: 'GROUP_CHANGED' }],
    });
  });
});
