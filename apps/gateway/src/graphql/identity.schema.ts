import { readFileSync } from 'node:fs';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { enforceAccess, type ForbiddenAttempt, type Grant, type Principal } from '@unionfed/auth';
import { InvalidInputError } from '@unionfed/domain-kit';
import { checkInputs, SCALAR_RESOLVERS, subgraphTypePaths, withResolverSpans } from '@unionfed/graphql-kit';
import type { IdentityService, Session, Caller } from '../application/identity.service';
import { SUBGRAPH_TYPE_PATHS } from './subgraph';
import type { AuditLog } from '../application/audit-log';
import type { SigningKeys } from '../application/signing-keys';
import type { AccountRow, ApiKeyRow, AuditEventRow } from '../infrastructure/identity.repository';

/** The identity subgraph's SDL files (composed into the supergraph like every other subgraph's). */
export const IDENTITY_TYPE_PATHS = subgraphTypePaths(SUBGRAPH_TYPE_PATHS);

/** What the gateway knows about a request when the identity subgraph runs in its process. */
export interface IdentityContext {
  principal: Principal;
  authError?: Error;
  address: string;
}

const caller = (context: IdentityContext): Caller => ({
  principal: context.principal,
  address: context.address,
});
const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);
const page = (first: number | undefined, max = 200) => Math.max(1, Math.min(first ?? 50, max));

function parseDateTime(value: string | undefined | null, field: string): Date | undefined {
  if (value === undefined || value === null) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new InvalidInputError(`${field} must be an ISO date-time`, 'INVALID_DATE', { field });
  return date;
}

export interface IdentityDependencies {
  identity: IdentityService;
  audit: AuditLog;
  keys: SigningKeys;
  onRefused?: (attempt: ForbiddenAttempt) => void;
  /** a key was revoked: forget any token cached for it */
  onApiKeyRevoked?: () => void;
}

/** The identity subgraph's executable schema, with every field's @access enforced as in the other subgraphs. */
export function identitySchema(dependencies: IdentityDependencies): GraphQLSchema {
  const { identity, audit, keys, onRefused, onApiKeyRevoked } = dependencies;
  /** `grants`: when known already (a session's own account); else read as the caller may see them */
  const account = (row: AccountRow, grants?: Grant[]) => ({
    grants,
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    status: row.status,
    mustChangePassword: row.mustChangePassword,
    memberId: row.memberId,
    lastLoginAt: iso(row.lastLoginAt),
    createdAt: iso(row.createdAt),
  });
  const session = (s: Session) => ({
    accessToken: s.accessToken,
    accessTokenExpiresAt: iso(s.accessTokenExpiresAt),
    refreshToken: s.refreshToken,
    refreshTokenExpiresAt: iso(s.refreshTokenExpiresAt),
    mustChangePassword: s.account.mustChangePassword,
    account: account(s.account, s.grants),
  });
  const apiKey = (row: ApiKeyRow) => ({
    id: row.id,
    prefix: `ufk_${row.prefix}`,
    label: row.label,
    scopes: row.scopes,
    expiresAt: iso(row.expiresAt),
    revokedAt: iso(row.revokedAt),
    lastUsedAt: iso(row.lastUsedAt),
    createdAt: iso(row.createdAt),
  });
  const auditEvent = (row: AuditEventRow) => ({
    ...row,
    at: iso(row.at),
    details: JSON.stringify(row.details),
  });
  type Args = Record<string, never>;

  const resolvers = {
    Query: {
      me: async (_: unknown, __: Args, ctx: IdentityContext) => {
        const p = ctx.principal;
        const row = p.kind === 'user' ? await identity.account(p.subject) : undefined;
        return {
          kind: p.kind,
          id: p.subject,
          name: row?.displayName ?? p.name,
          grants: p.grants.filter((g: Grant) => g.role !== 'MEMBER' && g.role !== 'INTEGRATION'),
          scopes: p.scopes,
          memberId: p.memberId,
          mustChangePassword: row?.mustChangePassword ?? false,
        };
      },
      accounts: async (_: unknown, args: { first?: number; after?: string }, ctx: IdentityContext) =>
        (await identity.accounts(ctx.principal, page(args.first), args.after)).map((row) => account(row)),
      account: async (_: unknown, args: { id: string }, ctx: IdentityContext) => {
        const row = await identity.accountFor(ctx.principal, args.id);
        return row ? account(row) : null;
      },
      apiKeys: async () => (await identity.listApiKeys()).map(apiKey),
      auditLog: async (
        _: unknown,
        args: { filter?: Record<string, string | null>; first?: number; before?: string },
      ) => {
        const filter = args.filter ?? {};
        const rows = await audit.list(
          {
            action: filter.action ?? undefined,
            actorId: filter.actorId ?? undefined,
            outcome: filter.outcome ?? undefined,
            from: parseDateTime(filter.from, 'from'),
            to: parseDateTime(filter.to, 'to'),
          },
          page(args.first, 500),
          args.before && /^[0-9a-f-]{36}$/i.test(args.before) ? args.before : undefined,
        );
        return rows.map(auditEvent);
      },
    },
    Mutation: {
      login: async (_: unknown, args: { username: string; password: string }, ctx: IdentityContext) =>
        session(await identity.login(args.username, args.password, caller(ctx))),
      refreshSession: async (_: unknown, args: { refreshToken: string }, ctx: IdentityContext) =>
        session(await identity.refresh(args.refreshToken, caller(ctx))),
      logout: (_: unknown, args: { refreshToken: string }, ctx: IdentityContext) =>
        identity.logout(args.refreshToken, caller(ctx)).then(() => true),
      changePassword: (
        _: unknown,
        args: { currentPassword: string; newPassword: string },
        ctx: IdentityContext,
      ) => identity.changePassword(caller(ctx), args.currentPassword, args.newPassword),
      createAccount: async (
        _: unknown,
        args: {
          input: {
            username: string;
            displayName: string;
            grants: { role: string; branchId?: string }[];
            memberId?: string;
          };
        },
        ctx: IdentityContext,
      ) => {
        const created = await identity.createAccount(caller(ctx), args.input);
        return { account: account(created.account), oneTimePassword: created.oneTimePassword };
      },
      grantRole: async (
        _: unknown,
        args: { accountId: string; grant: { role: string; branchId?: string } },
        ctx: IdentityContext,
      ) => account(await identity.grantRole(caller(ctx), args.accountId, args.grant)),
      revokeRole: async (
        _: unknown,
        args: { accountId: string; grant: { role: string; branchId?: string } },
        ctx: IdentityContext,
      ) => account(await identity.revokeRole(caller(ctx), args.accountId, args.grant)),
      disableAccount: async (_: unknown, args: { accountId: string }, ctx: IdentityContext) =>
        account(await identity.setAccountStatus(caller(ctx), args.accountId, 'DISABLED')),
      enableAccount: async (_: unknown, args: { accountId: string }, ctx: IdentityContext) =>
        account(await identity.setAccountStatus(caller(ctx), args.accountId, 'ACTIVE')),
      resetPassword: (_: unknown, args: { accountId: string }, ctx: IdentityContext) =>
        identity.resetPassword(caller(ctx), args.accountId),
      linkMember: async (
        _: unknown,
        args: { accountId: string; memberId?: string | null },
        ctx: IdentityContext,
      ) => account(await identity.linkMember(caller(ctx), args.accountId, args.memberId ?? null)),
      createApiKey: async (
        _: unknown,
        args: { input: { label: string; scopes: string[]; expiresAt: string } },
        ctx: IdentityContext,
      ) => {
        const expiresAt = parseDateTime(args.input.expiresAt, 'expiresAt')!;
        const created = await identity.createApiKey(caller(ctx), { ...args.input, expiresAt });
        return { apiKey: apiKey(created.key), secret: created.secret };
      },
      revokeApiKey: async (_: unknown, args: { id: string }, ctx: IdentityContext) => {
        const revoked = await identity.revokeApiKey(caller(ctx), args.id);
        onApiKeyRevoked?.();
        return apiKey(revoked);
      },
      rotateSigningKey: () => keys.rotate(),
    },
    Account: {
      grants: (parent: { id: string; grants?: Grant[] }, _: Args, ctx: IdentityContext) =>
        parent.grants ?? identity.grantsVisibleTo(ctx.principal, parent.id),
      member: (parent: { memberId?: string | null }) => (parent.memberId ? { id: parent.memberId } : null),
    },
    Viewer: {
      member: (parent: { memberId?: string }) => (parent.memberId ? { id: parent.memberId } : null),
    },
  };

  const typeDefs = parse(IDENTITY_TYPE_PATHS.map((path) => readFileSync(path, 'utf8')).join('\n'));
  // each root field in a span of its own, under the gateway's request span (as a subgraph's are)
  return withResolverSpans(
    enforceAccess(
      checkInputs(
        buildSubgraphSchema([{ typeDefs, resolvers: { ...SCALAR_RESOLVERS, ...resolvers } as never }]),
      ),
      { onRefused },
    ),
  );
}
