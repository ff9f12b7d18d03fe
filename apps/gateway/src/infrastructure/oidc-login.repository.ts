import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

/** What the callback of a campus sign-in needs from the request that started it. */
export interface PendingOidcLogin {
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
  returnTo: string | null;
}

/** An account's campus identity link, read under a row lock before it is changed. */
export interface AccountOidcLink {
  status: 'ACTIVE' | 'DISABLED';
  oidcIssuer: string | null;
  oidcSubject: string | null;
}

/** Campus sign-ins under way, and the account side of linking a campus identity (SQL kept here). */
@Injectable()
export class OidcLoginRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records a started sign-in, and forgets those that have expired (so the table stays small). */
  async savePending(stateHash: Buffer, login: PendingOidcLogin, ttlSeconds: number): Promise<void> {
    await this.dataSource.query(`DELETE FROM oidc_login_attempt WHERE expires_at < now()`);
    await this.dataSource.query(
      `INSERT INTO oidc_login_attempt (state_hash, nonce, code_verifier, redirect_uri, return_to, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6))`,
      [stateHash, login.nonce, login.codeVerifier, login.redirectUri, login.returnTo, ttlSeconds],
    );
  }

  /**
   * Takes a started sign-in out, so that it can be finished once: a second callback with the same state finds
   * nothing. `expired` says it was found but too late.
   */
  async takePending(stateHash: Buffer): Promise<(PendingOidcLogin & { expired: boolean }) | undefined> {
    const rows: (PendingOidcLogin & { expired: boolean })[] = await this.dataSource.query(
      `WITH taken AS (DELETE FROM oidc_login_attempt WHERE state_hash = $1 RETURNING *)
       SELECT nonce, code_verifier AS "codeVerifier", redirect_uri AS "redirectUri", return_to AS "returnTo",
              expires_at <= now() AS expired
         FROM taken`,
      [stateHash],
    );
    return rows[0];
  }

  async lockAccountLink(manager: EntityManager, accountId: string): Promise<AccountOidcLink | undefined> {
    const rows: AccountOidcLink[] = await manager.query(
      `SELECT status, oidc_issuer AS "oidcIssuer", oidc_subject AS "oidcSubject" FROM account WHERE id = $1 FOR UPDATE`,
      [accountId],
    );
    return rows[0];
  }
}
