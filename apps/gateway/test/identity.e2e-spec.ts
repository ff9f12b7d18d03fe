import { readFileSync } from 'node:fs';
import { importJWK, SignJWT, type JWK } from 'jose';
import { generateSigningKey, signAccessToken, type Principal } from '@unionfed/auth';
import {
  graphqlData,
  graphqlRequest,
  openBranchThroughGateway,
  queryDatabase,
  signIn,
  startTestPlatform,
  TEST_ADMIN,
  type TestPlatform,
} from '@unionfed/platform';
import { eventually, testInfrastructure } from '@unionfed/testing';
import { PersistedOperations } from '../src/limits';

type Headers = Record<string, string>;

describe('identity and access through the gateway (accounts, sessions, scoping, API keys, audit)', () => {
  let t: TestPlatform;
  let cs: string;
  let math: string;
  let csMember: string;
  let mathMember: string;
  const gql = <T = Record<string, unknown>>(query: string, variables: object = {}, headers: Headers = {}) =>
    graphqlRequest<T>(t.gatewayUrl, query, variables as Record<string, unknown>, headers);
  const admin = () => t.admin.headers;
  const codeOf = (result: { errors?: { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.map((e) => e.extensions?.code);
  const reasonOf = (result: { errors?: { extensions?: Record<string, unknown> }[] }) =>
    result.errors?.[0]?.extensions?.reason;

  /** Creates an account with the given grants, changes its one-time password, and signs it in. */
  async function account(username: string, grants: { role: string; branchId?: string }[]) {
    const { createAccount } = await graphqlData<{
      createAccount: { account: { id: string }; oneTimePassword: string };
    }>(
      t.gatewayUrl,
      `mutation($input: CreateAccountInput!) { createAccount(input: $input) { account { id } oneTimePassword } }`,
      { input: { username, displayName: username, grants } },
      admin(),
    );
    const first = await signIn(t.gatewayUrl, username, createAccount.oneTimePassword);
    const password = 'Tongxin-9527-Gonghui';
    await graphqlData(
      t.gatewayUrl,
      'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }',
      { c: createAccount.oneTimePassword, n: password },
      first.headers,
    );
    return { id: createAccount.account.id, password, ...(await signIn(t.gatewayUrl, username, password)) };
  }

  const admitInto = async (branchId: string, staffNumber: string, name: string) =>
    (
      await graphqlData<{ admitMember: { id: string } }>(
        t.gatewayUrl,
        'mutation($input: AdmitMemberInput!) { admitMember(input: $input) { id } }',
        { input: { branchId, staffNumber, name, gender: 'FEMALE', category: 'TEACHER' } },
        admin(),
      )
    ).admitMember.id;

  beforeAll(async () => {
    t = await startTestPlatform(testInfrastructure());
    ({ branchId: cs } = await openBranchThroughGateway(
      t.gatewayUrl,
      { campus: { code: 'IDA', name: '权限校区' }, code: 'IDA-CS', name: '计算机学院分工会' },
      admin(),
    ));
    const campusId = (
      await queryDatabase<{ id: string }>(
        t.databaseUrl('membership'),
        `SELECT id FROM campus WHERE code = 'IDA'`,
      )
    )[0].id;
    ({ branchId: math } = await openBranchThroughGateway(
      t.gatewayUrl,
      { campusId, code: 'IDA-MATH', name: '数学学院分工会' },
      admin(),
    ));
    csMember = await admitInto(cs, 'IDA0001', '陈思');
    mathMember = await admitInto(math, 'IDA0002', '林梅');
  });

  afterAll(async () => {
    await t?.stop();
  });

  describe('sign-in and sessions', () => {
    it('refuses a wrong password with UNAUTHENTICATED and records the failure in the audit log', async () => {
      const wrong = await gql(
        'mutation { login(username: "admin", password: "not-the-password-1") { accessToken } }',
      );
      expect(codeOf(wrong)).toEqual(['UNAUTHENTICATED']);
      expect(reasonOf(wrong)).toBe('BAD_CREDENTIALS');
      expect(JSON.stringify(wrong)).not.toMatch(/argon|stack|SELECT/i);
      const { auditLog } = await graphqlData<{ auditLog: { action: string; outcome: string }[] }>(
        t.gatewayUrl,
        '{ auditLog(filter: { action: "LOGIN", outcome: "FAILURE" }, first: 5) { action outcome } }',
        {},
        admin(),
      );
      expect(auditLog[0]).toEqual({ action: 'LOGIN', outcome: 'FAILURE' });
    });

    it('answers repeated failures of one username from one address with RATE_LIMITED and retryAfter, an unknown username alike', async () => {
      const victim = await account('throttleme', [{ role: 'VIEWER', branchId: cs }]);
      const login = (username: string, password: string) =>
        gql('mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }', {
          u: username,
          p: password,
        });
      const errorsOf = async (username: string, passwords: string[]) => {
        const answers = [];
        for (const password of passwords) answers.push((await login(username, password)).errors);
        return answers;
      };
      const wrong = ['wrong-password-1', 'wrong-password-2', 'wrong-password-3'];
      const known = await errorsOf('throttleme', [...wrong, victim.password]);
      expect(known.map((errors) => errors?.[0].extensions?.code)).toEqual([
        'UNAUTHENTICATED',
        'UNAUTHENTICATED',
        'UNAUTHENTICATED',
        'RATE_LIMITED',
      ]);
      expect(known[3]?.[0].extensions?.retryAfter).toBeGreaterThan(0);
      expect(JSON.stringify(known)).not.toMatch(/argon|stack|SELECT/i);
      const unknown = await errorsOf('nobody.here', [...wrong, victim.password]);
      expect(unknown).toEqual(known);
    });

    it('rotates refresh tokens, and ends the whole session when a used refresh token comes back', async () => {
      const session = await signIn(t.gatewayUrl, TEST_ADMIN.username, TEST_ADMIN.password);
      const refresh = (token: string) =>
        gql<{ refreshSession: { refreshToken: string; accessToken: string } }>(
          'mutation($r: String!) { refreshSession(refreshToken: $r) { refreshToken accessToken } }',
          { r: token },
        );
      const second = await refresh(session.refreshToken);
      expect(second.errors).toBeUndefined();
      const next = second.data!.refreshSession.refreshToken;
      expect(next).not.toBe(session.refreshToken);
      // the first token again: a replay — refused, and the token issued from it dies with it
      const replay = await refresh(session.refreshToken);
      expect(reasonOf(replay)).toBe('REFRESH_TOKEN_REUSED');
      expect(reasonOf(await refresh(next))).toBe('REFRESH_TOKEN_REVOKED');
    });

    it('ends a session at logout: its refresh token no longer works', async () => {
      const session = await signIn(t.gatewayUrl, TEST_ADMIN.username, TEST_ADMIN.password);
      const out = await gql('mutation($r: String!) { logout(refreshToken: $r) }', {
        r: session.refreshToken,
      });
      expect(out.data).toEqual({ logout: true });
      const after = await gql('mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }', {
        r: session.refreshToken,
      });
      expect(reasonOf(after)).toBe('REFRESH_TOKEN_REVOKED');
    });

    it('lets a one-time password do nothing but be changed, and enforces the password rules', async () => {
      const { createAccount } = await graphqlData<{ createAccount: { oneTimePassword: string } }>(
        t.gatewayUrl,
        `mutation { createAccount(input: { username: "newbie", displayName: "新人", grants: [{ role: "VIEWER" }] }) { oneTimePassword } }`,
        {},
        admin(),
      );
      const first = await signIn(t.gatewayUrl, 'newbie', createAccount.oneTimePassword);
      const me = await graphqlData<{ me: { mustChangePassword: boolean; grants: unknown[] } }>(
        t.gatewayUrl,
        '{ me { mustChangePassword grants { role } } }',
        {},
        first.headers,
      );
      expect(me.me).toEqual({ mustChangePassword: true, grants: [] });
      expect(codeOf(await gql('{ members { totalCount } }', {}, first.headers))).toEqual(['FORBIDDEN']);
      const weak = await gql(
        'mutation($c: String!) { changePassword(currentPassword: $c, newPassword: "short1") }',
        { c: createAccount.oneTimePassword },
        first.headers,
      );
      expect(weak.errors?.[0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        reason: 'PASSWORD_TOO_SHORT',
      });
    });

    it('publishes the signing keys, and keeps old tokens valid across a key rotation', async () => {
      const jwks = (await (
        await fetch(`${t.platform.service('gateway').baseUrl}/.well-known/jwks.json`)
      ).json()) as {
        keys: JWK[];
      };
      expect(jwks.keys.length).toBeGreaterThanOrEqual(1);
      for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
      const before = await signIn(t.gatewayUrl, TEST_ADMIN.username, TEST_ADMIN.password);
      const { rotateSigningKey: kid } = await graphqlData<{ rotateSigningKey: string }>(
        t.gatewayUrl,
        'mutation { rotateSigningKey }',
        {},
        admin(),
      );
      const after = await signIn(t.gatewayUrl, TEST_ADMIN.username, TEST_ADMIN.password);
      const kidOf = (token: string) =>
        JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
      expect(kidOf(after.accessToken)).toBe(kid);
      expect(kidOf(before.accessToken)).not.toBe(kid);
      // both verify at the gateway and in the subgraphs (which fetch the new key when they meet its id)
      for (const session of [before, after]) {
        const result = await gql('{ members(first: 1) { totalCount } }', {}, session.headers);
        expect(result.errors).toBeUndefined();
      }
    });
  });

  describe('branch scope, enforced by the subgraph that holds the data', () => {
    let officer: Awaited<ReturnType<typeof account>>;
    beforeAll(async () => {
      officer = await account('cs-officer', [{ role: 'MEMBERSHIP_OFFICER', branchId: cs }]);
    });

    it('lists only the officer’s own branch in the roster', async () => {
      const { members } = await graphqlData<{
        members: { totalCount: number; edges: { node: { id: string } }[] };
      }>(t.gatewayUrl, '{ members(first: 50) { totalCount edges { node { id } } } }', {}, officer.headers);
      expect(members.edges.map((e) => e.node.id)).toEqual([csMember]);
      expect(members.totalCount).toBe(1);
    });

    it('answers another branch’s member as not there, refuses its roster or statistics, and audits each attempt', async () => {
      const other = await gql(
        'query($id: ID!) { member(id: $id) { name } }',
        { id: mathMember },
        officer.headers,
      );
      const missing = await gql(
        'query($id: ID!) { member(id: $id) { name } }',
        { id: '0190a000-0000-7000-8000-00000000dead' },
        officer.headers,
      );
      expect(other).toEqual({ data: { member: null } });
      expect(other).toEqual(missing);
      const roster = await gql(
        'query($b: ID!) { members(filter: { branchId: $b }) { totalCount } }',
        { b: math },
        officer.headers,
      );
      expect(codeOf(roster)).toEqual(['FORBIDDEN']);
      const stats = await gql('{ membershipStatistics { activeMembers } }', {}, officer.headers);
      expect(codeOf(stats)).toEqual(['FORBIDDEN']);
      const { auditLog } = await graphqlData<{
        auditLog: { actorId: string; entity: string; outcome: string }[];
      }>(
        t.gatewayUrl,
        'query($a: ID!) { auditLog(filter: { action: "ACCESS_REFUSED", actorId: $a }) { actorId entity outcome } }',
        { a: officer.id },
        admin(),
      );
      expect(auditLog.map((e) => e.entity).sort()).toEqual(['members', 'membershipStatistics']);
      expect(new Set(auditLog.map((e) => e.outcome))).toEqual(new Set(['REFUSED']));
      // the answer that reads as "not there" is on record where the data lives
      await eventually(async () =>
        expect(
          readFileSync(t.platform.service('membership').logFile, 'utf8')
            .split('\n')
            .some(
              (line) =>
                line.includes('access refused') &&
                line.includes('Query.member') &&
                line.includes('OUT_OF_SCOPE') &&
                line.includes(officer.id),
            ),
        ).toBe(true),
      );
    });

    it('refuses changes to another branch’s members and writes nothing', async () => {
      const outbox = async () =>
        Number(
          (
            await queryDatabase<{ n: string }>(
              t.databaseUrl('membership'),
              'SELECT count(*) AS n FROM outbox',
            )
          )[0].n,
        );
      const before = await outbox();
      const admitted = await gql(
        'mutation($b: ID!) { admitMember(input: { branchId: $b, staffNumber: "IDA0099", name: "越权", gender: MALE, category: TEACHER }) { id } }',
        { b: math },
        officer.headers,
      );
      expect(codeOf(admitted)).toEqual(['FORBIDDEN']);
      const retired = await gql(
        'mutation($m: ID!) { retireMember(input: { memberId: $m }) { status } }',
        { m: mathMember },
        officer.headers,
      );
      // out of reach reads as not there
      expect(codeOf(retired)).toEqual(['NOT_FOUND']);
      expect(JSON.stringify(retired)).not.toContain('林梅');
      expect(await outbox()).toBe(before);
      const [row] = await queryDatabase<{ status: string }>(
        t.databaseUrl('membership'),
        'SELECT status FROM member WHERE id = $1',
        [mathMember],
      );
      expect(row.status).toBe('ACTIVE');
    });

    it('lets the officer change their own branch’s members', async () => {
      const admitted = await gql(
        'mutation($b: ID!) { admitMember(input: { branchId: $b, staffNumber: "IDA0003", name: "周全", gender: MALE, category: TEACHER }) { id } }',
        { b: cs },
        officer.headers,
      );
      expect(admitted.errors).toBeUndefined();
    });

    it('refuses HQ-only operations to branch officers and anonymous callers', async () => {
      expect(
        codeOf(
          await gql('mutation { openCampus(input: { code: "X", name: "X" }) { id } }', {}, officer.headers),
        ),
      ).toEqual(['FORBIDDEN']);
      expect(codeOf(await gql('{ members { totalCount } }'))).toEqual(['UNAUTHENTICATED']);
      expect(codeOf(await gql('{ financeDeadLetters { id } }', {}, officer.headers))).toEqual(['FORBIDDEN']);
    });

    it('lets a member read their own record only (self-service)', async () => {
      const self = await account('chensi', []);
      // the gateway links only members its copy of the directory knows (it follows membership's events)
      await eventually(() =>
        graphqlData(
          t.gatewayUrl,
          'mutation($a: ID!, $m: ID!) { linkMember(accountId: $a, memberId: $m) { id } }',
          { a: self.id, m: csMember },
          admin(),
        ),
      );
      const session = await signIn(t.gatewayUrl, 'chensi', self.password);
      const own = await gql<{ me: { member: { name: string } } }>(
        '{ me { member { name } } }',
        {},
        session.headers,
      );
      expect(own.errors).toBeUndefined();
      expect(own.data?.me.member.name).toBe('陈思');
      const other = await gql(
        'query($id: ID!) { member(id: $id) { name } }',
        { id: mathMember },
        session.headers,
      );
      expect(other).toEqual({ data: { member: null } });
    });
  });

  describe('member accounts: members sign in for self-service', () => {
    let phy: string;
    let officer: Awaited<ReturnType<typeof account>>;
    const people: { id: string; staffNumber: string; name: string }[] = [];
    const SHEET = `mutation($b: ID!) {
      createMemberAccounts(branchId: $b) { created { staffNumber name username oneTimePassword member { id } } skipped { staffNumber reason } }
    }`;
    const sheetFile = (query: string, headers: Headers) =>
      fetch(`${t.platform.service('gateway').baseUrl}/member-accounts/sheet?${query}`, {
        method: 'POST',
        headers,
      });
    /** until the gateway's copy of the membership directory has the member (it follows membership's events) */
    const inGatewayDirectory = (memberId: string) =>
      eventually(async () => {
        const { gatewayDirectory } = await graphqlData<{ gatewayDirectory: { member: unknown } }>(
          t.gatewayUrl,
          'query($m: ID!) { gatewayDirectory { member(id: $m) { status } } }',
          { m: memberId },
          admin(),
        );
        expect(gatewayDirectory.member).toEqual({ status: 'ACTIVE' });
      });

    beforeAll(async () => {
      const campusId = (
        await queryDatabase<{ id: string }>(
          t.databaseUrl('membership'),
          `SELECT id FROM campus WHERE code = 'IDA'`,
        )
      )[0].id;
      ({ branchId: phy } = await openBranchThroughGateway(
        t.gatewayUrl,
        { campusId, code: 'IDA-PHY', name: '物理学院分工会' },
        admin(),
      ));
      for (const [staffNumber, name] of [
        ['IDA1001', '王一'],
        ['IDA1002', '王二'],
      ])
        people.push({ id: await admitInto(phy, staffNumber, name), staffNumber, name });
      officer = await account('phy-officer', [{ role: 'MEMBERSHIP_OFFICER', branchId: phy }]);
      for (const person of people) await inGatewayDirectory(person.id);
    });

    it('hands the branch officer one sheet of one-time passwords; a member signs in with theirs, must change it, then reads their own record and nobody else’s', async () => {
      const { createMemberAccounts } = await graphqlData<{
        createMemberAccounts: {
          created: {
            staffNumber: string;
            name: string;
            username: string;
            oneTimePassword: string;
            member: { id: string };
          }[];
          skipped: unknown[];
        };
      }>(t.gatewayUrl, SHEET, { b: phy }, officer.headers);
      expect(
        createMemberAccounts.created.map((r) => [r.staffNumber, r.name, r.username, r.member.id]),
      ).toEqual(people.map((p) => [p.staffNumber, p.name, p.staffNumber.toLowerCase(), p.id]));
      expect(createMemberAccounts.skipped).toEqual([]);
      const line = createMemberAccounts.created[0];

      // the one-time password signs in to nothing but its own change
      const first = await signIn(t.gatewayUrl, line.username, line.oneTimePassword);
      const forced = await gql<{ me: { mustChangePassword: boolean } }>(
        '{ me { mustChangePassword } }',
        {},
        first.headers,
      );
      expect(forced.data?.me.mustChangePassword).toBe(true);
      expect(codeOf(await gql('{ myMembership { name } }', {}, first.headers))).toEqual(['FORBIDDEN']);
      const password = 'Huiyuan-2026-Ziwo';
      await graphqlData(
        t.gatewayUrl,
        'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }',
        { c: line.oneTimePassword, n: password },
        first.headers,
      );
      const member = await signIn(t.gatewayUrl, line.username, password);
      const own = await gql<{ myMembership: Record<string, unknown>; me: { member: { id: string } } }>(
        '{ myMembership { id name staffNumber status branch { name } history { change } } me { member { id } } }',
        {},
        member.headers,
      );
      expect(own.errors).toBeUndefined();
      expect(own.data).toEqual({
        myMembership: {
          id: people[0].id,
          name: '王一',
          staffNumber: 'IDA1001',
          status: 'ACTIVE',
          branch: { name: '物理学院分工会' },
          history: [{ change: 'JOINED' }],
        },
        me: { member: { id: people[0].id } },
      });
      // anyone else — of the same branch, of another — is nobody to a member
      for (const other of [people[1].id, mathMember, csMember]) {
        const answer = await gql(
          'query($id: ID!) { member(id: $id) { name phone } }',
          { id: other },
          member.headers,
        );
        expect(answer).toEqual({ data: { member: null } });
      }
      expect(codeOf(await gql('{ members { totalCount } }', {}, member.headers))).toEqual(['FORBIDDEN']);
      expect(codeOf(await gql(SHEET, { b: phy }, member.headers))).toEqual(['FORBIDDEN']);
    });

    it('answers the same sheet as a file in the response that makes the accounts — only those still missing — and to nobody else', async () => {
      const newcomer = { id: await admitInto(phy, 'IDA1003', '王三'), staffNumber: 'IDA1003' };
      await inGatewayDirectory(newcomer.id);
      const response = await sheetFile(`branchId=${phy}&format=csv`, officer.headers);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const lines = (await response.text())
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n');
      expect(lines[0]).toBe('工号,姓名,用户名,一次性密码,备注');
      expect(lines).toHaveLength(2);
      const [staffNumber, name, username, oneTimePassword] = lines[1].split(',');
      expect([staffNumber, name, username]).toEqual(['IDA1003', '王三', 'ida1003']);
      expect((await signIn(t.gatewayUrl, username, oneTimePassword)).accessToken).toBeTruthy();
      // nothing is kept to be fetched again: a second run has nobody left to make an account for
      const again = await sheetFile(`branchId=${phy}&format=xlsx`, officer.headers);
      expect(again.headers.get('content-type')).toBe(
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      );
      expect(
        Buffer.from(await again.arrayBuffer())
          .subarray(0, 2)
          .toString(),
      ).toBe('PK');
      expect(
        await queryDatabase(
          t.databaseUrl('gateway'),
          'SELECT count(*)::int AS n FROM account WHERE member_id = $1',
          [newcomer.id],
        ),
      ).toEqual([{ n: 1 }]);
      // another branch's officer, an API key holder or nobody at all get an error, never a sheet
      const csOfficer = await account('cs-sheet-officer', [{ role: 'MEMBERSHIP_OFFICER', branchId: cs }]);
      const outsider = await sheetFile(`branchId=${phy}&format=csv`, csOfficer.headers);
      expect(outsider.status).toBe(403);
      const body = await outsider.text();
      expect(JSON.parse(body)).toMatchObject({ error: { code: 'FORBIDDEN', reason: 'OUT_OF_SCOPE' } });
      expect(body).not.toContain('IDA100');
      expect((await sheetFile(`branchId=${phy}`, {})).status).toBe(401);
      expect((await sheetFile(`branchId=${phy}&format=pdf`, officer.headers)).status).toBe(400);
    });

    it('ends the sign-in of a member who withdraws', async () => {
      const { createMemberAccounts } = await graphqlData<{ createMemberAccounts: { created: unknown[] } }>(
        t.gatewayUrl,
        SHEET,
        { b: phy },
        officer.headers,
      );
      expect(createMemberAccounts.created).toEqual([]);
      const leaver = people[1];
      const { resetMemberAccountPassword } = await graphqlData<{
        resetMemberAccountPassword: { username: string; oneTimePassword: string };
      }>(
        t.gatewayUrl,
        'mutation($m: ID!) { resetMemberAccountPassword(memberId: $m) { username oneTimePassword } }',
        { m: leaver.id },
        officer.headers,
      );
      expect(
        (
          await signIn(
            t.gatewayUrl,
            resetMemberAccountPassword.username,
            resetMemberAccountPassword.oneTimePassword,
          )
        ).accessToken,
      ).toBeTruthy();
      await graphqlData(
        t.gatewayUrl,
        'mutation($m: ID!) { withdrawMember(input: { memberId: $m, reason: "调离" }) { status } }',
        { m: leaver.id },
        officer.headers,
      );
      await eventually(async () => {
        const refused = await gql(
          'mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }',
          { u: resetMemberAccountPassword.username, p: resetMemberAccountPassword.oneTimePassword },
        );
        expect(reasonOf(refused)).toBe('ACCOUNT_DISABLED');
      });
    });
  });

  describe('role management', () => {
    it('lets a branch admin grant roles of their own branch only', async () => {
      const branchAdmin = await account('cs-admin', [{ role: 'ADMIN', branchId: cs }]);
      const target = await account('cs-clerk', [{ role: 'VIEWER', branchId: cs }]);
      const own = await gql(
        'mutation($a: ID!, $b: ID!) { grantRole(accountId: $a, grant: { role: "WELFARE_OFFICER", branchId: $b }) { grants { role branchId } } }',
        { a: target.id, b: cs },
        branchAdmin.headers,
      );
      expect(own.errors).toBeUndefined();
      const foreign = await gql(
        'mutation($a: ID!, $b: ID!) { grantRole(accountId: $a, grant: { role: "VIEWER", branchId: $b }) { id } }',
        { a: target.id, b: math },
        branchAdmin.headers,
      );
      expect(foreign.errors?.[0].extensions).toMatchObject({
        code: 'FORBIDDEN',
        reason: 'GRANT_OUT_OF_SCOPE',
      });
      const federation = await gql(
        'mutation($a: ID!) { grantRole(accountId: $a, grant: { role: "ADMIN" }) { id } }',
        { a: target.id },
        branchAdmin.headers,
      );
      expect(codeOf(federation)).toEqual(['FORBIDDEN']);
      const grants = await queryDatabase<{ role: string }>(
        t.databaseUrl('gateway'),
        'SELECT role FROM role_grant WHERE account_id = $1 ORDER BY role',
        [target.id],
      );
      expect(grants.map((g) => g.role)).toEqual(['VIEWER', 'WELFARE_OFFICER']);
      const { auditLog } = await graphqlData<{ auditLog: { action: string }[] }>(
        t.gatewayUrl,
        'query($a: ID!) { auditLog(filter: { actorId: $a, action: "ROLE_GRANTED" }) { action } }',
        { a: branchAdmin.id },
        admin(),
      );
      expect(auditLog).toHaveLength(1);
    });
  });

  describe('a branch admin and accounts beyond their branch', () => {
    it('lets CS’s admin neither change nor see an account holding a role of another branch, answering as for none', async () => {
      const csAdmin = await account('cs-admin2', [{ role: 'ADMIN', branchId: cs }]);
      const mathOfficer = await account('math-officer', [{ role: 'MEMBERSHIP_OFFICER', branchId: math }]);
      const grant = (accountId: string) =>
        gql(
          'mutation($a: ID!, $b: ID!) { grantRole(accountId: $a, grant: { role: "VIEWER", branchId: $b }) { id } }',
          { a: accountId, b: cs },
          csAdmin.headers,
        );
      const foreign = await grant(mathOfficer.id);
      expect(codeOf(foreign)).toEqual(['NOT_FOUND']);
      expect(foreign.errors).toEqual((await grant('0190a000-0000-7000-8000-0000000000ff')).errors);
      expect(JSON.stringify(foreign)).not.toContain('math-officer');
      const { accounts } = await graphqlData<{
        accounts: { username: string; grants: { branchId: string }[] }[];
      }>(t.gatewayUrl, '{ accounts(first: 200) { username grants { branchId } } }', {}, csAdmin.headers);
      expect(accounts.map((a) => a.username)).not.toContain('math-officer');
      expect(accounts.map((a) => a.username)).not.toContain('admin');
      expect(accounts.flatMap((a) => a.grants.map((g) => g.branchId)).every((b) => b === cs)).toBe(true);
      // the math officer's session lives on
      const refreshed = await gql(
        'mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken } }',
        {
          r: mathOfficer.refreshToken,
        },
      );
      expect(refreshed.errors).toBeUndefined();
    });
  });

  describe('API keys for integrations', () => {
    it('runs registered statistics operations with a key, refuses free-form queries, and stops at revocation', async () => {
      const { createApiKey } = await graphqlData<{
        createApiKey: { secret: string; apiKey: { id: string; prefix: string } };
      }>(
        t.gatewayUrl,
        'mutation($e: String!) { createApiKey(input: { label: "统计平台", expiresAt: $e }) { secret apiKey { id prefix } } }',
        { e: new Date(Date.now() + 30 * 86_400_000).toISOString() },
        admin(),
      );
      expect(createApiKey.secret.startsWith(`${createApiKey.apiKey.prefix}_`)).toBe(true);
      const stored = await queryDatabase<Record<string, unknown>>(
        t.databaseUrl('gateway'),
        'SELECT * FROM api_key',
      );
      // the secret's random part (base64url, which may itself hold "_") is nowhere in the stored row
      const [, randomPart] = /^ufk_[0-9a-f]{12}_([A-Za-z0-9_-]{43})$/.exec(createApiKey.secret) ?? [];
      expect(randomPart).toBeDefined();
      expect(JSON.stringify(stored)).not.toContain(randomPart);
      const key = { 'x-api-key': createApiKey.secret };
      // integrations run registered operations only, sent by their hash
      const statistics = PersistedOperations.fromDirectory()
        .manifest()
        .operations.find((operation) => operation.name === 'MembershipStatisticsV2')!;
      const persisted = async (headers: Headers) => {
        const response = await fetch(t.gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({
            variables: {},
            extensions: { persistedQuery: { version: 1, sha256Hash: statistics.id } },
          }),
        });
        return (await response.json()) as {
          data?: {
            membershipStatistics: { activeMembers: number; joinRateDetail: { members: number } | null };
          };
          errors?: { extensions?: Record<string, unknown> }[];
        };
      };
      const stats = await persisted(key);
      expect(stats.errors).toBeUndefined();
      expect(stats.data!.membershipStatistics.activeMembers).toBeGreaterThanOrEqual(2);
      // the current version asks the join rate's exact parts (null here: these branches have no headcount)
      expect(stats.data!.membershipStatistics).toHaveProperty('joinRateDetail');
      // anything else, even a read, is refused before it runs
      expect(codeOf(await gql('{ membershipStatistics { activeMembers } }', {}, key))).toEqual([
        'PERSISTED_QUERY_REQUIRED',
      ]);
      await graphqlData(
        t.gatewayUrl,
        'mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }',
        { id: createApiKey.apiKey.id },
        admin(),
      );
      const revoked = await persisted(key);
      expect(codeOf(revoked)).toEqual(['UNAUTHENTICATED']);
      expect(reasonOf(revoked)).toBe('API_KEY_REVOKED');
      const unknown = await gql(
        '{ membershipStatistics { activeMembers } }',
        {},
        { 'x-api-key': 'ufk_000000000000_nope' },
      );
      expect(reasonOf(unknown)).toBe('API_KEY_UNKNOWN');
    });
  });

  describe('tokens that are not exactly right are UNAUTHENTICATED, at the gateway and at the subgraph', () => {
    const principal: Omit<Principal, 'tokenId'> = {
      kind: 'user',
      subject: '0190a000-0000-7000-8000-000000000001',
      name: 'forger',
      grants: [{ role: 'ADMIN', branchId: null }],
      scopes: [],
    };
    let platformKey: Awaited<ReturnType<typeof generateSigningKey>>;
    beforeAll(async () => {
      const [row] = await queryDatabase<{ private_jwk: JWK }>(
        t.databaseUrl('gateway'),
        'SELECT private_jwk FROM signing_key WHERE retired_at IS NULL',
      );
      const privateKey = await importJWK(row.private_jwk, 'EdDSA');
      platformKey = { kid: row.private_jwk.kid!, privateKey: privateKey as never, publicJwk: {} };
    });
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const cases: [string, () => Promise<string>, string][] = [
      ['malformed', async () => 'not.a.token', 'TOKEN_INVALID'],
      ['expired', async () => (await signAccessToken(platformKey, principal, -120)).token, 'TOKEN_EXPIRED'],
      [
        'signed with another key',
        async () => (await signAccessToken(await generateSigningKey(platformKey.kid), principal, 600)).token,
        'TOKEN_INVALID',
      ],
      [
        'alg none',
        async () =>
          `${b64({ alg: 'none', typ: 'at+jwt' })}.${b64({ sub: principal.subject, typ: 'user', grants: ['ADMIN'], iss: 'unionfed', aud: 'unionfed', exp: Math.floor(Date.now() / 1000) + 600, iat: Math.floor(Date.now() / 1000), jti: 'x' })}.`,
        'TOKEN_INVALID',
      ],
      [
        'tampered claims',
        async () => {
          const viewer = await signAccessToken(
            platformKey,
            { ...principal, grants: [{ role: 'VIEWER', branchId: cs }] },
            600,
          );
          const [header, payload, signature] = viewer.token.split('.');
          const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
          return `${header}.${b64({ ...claims, grants: ['ADMIN'] })}.${signature}`;
        },
        'TOKEN_INVALID',
      ],
      [
        'a HS256 token using the public key as secret',
        async () =>
          new SignJWT({ typ: 'user', grants: ['ADMIN'] })
            .setProtectedHeader({ alg: 'HS256', kid: platformKey.kid, typ: 'at+jwt' })
            .setIssuer('unionfed')
            .setAudience('unionfed')
            .setSubject(principal.subject)
            .setJti('y')
            .setIssuedAt()
            .setExpirationTime('10m')
            .sign(new TextEncoder().encode('public-key-as-secret')),
        'TOKEN_INVALID',
      ],
    ];

    it.each(cases)('refuses a %s token', async (_name, make, reason) => {
      const headers = { authorization: `Bearer ${await make()}` };
      const viaGateway = await gql('{ members { totalCount } }', {}, headers);
      expect(codeOf(viaGateway)).toEqual(['UNAUTHENTICATED']);
      expect(reasonOf(viaGateway)).toBe(reason);
      // a caller who reaches the subgraph directly gets the same answer: it verifies the token itself
      const direct = await graphqlRequest(
        `${t.platform.service('membership').baseUrl}/graphql`,
        '{ members { totalCount } }',
        {},
        headers,
      );
      expect(codeOf(direct)).toEqual(['UNAUTHENTICATED']);
    });

    it('accepts a correctly signed token of the platform (the same path the cases above take)', async () => {
      const headers = {
        authorization: `Bearer ${(await signAccessToken(platformKey, principal, 600)).token}`,
      };
      expect((await gql('{ members { totalCount } }', {}, headers)).errors).toBeUndefined();
    });
  });
});
