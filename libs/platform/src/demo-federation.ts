import { CommitteeRole } from '@unionfed/contracts';
import { graphqlData, graphqlRequest } from './graphql-client';

/** A tiny deterministic PRNG (mulberry32): the demo federation is the same on every machine. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢'.split(
    '',
  );
const GIVEN =
  '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉红建文云飞海燕晨宇欣怡子涵思远博雅晓梅志国春雨'.split(
    '',
  );

const CAMPUSES = [
  { code: 'MAIN', name: '本部校区' },
  { code: 'EAST', name: '东湖校区' },
  { code: 'SOUTH', name: '南山校区' },
];

const BRANCHES: { campus: string; code: string; name: string; kind: string; staffHeadcount: number }[] = [
  { campus: 'MAIN', code: 'CS', name: '计算机学院分工会', kind: 'COLLEGE', staffHeadcount: 36 },
  { campus: 'MAIN', code: 'MATH', name: '数学与统计学院分工会', kind: 'COLLEGE', staffHeadcount: 30 },
  { campus: 'MAIN', code: 'LIT', name: '文学院分工会', kind: 'COLLEGE', staffHeadcount: 28 },
  { campus: 'MAIN', code: 'ADMIN', name: '机关分工会', kind: 'ADMINISTRATION', staffHeadcount: 40 },
  { campus: 'EAST', code: 'ECON', name: '经济管理学院分工会', kind: 'COLLEGE', staffHeadcount: 32 },
  { campus: 'EAST', code: 'EDU', name: '教育科学学院分工会', kind: 'COLLEGE', staffHeadcount: 26 },
  { campus: 'EAST', code: 'LIB', name: '图书馆分工会', kind: 'ADMINISTRATION', staffHeadcount: 18 },
  { campus: 'SOUTH', code: 'MED', name: '医学院分工会', kind: 'COLLEGE', staffHeadcount: 34 },
  { campus: 'SOUTH', code: 'HOSP', name: '附属医院分工会', kind: 'AFFILIATED', staffHeadcount: 45 },
  { campus: 'SOUTH', code: 'RETIRED', name: '离退休教职工分工会', kind: 'RETIREES', staffHeadcount: 30 },
];

const CATEGORIES_BY_KIND: Record<string, string[]> = {
  COLLEGE: ['TEACHER', 'TEACHER', 'TEACHER', 'MANAGEMENT', 'SUPPORT', 'CONTRACT'],
  ADMINISTRATION: ['MANAGEMENT', 'MANAGEMENT', 'SUPPORT', 'CONTRACT'],
  AFFILIATED: ['TEACHER', 'MANAGEMENT', 'SUPPORT', 'CONTRACT', 'CONTRACT'],
  RETIREES: ['TEACHER', 'MANAGEMENT', 'SUPPORT'],
};

const TITLES = ['教授', '副教授', '讲师', '助教', '研究员', '工程师', '馆员', '科员', ''];

/** 工会小组 of each branch, one per 教研室, office or ward (as branches form them). */
const UNION_GROUPS: Record<string, string[]> = {
  CS: ['软件工程教研室小组', '计算机科学教研室小组', '实验中心小组'],
  MATH: ['基础数学教研室小组', '应用数学教研室小组', '统计学教研室小组'],
  LIT: ['中国语言文学系小组', '新闻传播系小组'],
  ADMIN: ['党政办公室小组', '人事处小组', '财务处小组', '教务处小组'],
  ECON: ['经济学系小组', '工商管理系小组', '会计学系小组'],
  EDU: ['教育学系小组', '心理学系小组'],
  LIB: ['流通部小组', '技术部小组'],
  MED: ['基础医学系小组', '临床医学系小组', '护理学系小组'],
  HOSP: ['内科小组', '外科小组', '医技科室小组', '行政后勤小组'],
  RETIRED: ['本部校区退休小组', '东湖校区退休小组', '南山校区退休小组'],
};

/**
 * 委员会 of each branch, as the membership subgraph names the roles (the CommitteeRole of the contract): 主席,
 * 女工委员 (held by a woman), 经审委员 (never the chair: the domain refuses it) — appointed for one term.
 */
const COMMITTEE_SEATS: { role: string; women?: true }[] = [
  { role: CommitteeRole[CommitteeRole.CHAIR] },
  { role: CommitteeRole[CommitteeRole.WOMEN_COMMITTEE], women: true },
  { role: CommitteeRole[CommitteeRole.AUDIT_COMMITTEE] },
];

/** The term of the branches' committees and group leaders, begun after the last demo member joined. */
const TERM = { startsOn: '2025-10-01', endsOn: '2030-09-30' };

/** Mutations in a request (aliased m0, m1 …): below the gateway's alias limit, and few requests for the rate limit. */
const MUTATIONS_PER_REQUEST = 20;

/** Runs `field(input: …)` once per input, in order, MUTATIONS_PER_REQUEST to a request; answers each `selection`. */
async function mutateEach<T>(
  gatewayUrl: string,
  headers: Record<string, string>,
  field: string,
  inputType: string,
  inputs: readonly unknown[],
  selection = '{ id }',
): Promise<T[]> {
  const answers: T[] = [];
  for (let from = 0; from < inputs.length; from += MUTATIONS_PER_REQUEST) {
    const part = inputs.slice(from, from + MUTATIONS_PER_REQUEST);
    const document = `mutation(${part.map((_, i) => `$i${i}: ${inputType}!`).join(', ')}) {
      ${part.map((_, i) => `m${i}: ${field}(input: $i${i}) ${selection}`).join('\n      ')}
    }`;
    const variables = Object.fromEntries(part.map((input, i) => [`i${i}`, input]));
    const data = await graphqlData<Record<string, T>>(gatewayUrl, document, variables, headers);
    answers.push(...part.map((_, i) => data[`m${i}`]));
  }
  return answers;
}

/**
 * A branch's structure, below it: its members spread over its 工会小组 (each group with a leader, 组长 — a
 * GROUP_LEADER appointment made as the group is formed) and its committee (COMMITTEE_SEATS), each seat held by a
 * member who leads no group. `shuffle` draws from a generator of its own, so the members drawn before stay the
 * members they always were.
 */
async function seedBranchStructure(
  gatewayUrl: string,
  headers: Record<string, string>,
  branch: { id: string; code: string },
  members: readonly { id: string; gender: string }[],
  shuffle: <T>(list: readonly T[]) => T[],
): Promise<{ groups: number; appointments: number }> {
  const names = UNION_GROUPS[branch.code];
  const order = shuffle(members);
  // everyone in a group, round robin: the first of each group leads it
  const leaders = names.map((_, g) => order[g]);
  const groups = await mutateEach<{ id: string }>(
    gatewayUrl,
    headers,
    'formUnionGroup',
    'FormUnionGroupInput',
    names.map((name, g) => ({
      branchId: branch.id,
      name,
      leaderMemberId: leaders[g].id,
      formedOn: TERM.startsOn,
    })),
  );
  await mutateEach(
    gatewayUrl,
    headers,
    'assignMemberToGroup',
    'AssignMemberToGroupInput',
    order.slice(names.length).map((member, i) => ({
      memberId: member.id,
      groupId: groups[i % names.length].id,
      effectiveOn: TERM.startsOn,
    })),
  );
  const seated = new Set(leaders.map((m) => m.id));
  const appointments = COMMITTEE_SEATS.map(({ role, women }) => {
    const holder = order.find((m) => !seated.has(m.id) && (!women || m.gender === 'FEMALE'));
    if (!holder) throw new Error(`demo branch ${branch.code} has no member left for ${role}`);
    seated.add(holder.id);
    return { branchId: branch.id, memberId: holder.id, role, ...TERM };
  });
  await mutateEach(
    gatewayUrl,
    headers,
    'appointCommitteeMember',
    'AppointCommitteeMemberInput',
    appointments,
  );
  return { groups: groups.length, appointments: groups.length + appointments.length };
}

/**
 * Seeds a realistic small federation — 3 campuses, 10 branch unions, about 300 members with Chinese names, every
 * member in one of the branch's 工会小组 (each with its 组长), and every branch's committee (主席, 女工委员,
 * 经审委员) — through the gateway, i.e. the real write path: every member's MemberJoined, MemberGroupChanged and
 * CommitteeRoleAssigned flows to every service. Does nothing when the federation already has a campus.
 */
export async function seedDemoFederation(
  gatewayUrl: string,
  /** an HQ admin's headers */
  headers: Record<string, string>,
  log: (line: string) => void = () => undefined,
): Promise<boolean> {
  const existing = await graphqlData<{ campuses: { id: string }[] }>(
    gatewayUrl,
    '{ campuses { id } }',
    {},
    headers,
  );
  if (existing.campuses.length > 0) return false;
  const next = random(20261122);
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
  // the structure draws from its own generator: the members are the same as before groups were seeded
  const arrange = random(20261123);
  const shuffle = <T>(list: readonly T[]): T[] => {
    const copy = [...list];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(arrange() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy;
  };
  const campusIds = new Map<string, string>();
  for (const campus of CAMPUSES) {
    const data = await graphqlData<{ openCampus: { id: string } }>(
      gatewayUrl,
      'mutation($input: OpenCampusInput!) { openCampus(input: $input) { id } }',
      { input: campus },
      headers,
    );
    campusIds.set(campus.code, data.openCampus.id);
  }
  let members = 0;
  const structure = { groups: 0, appointments: 0 };
  for (const { campus, ...branch } of BRANCHES) {
    const data = await graphqlData<{ openBranch: { id: string } }>(
      gatewayUrl,
      'mutation($input: OpenBranchInput!) { openBranch(input: $input) { id } }',
      { input: { ...branch, campusId: campusIds.get(campus) } },
      headers,
    );
    // most staff have joined: join rates between about 80% and 100%, as in the work reports
    const joined = Math.round(branch.staffHeadcount * (0.8 + next() * 0.2));
    const admitted: { id: string; gender: string }[] = [];
    for (let i = 0; i < joined; i++) {
      const retiree = branch.kind === 'RETIREES';
      const birthYear = retiree ? 1945 + Math.floor(next() * 18) : 1962 + Math.floor(next() * 38);
      const month = String(1 + Math.floor(next() * 12)).padStart(2, '0');
      const day = String(1 + Math.floor(next() * 28)).padStart(2, '0');
      const joinYear = Math.max(birthYear + 23, 1985) + Math.floor(next() * 8);
      members += 1;
      // drawn in the order the members were always drawn in (name, gender, then the rest)
      const name = pick(SURNAMES) + pick(GIVEN) + (next() < 0.6 ? pick(GIVEN) : '');
      const gender = next() < 0.48 ? 'FEMALE' : 'MALE';
      const member = await graphqlData<{ admitMember: { id: string } }>(
        gatewayUrl,
        'mutation($input: AdmitMemberInput!) { admitMember(input: $input) { id } }',
        {
          input: {
            branchId: data.openBranch.id,
            staffNumber: `${branch.code}${String(i + 1).padStart(4, '0')}`,
            name,
            gender,
            category: pick(CATEGORIES_BY_KIND[branch.kind]),
            title: pick(TITLES) || null,
            birthDate: `${birthYear}-${month}-${day}`,
            joinedOn: `${Math.min(joinYear, 2025)}-09-01`,
            phone: `1${3 + Math.floor(next() * 6)}${String(Math.floor(next() * 1e9)).padStart(9, '0')}`,
          },
        },
        headers,
      );
      admitted.push({ id: member.admitMember.id, gender });
    }
    const seeded = await seedBranchStructure(
      gatewayUrl,
      headers,
      { id: data.openBranch.id, code: branch.code },
      admitted,
      shuffle,
    );
    structure.groups += seeded.groups;
    structure.appointments += seeded.appointments;
  }
  log(
    `seeded the demo federation: ${CAMPUSES.length} campuses, ${BRANCHES.length} branch unions, ${members} members, ` +
      `${structure.groups} union groups, ${structure.appointments} committee appointments (group leaders included)`,
  );
  return true;
}

/** The demo's staff accounts besides the HQ admin: a branch's officers and an HQ viewer, to try the dashboard. */
export const DEMO_ACCOUNTS: readonly {
  username: string;
  displayName: string;
  /** the branch of its grants (BRANCHES' code), or null for HQ */
  branch: string | null;
  roles: readonly string[];
}[] = [
  { username: 'cs-officer', displayName: '计算机学院会员干事', branch: 'CS', roles: ['MEMBERSHIP_OFFICER'] },
  { username: 'cs-admin', displayName: '计算机学院分工会管理员', branch: 'CS', roles: ['ADMIN'] },
  { username: 'hq-viewer', displayName: '校工会查询员', branch: null, roles: ['VIEWER'] },
];

/**
 * Makes the demo's staff accounts (DEMO_ACCOUNTS) through the gateway, each with a one-time password to change at
 * first sign-in; answers those made (an account whose username is taken is left as it is).
 */
export async function seedDemoAccounts(
  gatewayUrl: string,
  /** an HQ admin's headers */
  headers: Record<string, string>,
): Promise<{ username: string; displayName: string; oneTimePassword: string }[]> {
  const { branches } = await graphqlData<{ branches: { id: string; code: string }[] }>(
    gatewayUrl,
    '{ branches { id code } }',
    {},
    headers,
  );
  const made: { username: string; displayName: string; oneTimePassword: string }[] = [];
  for (const account of DEMO_ACCOUNTS) {
    const branchId = account.branch ? branches.find((b) => b.code === account.branch)?.id : undefined;
    if (account.branch && !branchId) continue;
    const result = await graphqlRequest<{ createAccount: { oneTimePassword: string } }>(
      gatewayUrl,
      'mutation($input: CreateAccountInput!) { createAccount(input: $input) { oneTimePassword } }',
      {
        input: {
          username: account.username,
          displayName: account.displayName,
          grants: account.roles.map((role) => ({ role, ...(branchId ? { branchId } : {}) })),
        },
      },
      headers,
    );
    if (result.data?.createAccount)
      made.push({
        username: account.username,
        displayName: account.displayName,
        oneTimePassword: result.data.createAccount.oneTimePassword,
      });
    else if (result.errors?.[0]?.extensions?.code !== 'CONFLICT')
      throw new Error(`demo account ${account.username}: ${JSON.stringify(result.errors)}`);
  }
  return made;
}
