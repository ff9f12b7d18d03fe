/**
 * A generated roster for the roster benchmarks: N members across B branch unions, as a branch officer's CSV
 * would have them — Chinese names, 男/女, 专任教师/管理/工勤/合同制, dates YYYY-MM-DD, the branch by code on
 * half the rows and by full name on the other half. Deterministic (a seeded PRNG): the same file every run.
 */

/** The CSV's columns: header, and the column (and type) of the lean COPY reference's table. */
export const ROSTER_CSV_HEADER = [
  { zh: '工号', column: 'staff_number', type: 'TEXT NOT NULL' },
  { zh: '姓名', column: 'name', type: 'TEXT NOT NULL' },
  { zh: '性别', column: 'gender', type: 'TEXT NOT NULL' },
  { zh: '出生日期', column: 'birth_date', type: 'DATE' },
  { zh: '所属分工会', column: 'branch', type: 'TEXT NOT NULL' },
  { zh: '人员类别', column: 'category', type: 'TEXT NOT NULL' },
  { zh: '入会日期', column: 'joined_on', type: 'DATE NOT NULL' },
  { zh: '手机', column: 'phone', type: 'TEXT' },
  { zh: '邮箱', column: 'email', type: 'TEXT' },
  { zh: '职称', column: 'title', type: 'TEXT' },
] as const;

const UNITS = [
  '计算机学院',
  '数学与统计学院',
  '物理学院',
  '化学学院',
  '生命科学学院',
  '文学院',
  '历史文化学院',
  '外国语学院',
  '新闻传播学院',
  '法学院',
  '经济学院',
  '管理学院',
  '公共管理学院',
  '马克思主义学院',
  '教育学院',
  '心理学院',
  '体育学院',
  '音乐学院',
  '美术学院',
  '医学院',
  '药学院',
  '护理学院',
  '公共卫生学院',
  '机械工程学院',
  '电气工程学院',
  '土木工程学院',
  '建筑学院',
  '材料学院',
  '环境学院',
  '能源学院',
  '信息工程学院',
  '软件学院',
  '人工智能学院',
  '电子科学学院',
  '自动化学院',
  '航空航天学院',
  '海洋学院',
  '地理科学学院',
  '农学院',
  '图书馆',
  '后勤集团',
  '机关',
  '附属中学',
  '附属小学',
  '附属医院',
  '继续教育学院',
  '国际教育学院',
  '档案馆',
  '出版社',
  '离退休工作处',
];
const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢'.split(
    '',
  );
const GIVEN =
  '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉红建文云飞海燕晨宇欣怡子涵思远博雅晓梅志国春雨'.split(
    '',
  );
const CATEGORIES = ['专任教师', '专任教师', '专任教师', '管理', '管理', '工勤', '合同制'];
const TITLES = ['教授', '副教授', '讲师', '助教', '研究员', '工程师', '馆员', '科员', ''];

/** mulberry32: a tiny deterministic PRNG */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GeneratedRoster {
  branches: { code: string; name: string }[];
  csv: string;
  /** the staff numbers, in file order */
  staffNumbers: string[];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function generateRoster(members: number, branchCount: number, seed = 20261122): GeneratedRoster {
  const next = random(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  const branches = Array.from({ length: branchCount }, (_, i) => ({
    code: `B${pad(i + 1)}`,
    name: `${UNITS[i % UNITS.length]}${i >= UNITS.length ? Math.floor(i / UNITS.length) + 1 : ''}分工会`,
  }));
  const lines = [ROSTER_CSV_HEADER.map((c) => c.zh).join(',')];
  const staffNumbers: string[] = [];
  for (let i = 0; i < members; i++) {
    const staffNumber = `T${pad(i + 1, 7)}`;
    staffNumbers.push(staffNumber);
    const branch = branches[i % branchCount];
    const birthYear = 1962 + Math.floor(next() * 40);
    const joinedYear = Math.min(2025, birthYear + 22 + Math.floor(next() * 15));
    const name = pick(SURNAMES) + pick(GIVEN) + (next() < 0.6 ? pick(GIVEN) : '');
    lines.push(
      [
        staffNumber,
        name,
        next() < 0.5 ? '男' : '女',
        `${birthYear}-${pad(1 + Math.floor(next() * 12))}-${pad(1 + Math.floor(next() * 28))}`,
        i % 2 === 0 ? branch.code : branch.name,
        pick(CATEGORIES),
        `${joinedYear}-${pad(1 + Math.floor(next() * 12))}-01`,
        `13${pad(Math.floor(next() * 1e9), 9)}`,
        `t${pad(i + 1, 7)}@u.edu.cn`,
        pick(TITLES),
      ].join(','),
    );
  }
  return { branches, csv: `${lines.join('\n')}\n`, staffNumbers };
}
