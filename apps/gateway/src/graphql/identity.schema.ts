import { readFileSync } from 'node:fs';
import { parse, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { enforceAccess, reachOf, type ForbiddenAttempt, type Grant, type Principal } from '@unionfed/auth';
import { InvalidInputError } from '@unionfed/domain-kit';
import { checkInputs, SCALAR_RESOLVERS, subgraphTypePaths, withResolverSpans } from '@unionfed/graphql-kit';
import type { DirectoryAdministration } from '@unionfed/directory';
import type { AccountService } from '../application/accounts.service';
import type { ApiKeyService } from '../application/api-keys.service';
import type { Caller } from '../application/caller';
import type { MemberAccountService, MemberCredentials } from '../application/member-accounts.service';
import type { Session, SessionService } from '../application/sessions.service';
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
  sessions: SessionService;
  accounts: AccountService;
  memberAccounts: MemberAccountService;
  apiKeys: ApiKeyService;
  audit: AuditLog;
  keys: SigningKeys;
  /** the gateway's copy of the membership directory and its consumers' dead letters */
  directory: DirectoryAdministration;
  onRefused?: (attempt: ForbiddenAttempt) => void;
  /** a key was revoked: forget any token cached for it */
  onApiKeyRevoked?: () => void;
}

/** The identity subgraph's executable schema, with every field's @access enforced as in the other subgraphs. */
export function identitySchema(dependencies: IdentityDependencies): GraphQLSchema {
  const { sessions, accounts, memberAccounts, apiKeys, audit, keys, directory, onRefused, onApiKeyRevoked } =
    dependencies;
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
  const memberCredentials = (row: MemberCredentials) => ({ ...row, member: { id: row.memberId } });
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
        const row = p.kind === 'user' ? await accounts.account(p.subject) : undefined;
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
        (await accounts.accounts(ctx.principal, page(args.first), args.after)).map((row) => account(row)),
      account: async (_: unknown, args: { id: string }, ctx: IdentityContext) => {
        const row = await accounts.accountFor(ctx.principal, args.id);
        return row ? account(row) : null;
      },
      apiKeys: async () => (await apiKeys.listApiKeys()).map(apiKey),
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
      gatewayDirectory: () => directory.directory(),
      gatewayDeadLetters: (_: unknown, args: { first?: number }) => directory.listDeadLetters(args.first),
    },
    Mutation: {
      login: async (_: unknown, args: { username: string; password: string }, ctx: IdentityContext) =>
        session(await sessions.login(args.username, args.password, caller(ctx))),
      refreshSession: async (_: unknown, args: { refreshToken: string }, ctx: IdentityContext) =>
        session(await sessions.refresh(args.refreshToken, caller(ctx))),
      logout: (_: unknown, args: { refreshToken: string }, ctx: IdentityContext) =>
        sessions.logout(args.refreshToken, caller(ctx)).then(() => true),
      changePassword: (
        _: unknown,
        args: { currentPassword: string; newPassword: string },
        ctx: IdentityContext,
      ) => sessions.changePassword(caller(ctx), args.currentPassword, args.newPassword),
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
        const created = await accounts.createAccount(caller(ctx), args.input);
        return { account: account(created.account), oneTimePassword: created.oneTimePassword };
      },
      grantRole: async (
        _: unknown,
        args: { accountId: string; grant: { role: string; branchId?: string } },
        ctx: IdentityContext,
      ) => account(await accounts.grantRole(caller(ctx), args.accountId, args.grant)),
      revokeRole: async (
        _: unknown,
        args: { accountId: string; grant: { role: string; branchId?: string } },
        ctx: IdentityContext,
      ) => account(await accounts.revokeRole(caller(ctx), args.accountId, args.grant)),
      disableAccount: async (_: unknown, args: { accountId: string }, ctx: IdentityContext) =>
        account(await accounts.setAccountStatus(caller(ctx), args.accountId, 'DISABLED')),
      enableAccount: async (_: unknown, args: { accountId: string }, ctx: IdentityContext) =>
        account(await accounts.setAccountStatus(caller(ctx), args.accountId, 'ACTIVE')),
      resetPassword: (_: unknown, args: { accountId: string }, ctx: IdentityContext) =>
        accounts.resetPassword(caller(ctx), args.accountId),
      linkMember: async (
        _: unknown,
        args: { accountId: string; memberId?: string | null },
        ctx: IdentityContext,
      ) => account(await accounts.linkMember(caller(ctx), args.accountId, args.memberId ?? null)),
      // the reach of the field's @access: HQ, or the branches of the caller's ADMIN / MEMBERSHIP_OFFICER grants
      createMemberAccount: async (
        _: unknown,
        args: { memberId: string; username?: string | null },
        ctx: IdentityContext,
        info: GraphQLResolveInfo,
      ) =>
        memberCredentials(
          await memberAccounts.createAccount(caller(ctx), reachOf(ctx, info), args.memberId, args.username),
        ),
      createMemberAccounts: async (
        _: unknown,
        args: { branchId: string },
        ctx: IdentityContext,
        info: GraphQLResolveInfo,
      ) => {
        const sheet = await memberAccounts.createForBranch(caller(ctx), reachOf(ctx, info), args.branchId);
        return {
          branchId: sheet.branchId,
          created: sheet.created.map(memberCredentials),
          skipped: sheet.skipped.map((row) => ({ ...row, member: { id: row.memberId } })),
        };
      },
      resetMemberAccountPassword: async (
        _: unknown,
        args: { memberId: string },
        ctx: IdentityContext,
        info: GraphQLResolveInfo,
      ) =>
        memberCredentials(await memberAccounts.resetPassword(caller(ctx), reachOf(ctx, info), args.memberId)),
      createApiKey: async (
        _: unknown,
        args: { input: { label: string; scopes: string[]; expiresAt: string } },
        ctx: IdentityContext,
      ) => {
        const expiresAt = parseDateTime(args.input.expiresAt, 'expiresAt')!;
        const created = await apiKeys.createApiKey(caller(ctx), { ...args.input, expiresAt });
        return { apiKey: apiKey(created.key), secret: created.secret };
      },
      revokeApiKey: async (_: unknown, args: { id: string }, ctx: IdentityContext) => {
        const revoked = await apiKeys.revokeApiKey(caller(ctx), args.id);
        onApiKeyRevoked?.();
        return apiKey(revoked);
      },
      rotateSigningKey: () => keys.rotate(),
      replayGatewayDeadLetters: (_: unknown, args: { ids?: string[] | null; all?: boolean }) =>
        directory.replayDeadLetters(args.ids, args.all),
    },
    DirectorySync: {
      member: (_: unknown, args: { id: string }) => directory.reader.member(args.id),
      branch: (_: unknown, args: { id: string }) => directory.reader.branch(args.id),
    },
    Account: {
      grants: (parent: { id: string; grants?: Grant[] }, _: Args, ctx: IdentityContext) =>
        parent.grants ?? accounts.grantsVisibleTo(ctx.principal, parent.id),
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
