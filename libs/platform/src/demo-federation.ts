import { graphqlData } from './graphql-client';

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

/**
 * Seeds a realistic small federation — 3 campuses, 10 branch unions, about 300 members with Chinese names —
 * through the gateway, i.e. the real write path: every member's MemberJoined flows to every service.
 * Does nothing when the federation already has a campus.
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
  for (const { campus, ...branch } of BRANCHES) {
    const data = await graphqlData<{ openBranch: { id: string } }>(
      gatewayUrl,
      'mutation($input: OpenBranchInput!) { openBranch(input: $input) { id } }',
      { input: { ...branch, campusId: campusIds.get(campus) } },
      headers,
    );
    // most staff have joined: join rates between about 80% and 100%, as in the work reports
    const joined = Math.round(branch.staffHeadcount * (0.8 + next() * 0.2));
    for (let i = 0; i < joined; i++) {
      const retiree = branch.kind === 'RETIREES';
      const birthYear = retiree ? 1945 + Math.floor(next() * 18) : 1962 + Math.floor(next() * 38);
      const month = String(1 + Math.floor(next() * 12)).padStart(2, '0');
      const day = String(1 + Math.floor(next() * 28)).padStart(2, '0');
      const joinYear = Math.max(birthYear + 23, 1985) + Math.floor(next() * 8);
      members += 1;
      await graphqlData(
        gatewayUrl,
        'mutation($input: AdmitMemberInput!) { admitMember(input: $input) { id } }',
        {
          input: {
            branchId: data.openBranch.id,
            staffNumber: `${branch.code}${String(i + 1).padStart(4, '0')}`,
            name: pick(SURNAMES) + pick(GIVEN) + (next() < 0.6 ? pick(GIVEN) : ''),
            gender: next() < 0.48 ? 'FEMALE' : 'MALE',
            category: pick(CATEGORIES_BY_KIND[branch.kind]),
            title: pick(TITLES) || null,
            birthDate: `${birthYear}-${month}-${day}`,
            joinedOn: `${Math.min(joinYear, 2025)}-09-01`,
            phone: `1${3 + Math.floor(next() * 6)}${String(Math.floor(next() * 1e9)).padStart(9, '0')}`,
          },
        },
        headers,
      );
    }
  }
  log(
    `seeded the demo federation: ${CAMPUSES.length} campuses, ${BRANCHES.length} branch unions, ${members} members`,
  );
  return true;
}
