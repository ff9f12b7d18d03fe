import type { DataSource } from 'typeorm';
import { createDataSource, migrate } from '@unionfed/persistence';
import { createTestDatabase } from '@unionfed/testing';
import { AuditLog } from '../src/application/audit-log';
import { IdentityService } from '../src/application/identity.service';
import { SigningKeys } from '../src/application/signing-keys';
import { IdentityRepository } from '../src/infrastructure/identity.repository';
import { GATEWAY_MIGRATIONS } from '../src/infrastructure/migrations';

describe('the gateway identity store (real PostgreSQL)', () => {
  let dataSource: DataSource;
  let drop: () => Promise<void>;
  let identity: IdentityService;
  let keys: SigningKeys;
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
    const database = await createTestDatabase('identity');
    dataSource = createDataSource({
      url: database.url,
      entities: [],
      migrations: GATEWAY_MIGRATIONS,
      applicationName: 'identity-test',
    });
    await migrate(dataSource);
    drop = async () => {
      await dataSource.destroy();
      await database.drop();
    };
    const repository = new IdentityRepository(dataSource);
    keys = new SigningKeys(repository);
    await keys.load();
    identity = new IdentityService(repository, keys, new AuditLog(repository));
  });

  afterAll(async () => {
    await drop?.();
  });

  it('creates the HQ admin once, with a one-time password printed once, when no password is configured', async () => {
    const printed: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      await Promise.all([identity.ensureInitialAdmin({}), identity.ensureInitialAdmin({})]);
      await identity.ensureInitialAdmin({});
    } finally {
      write.mockRestore();
    }
    const accounts = await dataSource.query(`SELECT username, must_change_password FROM account`);
    expect(accounts).toEqual([{ username: 'admin', must_change_password: true }]);
    const announcements = printed.filter((line) => line.includes('one-time password'));
    expect(announcements).toHaveLength(1);
    const password = /one-time password "([^"]+)"/.exec(announcements[0])![1];
    const session = await identity.login('admin', password, caller);
    // until it is changed the session carries no role at all
    expect(session.account.mustChangePassword).toBe(true);
    expect(JSON.parse(Buffer.from(session.accessToken.split('.')[1], 'base64url').toString()).grants).toEqual(
      [],
    );
    const [grant] = await dataSource.query(`SELECT role, branch_id FROM role_grant`);
    expect(grant).toEqual({ role: 'ADMIN', branch_id: null });
  });

  it('stores passwords and refresh tokens only as hashes', async () => {
    const session = await identity.login('admin', (await resetAdmin()).password, caller);
    const dump =
      JSON.stringify(await dataSource.query(`SELECT * FROM account`)) +
      JSON.stringify(await dataSource.query(`SELECT * FROM refresh_token`));
    expect(dump).not.toContain(session.refreshToken);
    expect(dump).toMatch(/\$argon2id\$/);
  });

  it('throttles an address after many failed sign-ins, even for accounts that do not exist', async () => {
    const address = { ...caller, address: '10.9.9.9' };
    for (let i = 0; i < 20; i++)
      await expect(identity.login(`nobody${i}`, 'wrong-password-1', address)).rejects.toMatchObject({
        reason: 'BAD_CREDENTIALS',
      });
    await expect(identity.login('admin', 'whatever-password-2', address)).rejects.toMatchObject({
      reason: 'ADDRESS_THROTTLED',
    });
    // another address is not affected
    await expect(identity.login('admin', 'wrong-password-3', caller)).rejects.toMatchObject({
      reason: 'BAD_CREDENTIALS',
    });
  });

  it('changes nothing — no audit entry, no ended sessions — when a role the account does not hold is revoked', async () => {
    const { account } = await identity.createAccount(hq, {
      username: 'clerk',
      displayName: '干事',
      grants: [{ role: 'VIEWER' }],
    });
    await identity.sessionFor(account.id, caller, 'oidc');
    const audits = async () =>
      (await dataSource.query(`SELECT count(*)::int AS n FROM audit_event WHERE action = 'ROLE_REVOKED'`))[0]
        .n;
    const live = async () =>
      (
        await dataSource.query(
          `SELECT count(*)::int AS n FROM refresh_token WHERE account_id = $1 AND revoked_at IS NULL`,
          [account.id],
        )
      )[0].n;
    expect(await live()).toBe(1);
    await identity.revokeRole(hq, account.id, { role: 'FINANCE_CASHIER' });
    expect(await audits()).toBe(0);
    expect(await live()).toBe(1);
    await identity.revokeRole(hq, account.id, { role: 'VIEWER' });
    expect(await audits()).toBe(1);
    expect(await live()).toBe(0);
  });

  it('retires an unused one-time password when the account signs in through campus SSO', async () => {
    const { account, oneTimePassword } = await identity.createAccount(hq, {
      username: 'sso.user',
      displayName: '单点',
      grants: [{ role: 'VIEWER' }],
    });
    const session = await identity.sessionFor(account.id, caller, 'oidc');
    expect(JSON.parse(Buffer.from(session.accessToken.split('.')[1], 'base64url').toString()).grants).toEqual(
      ['VIEWER'],
    );
    await expect(identity.login('sso.user', oneTimePassword, caller)).rejects.toMatchObject({
      reason: 'BAD_CREDENTIALS',
    });
  });

  it('ends every session of a disabled account and refuses its sign-in; a reset password replaces the old one', async () => {
    const { account, oneTimePassword } = await identity.createAccount(hq, {
      username: 'leaver',
      displayName: '离岗',
      grants: [{ role: 'VIEWER' }],
    });
    const session = await identity.login('leaver', oneTimePassword, caller);
    await identity.setAccountStatus(hq, account.id, 'DISABLED');
    await expect(identity.refresh(session.refreshToken, caller)).rejects.toMatchObject({
      reason: 'REFRESH_TOKEN_REVOKED',
    });
    await expect(identity.login('leaver', oneTimePassword, caller)).rejects.toMatchObject({
      reason: 'ACCOUNT_DISABLED',
    });
    await identity.setAccountStatus(hq, account.id, 'ACTIVE');
    const again = await identity.login('leaver', oneTimePassword, caller);
    const reset = await identity.resetPassword(hq, account.id);
    await expect(identity.refresh(again.refreshToken, caller)).rejects.toMatchObject({
      reason: 'REFRESH_TOKEN_REVOKED',
    });
    await expect(identity.login('leaver', oneTimePassword, caller)).rejects.toMatchObject({
      reason: 'BAD_CREDENTIALS',
    });
    expect((await identity.login('leaver', reset, caller)).account.mustChangePassword).toBe(true);
    const actions = await dataSource.query(
      `SELECT action FROM audit_event WHERE entity_id = $1 AND action <> 'ACCOUNT_CREATED' ORDER BY id`,
      [account.id],
    );
    expect(actions.map((row: { action: string }) => row.action)).toEqual([
      'ACCOUNT_DISABLED',
      'ACCOUNT_ENABLED',
      'PASSWORD_RESET',
    ]);
    await expect(identity.resetPassword(hq, '0190a000-0000-7000-8000-0000000000ff')).rejects.toMatchObject({
      kind: 'NOT_FOUND',
    });
  });

  async function resetAdmin(): Promise<{ password: string }> {
    const password = 'Tongxin-9527-Gonghui';
    const argon2 = await import('argon2');
    await dataSource.query(
      `UPDATE account SET password_hash = $1, must_change_password = false, failed_logins = 0, locked_until = NULL WHERE username = 'admin'`,
      [await argon2.hash(password)],
    );
    return { password };
  }
});
