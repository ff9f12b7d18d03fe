import { Injectable } from '@nestjs/common';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidInputError, NotFoundError, UnauthenticatedError } from '@unionfed/domain-kit';
import { signAccessToken } from '@unionfed/auth';
import { isUuid, uuidv7 } from '@unionfed/persistence';
import { IdentityRepository, type ApiKeyRow } from '../infrastructure/identity.repository';
import { actingFor, GatewayUnitOfWork } from '../infrastructure/gateway.unit-of-work';
import { SigningKeys } from './signing-keys';
import { AuditLog } from './audit-log';
import { performedBy, type Caller } from './caller';
import { sha256 } from './secrets';

/** What an API key may be allowed to do: read statistics. */
export const API_KEY_SCOPES = ['statistics:read'];
/** tokens minted for API keys never leave the gateway; kept short so a revoked key stops everywhere soon */
const API_KEY_TOKEN_SECONDS = 120;

/**
 * API keys for integrations: made and revoked by HQ admins, the secret shown once and stored only as a hash,
 * verified in constant time on use and exchanged for a short-lived INTEGRATION token.
 */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly repository: IdentityRepository,
    private readonly keys: SigningKeys,
    private readonly audit: AuditLog,
    private readonly unitOfWork: GatewayUnitOfWork,
  ) {}

  /** A new API key; the secret is returned once and stored only as a hash. */
  async createApiKey(
    actor: Caller,
    input: { label: string; scopes: string[]; expiresAt: Date },
  ): Promise<{ key: ApiKeyRow; secret: string }> {
    const label = input.label.trim();
    if (!label) throw new InvalidInputError('label must not be empty', 'EMPTY_LABEL', { field: 'label' });
    const unknown = input.scopes.filter((scope) => !API_KEY_SCOPES.includes(scope));
    if (input.scopes.length === 0 || unknown.length)
      throw new InvalidInputError(`scopes must be some of ${API_KEY_SCOPES.join(', ')}`, 'INVALID_SCOPE', {
        field: 'scopes',
      });
    const days = (input.expiresAt.getTime() - Date.now()) / 86_400_000;
    if (!(days > 0 && days <= 366))
      throw new InvalidInputError('expiresAt must be in the future, at most a year away', 'INVALID_EXPIRY', {
        field: 'expiresAt',
      });
    const prefix = randomBytes(6).toString('hex');
    const secret = `ufk_${prefix}_${randomBytes(32).toString('base64url')}`;
    const id = uuidv7();
    await this.unitOfWork.run(actingFor(actor.principal), async (work) => {
      const { manager } = work;
      await this.repository.insertApiKey(manager, {
        id,
        prefix,
        secretHash: sha256(secret),
        label,
        scopes: input.scopes,
        expiresAt: input.expiresAt,
        createdBy: actor.principal.subject,
      });
      this.audit.within(work, {
        action: 'API_KEY_CREATED',
        outcome: 'SUCCESS',
        ...performedBy(actor),
        entity: 'ApiKey',
        entityId: id,
        details: { label, prefix, scopes: input.scopes },
      });
    });
    return { key: (await this.repository.findApiKey(id))!, secret };
  }

  async revokeApiKey(actor: Caller, id: string): Promise<ApiKeyRow> {
    if (!isUuid(id)) throw new NotFoundError('ApiKey', id);
    await this.unitOfWork.run(actingFor(actor.principal), async (work) => {
      const { manager } = work;
      if (!(await this.repository.findApiKey(id, manager))) throw new NotFoundError('ApiKey', id);
      if (await this.repository.revokeApiKey(manager, id))
        this.audit.within(work, {
          action: 'API_KEY_REVOKED',
          outcome: 'SUCCESS',
          ...performedBy(actor),
          entity: 'ApiKey',
          entityId: id,
        });
    });
    return (await this.repository.findApiKey(id))!;
  }

  listApiKeys(): Promise<ApiKeyRow[]> {
    return this.repository.listApiKeys();
  }

  /**
   * The key a secret belongs to, if it is valid (known, not revoked, not expired); records the use. The
   * comparison is constant-time on the hash.
   */
  async verifyApiKey(secret: string, address: string): Promise<ApiKeyRow> {
    const match = secret.match(/^ufk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/);
    const key = match ? await this.repository.findApiKeyByPrefix(match[1]) : undefined;
    const valid = key !== undefined && timingSafeEqual(key.secretHash, sha256(secret));
    const reason = !valid
      ? 'API_KEY_UNKNOWN'
      : key.revokedAt
        ? 'API_KEY_REVOKED'
        : key.expiresAt.getTime() <= Date.now()
          ? 'API_KEY_EXPIRED'
          : undefined;
    await this.audit.record({
      action: 'API_KEY_USED',
      outcome: reason ? 'FAILURE' : 'SUCCESS',
      actorId: valid ? key.id : null,
      actorName: valid ? key.label : null,
      address,
      details: reason ? { reason } : {},
    });
    if (reason) throw new UnauthenticatedError('The API key is not valid (API 密钥无效)', reason);
    await this.repository.touchApiKey(key!.id);
    return key!;
  }

  /** A short-lived access token for an API key: INTEGRATION, read-only statistics scopes. */
  async tokenForApiKey(key: ApiKeyRow): Promise<{ token: string; expiresAt: Date }> {
    const ttl = Math.max(
      1,
      Math.min(API_KEY_TOKEN_SECONDS, Math.floor((key.expiresAt.getTime() - Date.now()) / 1000)),
    );
    return signAccessToken(
      this.keys.signingKey(),
      {
        kind: 'integration',
        subject: key.id,
        name: key.label,
        grants: [{ role: 'INTEGRATION', branchId: null }],
        scopes: key.scopes,
      },
      ttl,
    );
  }
}
