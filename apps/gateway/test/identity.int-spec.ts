import type { DataSource } from 'typeorm';
import { graphql, type GraphQLSchema } from 'graphql';
import type { AccountService } from '../src/application/accounts.service';
import type { Caller } from '../src/application/caller';
import type { InitialAdmin } from '../src/application/initial-admin.service';
import type { SessionService } from '../src/application/sessions.service';
import { gatewayIdentity, type GatewayIdentity } from './gateway-identity';

describe('the gateway identity store (real PostgreSQL)', () => {
  let gateway: GatewayIdentity;
  let dataSource: DataSource;
  let sessions: SessionService;
  let accounts: AccountService;
  let initialAdmin: InitialAdmin;
  let schema: GraphQLSchema;
  const caller = {
    principal: { kind: 'anonymous', subject: '', name: '', grants: [], scopes: [] } as never,
    address: '10.0.0.1',
  };
  /** an HQ admin making administrative changes */
  const hq = {
    ...caller,
    principal: {
      kind: 'user',
      subject: '0190a000-0000-7000-8000-0000000000aa',
      name: 'hq',
      grants: [{ role: 'ADMIN', branchId: null }],
      scopes: [],
    } as never,
  };

  beforeAll(async () => {
    gateway = await gatewayIdentity('identity');
    ({ dataSource, sessions, accounts, initialAdmin, schema } = gateway);
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('creates the HQ admin once, with a one-time password printed once, when no password is configured', async () => {
    const printed: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      await Promise.all([initialAdmin.ensure({}), initialAdmin.ensure({})]);
      await initialAdmin.ensure({});
    } finally {
      write.mockRestore();
    }
    const accounts = await dataSource.query(`SELECT username, must_change_password FROM account`);
    expect(accounts).toEqual([{ username: 'admin', must_change_password: true }]);
    const announcements = printed.filter((line) => line.includes('one-time password'));
    expect(announcements).toHaveLength(1);
    const password = /one-time password "([^"]+)"/.exec(announcements[0])![1];
    const session = await sessions.login('admin', password, caller);
    // until it is changed the session carries no role at all
    expect(session.account.mustChangePassword).toBe(true);
    expect(JSON.parse(Buffer.from(session.accessToken.split('.')[1], 'base64url').toString()).grants).toEqual(
      [],
    );
    const [grant] = await dataSource.query(`SELECT role, branch_id FROM role_grant`);
    expect(grant).toEqual({ role: 'ADMIN', branch_id: null });
  });

  it('stores passwords and refresh tokens only as hashes', async () => {
    const session = await sessions.login('admin', (await resetAdmin()).password, caller);
    const dump =
      JSON.stringify(await dataSource.query(`SELECT * FROM account`)) +
      JSON.stringify(await dataSource.query(`SELECT * FROM refresh_token`));
    expect(dump).not.toContain(session.refreshToken);
    expect(dump).toMatch(/\$argon2id\$/);
  });

  it('throttles an address after many failed sign-ins, even for accounts that do not exist', async () => {
    const address = { ...caller, address: '10.9.9.9' };
    for (let i = 0; i < 20; i++)
      await expect(sessions.login(`nobody${i}`, 'wrong-password-1', address)).rejects.toMatchObject({
        reason: 'BAD_CREDENTIALS',
      });
    await expect(sessions.login('admin', 'whatever-password-2', address)).rejects.toMatchObject({
      kind: 'RATE_LIMITED',
      reason: 'ADDRESS_THROTTLED',
      details: { retryAfter: expect.any(Number) },
    });
    // another address is not affected
    await expect(sessions.login('admin', 'wrong-password-3', caller)).rejects.toMatchObject({
      reason: 'BAD_CREDENTIALS',
    });
  });

  it('changes nothing — no audit entry, no ended sessions — when a role the account does not hold is revoked', async () => {
    const { account } = await accounts.createAccount(hq, {
      username: 'clerk',
      displayName: '干事',
      grants: [{ role: 'VIEWER' }],
    });
    await sessions.sessionFor(account.id, caller, 'oidc');
    const audits = async () =>
      (await dataSource.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'ROLE_REVOKED'`))[0].n;
    const live = async () =>
      (
        await dataSource.query(
          `SELECT count(*)::int AS n FROM refresh_token WHERE account_id = $1 AND revoked_at IS NULL`,
          [account.id],
        )
      )[0].n;
    expect(await live()).toBe(1);
    await accounts.revokeRole(hq, account.id, { role: 'FINANCE_CASHIER' });
    expect(await audits()).toBe(0);
    expect(await live()).toBe(1);
    await accounts.revokeRole(hq, account.id, { role: 'VIEWER' });
    expect(await audits()).toBe(1);
    expect(await live()).toBe(0);
  });

  it('retires an unused one-time password when the account signs in through campus SSO', async () => {
    const { account, oneTimePassword } = await accounts.createAccount(hq, {
      username: 'sso.user',
      displayName: '单点',
      grants: [{ role: 'VIEWER' }],
    });
    const session = await sessions.sessionFor(account.id, caller, 'oidc');
    expect(JSON.parse(Buffer.from(session.accessToken.split('.')[1], 'base64url').toString()).grants).toEqual(
      ['VIEWER'],
    );
    await expect(sessions.login('sso.user', oneTimePassword, caller)).rejects.toMatchObject({
      reason: 'BAD_CREDENTIALS',
    });
  });

  it('ends every session of a disabled account and refuses its sign-in; a reset password replaces the old one', async () => {
    const { account, oneTimePassword } = await accounts.createAccount(hq, {
      username: 'leaver',
      displayName: '离岗',
      grants: [{ role: 'VIEWER' }],
    });
    const session = await sessions.login('leaver', oneTimePassword, caller);
    await accounts.setAccountStatus(hq, account.id, 'DISABLED');
    await expect(sessions.refresh(session.refreshToken, caller)).rejects.toMatchObject({
      reason: 'REFRESH_TOKEN_REVOKED',
    });
    await expect(sessions.login('leaver', oneTimePassword, caller)).rejects.toMatchObject({
      reason: 'ACCOUNT_DISABLED',
    });
    await accounts.setAccountStatus(hq, account.id, 'ACTIVE');
    const again = await sessions.login('leaver', oneTimePassword, caller);
    const reset = await accounts.resetPassword(hq, account.id);
    await expect(sessions.refresh(again.refreshToken, caller)).rejects.toMatchObject({
      reason: 'REFRESH_TOKEN_REVOKED',
    });
    await expect(sessions.login('leaver', oneTimePassword, caller)).rejects.toMatchObject({
      reason: 'BAD_CREDENTIALS',
    });
    expect((await sessions.login('leaver', reset, caller)).account.mustChangePassword).toBe(true);
    const actions = await dataSource.query(
      `SELECT action FROM audit_log WHERE entity_id = $1 AND action <> 'ACCOUNT_CREATED' ORDER BY id`,
      [account.id],
    );
    expect(actions.map((row: { action: string }) => row.action)).toEqual([
      'ACCOUNT_DISABLED',
      'ACCOUNT_ENABLED',
      'PASSWORD_RESET',
    ]);
    await expect(accounts.resetPassword(hq, '0190a000-0000-7000-8000-0000000000ff')).rejects.toMatchObject({
      kind: 'NOT_FOUND',
    });
  });

  describe('sign-in throttling without a lock a stranger can trigger', () => {
    const from = (address: string): Caller => ({ ...caller, address });
    /** what becomes the caller's error: code, reason, message and extensions */
    const answer = (error: unknown) => {
      const { kind, reason, message, details } = error as Record<string, unknown>;
      return { kind, reason, message, details };
    };
    const attempt = (username: string, password: string, address: string) =>
      sessions.login(username, password, from(address)).then(
        () => 'SIGNED_IN' as const,
        (error: unknown) => answer(error),
      );

    it('lets admin sign in from another address while an attacker fails admin’s password from one', async () => {
      const { password } = await resetAdmin();
      for (let i = 0; i < 10; i++) await attempt('admin', `wrong-password-${i}`, '10.1.0.1');
      expect(await attempt('admin', password, '10.1.0.2')).toBe('SIGNED_IN');
    });

    it('answers repeated failures of one username from one address with RATE_LIMITED and when to retry, before checking the password', async () => {
      const { password } = await resetAdmin();
      for (let i = 0; i < 3; i++)
        expect(await attempt('admin', `wrong-password-${i}`, '10.2.0.1')).toMatchObject({
          kind: 'UNAUTHENTICATED',
          reason: 'BAD_CREDENTIALS',
        });
      // even the right password waits: the pair is refused before the password is looked at
      expect(await attempt('admin', password, '10.2.0.1')).toMatchObject({
        kind: 'RATE_LIMITED',
        reason: 'TOO_MANY_ATTEMPTS',
        details: { retryAfter: expect.any(Number) },
      });
      const refused = (await attempt('admin', password, '10.2.0.1')) as { details: { retryAfter: number } };
      expect(refused.details.retryAfter).toBeGreaterThan(0);
      const audited = await dataSource.query(
        `SELECT details->>'reason' AS reason FROM audit_log
          WHERE action = 'LOGIN' AND outcome = 'REFUSED' AND address = '10.2.0.1'`,
      );
      expect(audited.map((row: { reason: string }) => row.reason)).toEqual([
        'TOO_MANY_ATTEMPTS',
        'TOO_MANY_ATTEMPTS',
      ]);
    });

    it('answers an unknown username exactly like a known one for the same attempts', async () => {
      await resetAdmin();
      const sequence = async (username: string, address: string) => {
        const answers = [];
        for (let i = 0; i < 7; i++) answers.push(await attempt(username, `wrong-password-${i}`, address));
        return answers;
      };
      const known = await sequence('admin', '10.3.0.1');
      const unknown = await sequence('no.such.user', '10.3.0.2');
      expect(unknown).toEqual(known);
      expect(new Set(known.map((a) => (a as { kind: string }).kind))).toEqual(
        new Set(['UNAUTHENTICATED', 'RATE_LIMITED']),
      );
    });

    it('counts concurrent attempts from one address one after the other, so a burst gets no more free tries', async () => {
      await resetAdmin();
      const burst = await Promise.all(
        Array.from({ length: 8 }, (_, i) => attempt('admin', `wrong-password-${i}`, '10.6.0.1')),
      );
      const reasons = burst.map((a) => (a as { reason: string }).reason);
      expect(reasons.filter((r) => r === 'BAD_CREDENTIALS')).toHaveLength(3);
      expect(reasons.filter((r) => r === 'TOO_MANY_ATTEMPTS')).toHaveLength(5);
    });

    it('forgets the failures of a username and address after a successful sign-in from there', async () => {
      const { oneTimePassword } = await accounts.createAccount(hq, {
        username: 'pair.reset',
        displayName: '重置',
        grants: [{ role: 'VIEWER' }],
      });
      for (let i = 0; i < 2; i++) await attempt('pair.reset', `wrong-password-${i}`, '10.4.0.1');
      expect(await attempt('pair.reset', oneTimePassword, '10.4.0.1')).toBe('SIGNED_IN');
      for (let i = 0; i < 3; i++)
        expect(await attempt('pair.reset', `wrong-password-${i}`, '10.4.0.1')).toMatchObject({
          reason: 'BAD_CREDENTIALS',
        });
      expect(await attempt('pair.reset', oneTimePassword, '10.4.0.1')).toMatchObject({
        kind: 'RATE_LIMITED',
      });
    });
  });

  describe('a branch admin and accounts beyond their branch', () => {
    const X = '0190b000-0000-7000-8000-0000000000a1';
    const Y = '0190b000-0000-7000-8000-0000000000b2';
    const NOBODY = '0190b000-0000-7000-8000-0000000000ff';
    const MEMBER = '0190b000-0000-7000-8000-0000000000c3';
    let xAdmin: Caller;
    const targets: Record<string, { id: string; username: string; refreshToken: string }> = {};

    beforeAll(async () => {
      const create = async (username: string, grants: { role: string; branchId?: string }[]) =>
        (await accounts.createAccount(hq, { username, displayName: username, grants })).account;
      const admin = await create('x.admin', [{ role: 'ADMIN', branchId: X }]);
      xAdmin = {
        address: '10.5.0.1',
        principal: {
          kind: 'user',
          subject: admin.id,
          name: admin.username,
          grants: [{ role: 'ADMIN', branchId: X }],
          scopes: [],
        },
      };
      const [hqAdmin] = await dataSource.query(`SELECT id, username FROM account WHERE username = 'admin'`);
      const byName = {
        'Y’s officer': await create('y.officer', [{ role: 'MEMBERSHIP_OFFICER', branchId: Y }]),
        'the HQ admin': hqAdmin as { id: string; username: string },
        'an account with roles in X and Y': await create('x.and.y', [
          { role: 'VIEWER', branchId: X },
          { role: 'FINANCE_CASHIER', branchId: Y },
        ]),
        'an account wholly within X': await create('x.clerk', [{ role: 'VIEWER', branchId: X }]),
      };
      for (const [name, account] of Object.entries(byName))
        targets[name] = {
          ...account,
          refreshToken: (await sessions.sessionFor(account.id, caller, 'oidc')).refreshToken,
        };
    });

    /** everything a branch admin could try on an account, each as the answer it gets */
    const everything = (accountId: string) => ({
      grantRole: () => accounts.grantRole(xAdmin, accountId, { role: 'VIEWER', branchId: X }),
      revokeRole: () => accounts.revokeRole(xAdmin, accountId, { role: 'VIEWER', branchId: X }),
      disable: () => accounts.setAccountStatus(xAdmin, accountId, 'DISABLED'),
      enable: () => accounts.setAccountStatus(xAdmin, accountId, 'ACTIVE'),
      resetPassword: () => accounts.resetPassword(xAdmin, accountId),
      linkMember: () => accounts.linkMember(xAdmin, accountId, MEMBER),
      unlinkMember: () => accounts.linkMember(xAdmin, accountId, null),
    });
    const answerTo = (run: () => Promise<unknown>) =>
      run().then(
        () => 'DONE',
        (error: { kind?: string; reason?: string; message?: string; details?: unknown }) => ({
          kind: error.kind,
          reason: error.reason,
          message: error.message,
          details: error.details,
        }),
      );
    const stateOf = async (accountId: string) => ({
      account: await dataSource.query(
        `SELECT status, password_hash, must_change_password, member_id FROM account WHERE id = $1`,
        [accountId],
      ),
      grants: await dataSource.query(
        `SELECT role, branch_id FROM role_grant WHERE account_id = $1 ORDER BY role`,
        [accountId],
      ),
    });

    it.each(['Y’s officer', 'the HQ admin', 'an account with roles in X and Y'])(
      'lets X’s admin change nothing of %s, answering as for an account that does not exist',
      async (name) => {
        const target = targets[name];
        const before = await stateOf(target.id);
        const attempts = everything(target.id);
        const missing = everything(NOBODY);
        for (const [what, run] of Object.entries(attempts)) {
          const answer = await answerTo(run);
          expect([what, answer]).toEqual([what, await answerTo(missing[what as keyof typeof missing])]);
          expect(answer).toMatchObject({ kind: 'NOT_FOUND' });
          expect(JSON.stringify(answer)).not.toContain(target.id);
          expect(JSON.stringify(answer)).not.toContain(target.username);
        }
        expect(await stateOf(target.id)).toEqual(before);
        // its session lives on
        const refreshed = await sessions.refresh(target.refreshToken, caller);
        target.refreshToken = refreshed.refreshToken;
        const refusals = await dataSource.query(
          `SELECT action FROM audit_log WHERE entity_id = $1 AND actor_id = $2 AND outcome = 'REFUSED'`,
          [target.id, xAdmin.principal.subject],
        );
        expect(refusals).toHaveLength(Object.keys(attempts).length);
      },
    );

    it('shows X’s admin only accounts wholly within X, and none of another branch’s grants', async () => {
      const result = await graphql({
        schema,
        source: `{ accounts(first: 200) { id username grants { role branchId } } }`,
        contextValue: { principal: xAdmin.principal, address: xAdmin.address },
      });
      expect(result.errors).toBeUndefined();
      const listed = (result.data as { accounts: { username: string; grants: { branchId: string }[] }[] })
        .accounts;
      expect(listed.map((a) => a.username).sort()).toEqual(['x.admin', 'x.clerk']);
      const dump = JSON.stringify(result);
      expect(dump).not.toContain(Y);
      expect(dump).not.toContain(targets['the HQ admin'].id);
      for (const account of listed) for (const grant of account.grants) expect(grant.branchId).toBe(X);
    });

    it('decides on the grants as they are once the account is locked: a role of Y granted meanwhile is seen', async () => {
      const { account } = await accounts.createAccount(hq, {
        username: 'x.soon.y',
        displayName: '将调',
        grants: [{ role: 'VIEWER', branchId: X }],
      });
      const { refreshToken } = await sessions.sessionFor(account.id, caller, 'oidc');
      const runner = dataSource.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      let revoke: Promise<unknown> | undefined;
      try {
        // an HQ admin's change under way: the account locked, a role of Y added, not yet committed
        await runner.query(`SELECT id FROM account WHERE id = $1 FOR UPDATE`, [account.id]);
        await runner.query(`INSERT INTO role_grant (account_id, role, branch_id) VALUES ($1, 'VIEWER', $2)`, [
          account.id,
          Y,
        ]);
        revoke = answerTo(() => accounts.revokeRole(xAdmin, account.id, { role: 'VIEWER', branchId: X }));
        await new Promise((resolve) => setTimeout(resolve, 200));
        await runner.commitTransaction();
      } finally {
        await runner.release();
      }
      expect(await revoke).toMatchObject({ kind: 'NOT_FOUND', reason: 'ACCOUNT_NOT_FOUND' });
      expect((await stateOf(account.id)).grants).toHaveLength(2);
      await expect(sessions.refresh(refreshToken, caller)).resolves.toBeDefined();
    });

    it('lets X’s admin still manage an account wholly within X', async () => {
      const target = targets['an account wholly within X'];
      await accounts.grantRole(xAdmin, target.id, { role: 'WELFARE_OFFICER', branchId: X });
      await accounts.revokeRole(xAdmin, target.id, { role: 'WELFARE_OFFICER', branchId: X });
      expect((await stateOf(target.id)).grants).toEqual([{ role: 'VIEWER', branch_id: X }]);
      // revoking a role ends the account's sessions, as for an HQ admin's revocation
      await expect(sessions.refresh(target.refreshToken, caller)).rejects.toMatchObject({
        reason: 'REFRESH_TOKEN_REVOKED',
      });
    });
  });

  async function resetAdmin(): Promise<{ password: string }> {
    const password = 'Tongxin-9527-Gonghui';
    const argon2 = await import('argon2');
    await dataSource.query(
      `UPDATE account SET password_hash = $1, must_change_password = false WHERE username = 'admin'`,
      [await argon2.hash(password)],
    );
    return { password };
  }

  it('answers one of two concurrent creations of one username with CONFLICT, and audits only the account made', async () => {
    for (let round = 0; round < 5; round++) {
      const username = `racer${round}`;
      const outcomes = await Promise.allSettled([
        accounts.createAccount(hq, { username, displayName: username, grants: [{ role: 'VIEWER' }] }),
        accounts.createAccount(hq, { username, displayName: username, grants: [{ role: 'VIEWER' }] }),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ kind: 'CONFLICT', reason: 'USERNAME_TAKEN' });
      const rows = await dataSource.query(
        `SELECT actor_id, role, entity_type FROM audit_log WHERE action = 'ACCOUNT_CREATED' AND details->>'username' = $1`,
        [username],
      );
      // the audit row of the change, written in its transaction: the loser's rolled back with it
      expect(rows).toEqual([
        { actor_id: '0190a000-0000-7000-8000-0000000000aa', role: 'ADMIN', entity_type: 'Account' },
      ]);
    }
  });
});
