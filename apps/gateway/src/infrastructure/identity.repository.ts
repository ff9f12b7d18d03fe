import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { JWK } from 'jose';
import type { Grant, Role } from '@unionfed/auth';
import { SYSTEM_ACTING, UnitOfWork, uuidv7 } from '@unionfed/persistence';
import type { SignInCounts } from '../domain/accounts';

/** Why the membership disabled a member's account: they withdrew or died. */
export type MemberLeaving = 'MEMBER_WITHDREW' | 'MEMBER_DECEASED';

export interface AccountRow {
  id: string;
  username: string;
  displayName: string;
  passwordHash: string | null;
  mustChangePassword: boolean;
  status: 'ACTIVE' | 'DISABLED';
  memberId: string | null;
  lastLoginAt: Date | null;
  createdAt: Date;
}

export interface RefreshTokenRow {
  id: string;
  accountId: string;
  familyId: string;
  expiresAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
}

export interface ApiKeyRow {
  id: string;
  prefix: string;
  secretHash: Buffer;
  label: string;
  scopes: string[];
  expiresAt: Date;
  revokedAt: Date | null;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

export interface AuditEventInput {
  action: string;
  outcome: 'SUCCESS' | 'FAILURE' | 'REFUSED';
  actorId?: string | null;
  actorName?: string | null;
  address?: string | null;
  entity?: string | null;
  entityId?: string | null;
  branchId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditEventRow extends Required<Omit<AuditEventInput, 'details'>> {
  id: string;
  at: Date;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  action?: string;
  actorId?: string;
  outcome?: string;
  from?: Date;
  to?: Date;
}

/** Where sign-in failures are counted: the client address, the (username, address) pair, the username. */
export interface SignInKeys {
  address: string;
  pair: string;
  username: string;
}
type SignInScope = 'ADDRESS' | 'PAIR' | 'USERNAME';
const SCOPE_COUNT = { ADDRESS: 'address', PAIR: 'pair', USERNAME: 'username' } as const;

/** TypeORM answers an UPDATE/DELETE with RETURNING as [rows, affected]; an INSERT with the rows. */
function affectedRows(result: unknown): number {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[1];
  return Array.isArray(result) ? result.length : 0;
}

const ACCOUNT_COLUMNS = `id, username, display_name AS "displayName", password_hash AS "passwordHash",
  must_change_password AS "mustChangePassword", status, member_id AS "memberId", last_login_at AS "lastLoginAt", created_at AS "createdAt"`;

const API_KEY_COLUMNS = `id, prefix, secret_hash AS "secretHash", label, scopes, expires_at AS "expiresAt",
  revoked_at AS "revokedAt", created_by AS "createdBy", created_at AS "createdAt", last_used_at AS "lastUsedAt"`;

/** The gateway's identity store (SQL kept here; the rules live in domain/ and application/). */
@Injectable()
export class IdentityRepository {
  constructor(readonly dataSource: DataSource) {}

  private q(manager?: EntityManager) {
    return (sql: string, params: unknown[] = []) =>
      (manager ?? this.dataSource.manager).query(sql, params) as Promise<never[]>;
  }

  async countAccounts(): Promise<number> {
    const [row] = await this.q()(`SELECT count(*)::int AS n FROM account`);
    return (row as { n: number }).n;
  }

  async findAccountByUsername(
    username: string,
    manager?: EntityManager,
    lock = false,
  ): Promise<AccountRow | undefined> {
    const rows = await this.q(manager)(
      `SELECT ${ACCOUNT_COLUMNS} FROM account WHERE username = $1${lock ? ' FOR UPDATE' : ''}`,
      [username],
    );
    return rows[0];
  }

  async findAccount(id: string, manager?: EntityManager, lock = false): Promise<AccountRow | undefined> {
    const rows = await this.q(manager)(
      `SELECT ${ACCOUNT_COLUMNS} FROM account WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  /** The account linked to a member record (one at most: member_id is unique). */
  async findAccountByMember(
    memberId: string,
    manager?: EntityManager,
    lock = false,
  ): Promise<AccountRow | undefined> {
    const rows = await this.q(manager)(
      `SELECT ${ACCOUNT_COLUMNS} FROM account WHERE member_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [memberId],
    );
    return rows[0];
  }

  /** Which of these usernames accounts have already. */
  async takenUsernames(manager: EntityManager, usernames: string[]): Promise<Set<string>> {
    const rows: { username: string }[] = await this.q(manager)(
      `SELECT username FROM account WHERE username = ANY($1::text[])`,
      [usernames],
    );
    return new Set(rows.map((row) => row.username));
  }

  async findAccountByOidc(issuer: string, subject: string): Promise<AccountRow | undefined> {
    const rows = await this.q()(
      `SELECT ${ACCOUNT_COLUMNS} FROM account WHERE oidc_issuer = $1 AND oidc_subject = $2`,
      [issuer, subject],
    );
    return rows[0];
  }

  async linkOidc(manager: EntityManager, accountId: string, issuer: string, subject: string): Promise<void> {
    await this.q(manager)(`UPDATE account SET oidc_issuer = $2, oidc_subject = $3 WHERE id = $1`, [
      accountId,
      issuer,
      subject,
    ]);
  }

  /**
   * Accounts, all of them or only those wholly within `branchIds` (at least one role, and every role one of those
   * branches: what domain/accounts.ts `mayAdministerAccount` lets a branch admin administer).
   */
  async listAccounts(branchIds: string[] | 'ALL', first: number, afterId?: string): Promise<AccountRow[]> {
    const params: unknown[] = [afterId ?? null, first];
    let scope = 'TRUE';
    if (branchIds !== 'ALL') {
      params.push(branchIds);
      scope = `EXISTS (SELECT 1 FROM role_grant g WHERE g.account_id = a.id)
        AND NOT EXISTS (SELECT 1 FROM role_grant g WHERE g.account_id = a.id
                         AND (g.branch_id IS NULL OR NOT g.branch_id = ANY($3::uuid[])))`;
    }
    return this.q()(
      `SELECT ${ACCOUNT_COLUMNS} FROM account a
        WHERE ($1::uuid IS NULL OR a.id > $1::uuid) AND ${scope}
        ORDER BY a.id LIMIT $2`,
      params,
    );
  }

  async insertAccount(
    manager: EntityManager,
    account: Pick<
      AccountRow,
      'username' | 'displayName' | 'passwordHash' | 'mustChangePassword' | 'memberId'
    >,
  ): Promise<string> {
    const id = uuidv7();
    await this.q(manager)(
      `INSERT INTO account (id, username, display_name, password_hash, must_change_password, member_id)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        id,
        account.username,
        account.displayName,
        account.passwordHash,
        account.mustChangePassword,
        account.memberId,
      ],
    );
    return id;
  }

  /** Several accounts in one statement (a branch's member accounts); answers their ids, in the given order. */
  async insertAccounts(
    manager: EntityManager,
    accounts: Pick<
      AccountRow,
      'username' | 'displayName' | 'passwordHash' | 'mustChangePassword' | 'memberId'
    >[],
  ): Promise<string[]> {
    if (accounts.length === 0) return [];
    const ids = accounts.map(() => uuidv7());
    await this.q(manager)(
      `INSERT INTO account (id, username, display_name, password_hash, must_change_password, member_id)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::uuid[])`,
      [
        ids,
        accounts.map((a) => a.username),
        accounts.map((a) => a.displayName),
        accounts.map((a) => a.passwordHash),
        accounts.map((a) => a.mustChangePassword),
        accounts.map((a) => a.memberId),
      ],
    );
    return ids;
  }

  /**
   * A member left the union: the ACTIVE accounts linked to them that hold no staff role (their own) are disabled
   * and their sessions end. Answers the accounts disabled.
   */
  async disableMemberAccounts(
    manager: EntityManager,
    memberId: string,
    reason: MemberLeaving,
  ): Promise<{ id: string; username: string }[]> {
    const result = await this.q(manager)(
      `UPDATE account a SET status = 'DISABLED', disabled_reason = $2
        WHERE a.member_id = $1 AND a.status = 'ACTIVE'
          AND NOT EXISTS (SELECT 1 FROM role_grant g WHERE g.account_id = a.id)
        RETURNING a.id, a.username`,
      [memberId, reason],
    );
    const disabled = (Array.isArray(result[0]) ? result[0] : result) as { id: string; username: string }[];
    for (const account of disabled) await this.revokeAllOf(manager, account.id);
    return disabled;
  }

  /**
   * A member was reinstated: the accounts linked to them that were disabled because they left (not those an admin
   * disabled) are active again, with the password they had. Answers the accounts enabled.
   */
  async enableReturningMemberAccounts(
    manager: EntityManager,
    memberId: string,
  ): Promise<{ id: string; username: string }[]> {
    const result = await this.q(manager)(
      `UPDATE account SET status = 'ACTIVE', disabled_reason = NULL
        WHERE member_id = $1 AND status = 'DISABLED' AND disabled_reason IN ('MEMBER_WITHDREW','MEMBER_DECEASED')
        RETURNING id, username`,
      [memberId],
    );
    return (Array.isArray(result[0]) ? result[0] : result) as { id: string; username: string }[];
  }

  async setPassword(
    manager: EntityManager,
    accountId: string,
    hash: string,
    mustChange: boolean,
  ): Promise<void> {
    await this.q(manager)(
      `UPDATE account SET password_hash = $2, must_change_password = $3
        WHERE id = $1`,
      [accountId, hash, mustChange],
    );
  }

  /** An account signing in through campus SSO no longer needs the one-time password it was created with. */
  async retireOneTimePassword(manager: EntityManager, accountId: string): Promise<void> {
    await this.q(manager)(
      `UPDATE account SET password_hash = NULL, must_change_password = false WHERE id = $1 AND must_change_password`,
      [accountId],
    );
  }

  /** An admin's enabling or disabling (`disabled_reason` ADMIN: a member's reinstatement does not undo it). */
  async setStatus(manager: EntityManager, accountId: string, status: 'ACTIVE' | 'DISABLED'): Promise<void> {
    await this.q(manager)(
      `UPDATE account SET status = $2, disabled_reason = CASE WHEN $2 = 'DISABLED' THEN 'ADMIN' END WHERE id = $1`,
      [accountId, status],
    );
  }

  async setMember(manager: EntityManager, accountId: string, memberId: string | null): Promise<void> {
    await this.q(manager)(`UPDATE account SET member_id = $2 WHERE id = $1`, [accountId, memberId]);
  }

  async recordLogin(manager: EntityManager, accountId: string): Promise<void> {
    await this.q(manager)(`UPDATE account SET last_login_at = now() WHERE id = $1`, [accountId]);
  }

  /**
   * The sign-in failures counted under `keys`, their rows locked until the transaction ends. The rows are made
   * first (with no failure) when missing: FOR UPDATE locks only rows that exist, so without them the first
   * attempts of a concurrent burst would all see no failure and all get a free try.
   */
  async lockSignInCounts(manager: EntityManager, keys: SignInKeys): Promise<SignInCounts> {
    await this.q(manager)(
      `INSERT INTO sign_in_throttle (scope, key, failures, since, last_failure_at)
       VALUES ('ADDRESS', $1, 0, now(), now()), ('PAIR', $2, 0, now(), now()), ('USERNAME', $3, 0, now(), now())
       ON CONFLICT (scope, key) DO NOTHING`,
      [keys.address, keys.pair, keys.username],
    );
    const rows: { scope: SignInScope; failures: number; since: Date; last: Date }[] = await this.q(manager)(
      `SELECT scope, failures, since, last_failure_at AS last FROM sign_in_throttle
        WHERE (scope, key) IN (('ADDRESS', $1), ('PAIR', $2), ('USERNAME', $3))
        ORDER BY scope, key FOR UPDATE`,
      [keys.address, keys.pair, keys.username],
    );
    const counts: SignInCounts = {};
    for (const { scope, failures, since, last } of rows)
      counts[SCOPE_COUNT[scope]] = { failures, since, last };
    return counts;
  }

  async saveSignInCounts(
    manager: EntityManager,
    keys: SignInKeys,
    counts: Required<SignInCounts>,
  ): Promise<void> {
    await this.q(manager)(
      `INSERT INTO sign_in_throttle (scope, key, failures, since, last_failure_at)
       VALUES ('ADDRESS', $1, $4, $5, $6), ('PAIR', $2, $7, $8, $9), ('USERNAME', $3, $10, $11, $12)
       ON CONFLICT (scope, key) DO UPDATE
         SET failures = excluded.failures, since = excluded.since, last_failure_at = excluded.last_failure_at`,
      [
        keys.address,
        keys.pair,
        keys.username,
        ...[counts.address, counts.pair, counts.username].flatMap((c) => [c.failures, c.since, c.last]),
      ],
    );
  }

  /**
   * A sign-in succeeded: its pair starts again from nothing, and the failure it was counted as beforehand is
   * taken back from the address's and the username's counts.
   */
  async forgetSignInFailure(keys: SignInKeys): Promise<void> {
    await this.q()(
      `WITH pair AS (DELETE FROM sign_in_throttle WHERE scope = 'PAIR' AND key = $2)
       UPDATE sign_in_throttle SET failures = greatest(failures - 1, 0)
        WHERE (scope, key) IN (('ADDRESS', $1), ('USERNAME', $3))`,
      [keys.address, keys.pair, keys.username],
    );
  }

  /** Counts nobody needs any more (every window and the pairs' memory are a day at most). */
  async pruneSignInCounts(manager: EntityManager, olderThanSeconds: number): Promise<void> {
    await this.q(manager)(
      `DELETE FROM sign_in_throttle WHERE last_failure_at < now() - make_interval(secs => $1)`,
      [olderThanSeconds],
    );
  }

  async grantsOf(accountId: string, manager?: EntityManager): Promise<Grant[]> {
    const rows: { role: Role; branchId: string | null }[] = await this.q(manager)(
      `SELECT role, branch_id AS "branchId" FROM role_grant WHERE account_id = $1 ORDER BY role, branch_id NULLS FIRST`,
      [accountId],
    );
    return rows;
  }

  async addGrant(
    manager: EntityManager,
    accountId: string,
    grant: Grant,
    grantedBy: string | null,
  ): Promise<boolean> {
    const rows = await this.q(manager)(
      `INSERT INTO role_grant (account_id, role, branch_id, granted_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING RETURNING role`,
      [accountId, grant.role, grant.branchId, grantedBy],
    );
    return rows.length > 0;
  }

  async removeGrant(manager: EntityManager, accountId: string, grant: Grant): Promise<boolean> {
    const result = await this.q(manager)(
      `DELETE FROM role_grant WHERE account_id = $1 AND role = $2 AND branch_id IS NOT DISTINCT FROM $3 RETURNING role`,
      [accountId, grant.role, grant.branchId],
    );
    return affectedRows(result) > 0;
  }

  async insertRefreshToken(
    manager: EntityManager,
    token: { id: string; accountId: string; familyId: string; hash: Buffer; expiresAt: Date },
  ): Promise<void> {
    await this.q(manager)(
      `INSERT INTO refresh_token (id, account_id, family_id, token_hash, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [token.id, token.accountId, token.familyId, token.hash, token.expiresAt],
    );
  }

  async findRefreshToken(manager: EntityManager, hash: Buffer): Promise<RefreshTokenRow | undefined> {
    const rows = await this.q(manager)(
      `SELECT id, account_id AS "accountId", family_id AS "familyId", expires_at AS "expiresAt",
              rotated_at AS "rotatedAt", revoked_at AS "revokedAt"
         FROM refresh_token WHERE token_hash = $1 FOR UPDATE`,
      [hash],
    );
    return rows[0];
  }

  async markRotated(manager: EntityManager, id: string): Promise<void> {
    await this.q(manager)(`UPDATE refresh_token SET rotated_at = now() WHERE id = $1`, [id]);
  }

  async revokeFamily(manager: EntityManager, familyId: string): Promise<void> {
    await this.q(manager)(
      `UPDATE refresh_token SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`,
      [familyId],
    );
  }

  async revokeAllOf(manager: EntityManager, accountId: string): Promise<number> {
    const result = await this.q(manager)(
      `UPDATE refresh_token SET revoked_at = now() WHERE account_id = $1 AND revoked_at IS NULL RETURNING id`,
      [accountId],
    );
    return affectedRows(result);
  }

  async signingKeys(): Promise<{ kid: string; privateJwk: JWK; createdAt: Date; retiredAt: Date | null }[]> {
    return this.q()(
      `SELECT kid, private_jwk AS "privateJwk", created_at AS "createdAt", retired_at AS "retiredAt"
         FROM signing_key ORDER BY created_at`,
    );
  }

  /** Adds a key and retires the current one, in one transaction (several gateways may race: the lock decides). */
  async rotateSigningKey(kid: string, privateJwk: JWK, onlyIfNone: boolean): Promise<boolean> {
    // the unit of work without audit: a key rotation is the platform's own act (SigningKeys logs it)
    return new UnitOfWork(this.dataSource).run(SYSTEM_ACTING, async ({ manager }) => {
      await manager.query(`LOCK TABLE signing_key IN SHARE ROW EXCLUSIVE MODE`);
      if (onlyIfNone) {
        const [row] = await manager.query(
          `SELECT count(*)::int AS n FROM signing_key WHERE retired_at IS NULL`,
        );
        if (row.n > 0) return false;
      }
      await manager.query(`UPDATE signing_key SET retired_at = now() WHERE retired_at IS NULL`);
      await manager.query(`INSERT INTO signing_key (kid, private_jwk) VALUES ($1, $2)`, [kid, privateJwk]);
      return true;
    });
  }

  async insertApiKey(
    manager: EntityManager,
    key: Omit<ApiKeyRow, 'createdAt' | 'lastUsedAt' | 'revokedAt'>,
  ): Promise<void> {
    await this.q(manager)(
      `INSERT INTO api_key (id, prefix, secret_hash, label, scopes, expires_at, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [key.id, key.prefix, key.secretHash, key.label, key.scopes, key.expiresAt, key.createdBy],
    );
  }

  async findApiKeyByPrefix(prefix: string): Promise<ApiKeyRow | undefined> {
    const rows = await this.q()(`SELECT ${API_KEY_COLUMNS} FROM api_key WHERE prefix = $1`, [prefix]);
    return rows[0];
  }

  async findApiKey(id: string, manager?: EntityManager): Promise<ApiKeyRow | undefined> {
    const rows = await this.q(manager)(`SELECT ${API_KEY_COLUMNS} FROM api_key WHERE id = $1`, [id]);
    return rows[0];
  }

  async listApiKeys(): Promise<ApiKeyRow[]> {
    return this.q()(`SELECT ${API_KEY_COLUMNS} FROM api_key ORDER BY id DESC`);
  }

  async revokeApiKey(manager: EntityManager, id: string): Promise<boolean> {
    const result = await this.q(manager)(
      `UPDATE api_key SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id`,
      [id],
    );
    return affectedRows(result) > 0;
  }

  async touchApiKey(id: string): Promise<void> {
    await this.q()(`UPDATE api_key SET last_used_at = now() WHERE id = $1`, [id]);
  }
}
