import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Logger, Post, Req, Res } from '@nestjs/common';
import { decide, type AccessPolicy } from '@unionfed/auth';
import { DomainError, InvalidInputError, todayInShanghai, type ErrorKind } from '@unionfed/domain-kit';
import {
  attachmentDisposition,
  SHEET_CONTENT_TYPES,
  sheetWriter,
  type SheetFormat,
} from '@unionfed/service-kit';
import { GatewayAuthenticator } from '../application/gateway-auth';
import { MEMBER_ACCOUNT_ROLES, MemberAccountService } from '../application/member-accounts.service';

/** The same policy as the GraphQL field `createMemberAccounts` (a unit test holds them together). */
export const MEMBER_ACCOUNT_SHEET_POLICY: AccessPolicy = {
  roles: MEMBER_ACCOUNT_ROLES,
  scope: 'BRANCH',
  integration: false,
};

/** The sheet's columns: 工号, 姓名, 用户名, 一次性密码, 备注. */
export const SHEET_HEADERS = ['工号', '姓名', '用户名', '一次性密码', '备注'];
const SKIPPED_WORDS: Record<string, string> = {
  USERNAME_TAKEN: '未开通：用户名（工号）已被其他账号使用，请单独开通并指定用户名',
  NO_USABLE_USERNAME: '未开通：工号不能用作用户名，请单独开通并指定用户名',
};

const STATUS_OF_KIND: Record<ErrorKind, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
};
const ZH_OF_KIND: Record<ErrorKind, string> = {
  BAD_USER_INPUT: '请求参数不正确',
  UNAUTHENTICATED: '请先登录（登录已过期时请重新登录）',
  FORBIDDEN: '您没有权限访问这些数据',
  NOT_FOUND: '找不到请求的数据',
  CONFLICT: '与现有数据冲突',
  RATE_LIMITED: '请求过于频繁，请稍后再试',
};

/**
 * 会员账号开通表: `POST /member-accounts/sheet?branchId=…&format=xlsx|csv` makes the accounts of the branch's active
 * members who have none — what the GraphQL mutation `createMemberAccounts` does — and answers the sheet of those
 * accounts with their one-time passwords as the file, in the same response. Nothing is kept to fetch it again:
 * the passwords are stored only as hashes, so a lost sheet means new one-time passwords
 * (`resetMemberAccountPassword`), and a second run answers only the accounts made by it. A POST (it makes
 * accounts: no link, prefetch or cache may run it), answered `Cache-Control: no-store`.
 *
 * The caller is authenticated as at the GraphQL endpoint (the bearer token; API keys are refused) and decided on
 * with the field's policy: 401 / 403, another branch 403, an unknown branch 404 — JSON errors in the platform's
 * shape `{ error: { code, reason, message, messageZh } }`, never a stack trace.
 */
@Controller('member-accounts')
export class MemberAccountSheetController {
  private readonly logger = new Logger('MemberAccountSheet');

  constructor(
    private readonly authenticator: GatewayAuthenticator,
    private readonly memberAccounts: MemberAccountService,
  ) {}

  @Post('sheet')
  async sheet(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    try {
      const url = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://gateway');
      const format = sheetFormat(url.searchParams.get('format'));
      const branchId = url.searchParams.get('branchId') ?? '';
      const { principal, authError, address } = await this.authenticator.identify(req);
      if (authError) throw authError;
      const decision = decide(principal, MEMBER_ACCOUNT_SHEET_POLICY);
      if (!decision.allowed)
        return send(res, decision.code === 'UNAUTHENTICATED' ? 401 : 403, {
          code: decision.code,
          reason: decision.code === 'UNAUTHENTICATED' ? 'SIGN_IN' : 'ROLE_MISSING',
          message: decision.reason,
          messageZh:
            decision.code === 'UNAUTHENTICATED' ? '请先登录' : '只有管理员和组织委员可以开通会员账号',
        });
      const sheet = await this.memberAccounts.createForBranch(
        { principal, address },
        decision.reach,
        branchId,
      );
      const date = todayInShanghai().replace(/-/g, '');
      res.statusCode = 200;
      res.setHeader('content-type', SHEET_CONTENT_TYPES[format]);
      res.setHeader(
        'content-disposition',
        attachmentDisposition(`member-accounts-${date}.${format}`, `会员账号-${date}.${format}`),
      );
      res.setHeader('cache-control', 'no-store');
      const writer = await sheetWriter(format, res, { sheetName: '会员账号', columns: SHEET_HEADERS });
      await writer.row(SHEET_HEADERS);
      for (const row of sheet.created)
        await writer.row([
          row.staffNumber,
          row.name,
          row.username,
          row.oneTimePassword,
          '首次登录须修改密码',
        ]);
      for (const row of sheet.skipped)
        await writer.row([row.staffNumber, row.name, '', '', SKIPPED_WORDS[row.reason] ?? row.reason]);
      await writer.end();
    } catch (error) {
      if (res.headersSent) {
        // mid-file: cut short rather than ending as if complete (the accounts are made: a reset gives new passwords)
        this.logger.error(`sheet cut short: ${(error as Error)?.message ?? String(error)}`);
        res.destroy();
        return;
      }
      if (error instanceof DomainError)
        return send(
          res,
          STATUS_OF_KIND[error.kind],
          {
            code: error.kind,
            reason: error.reason,
            message: error.message,
            messageZh: ZH_OF_KIND[error.kind],
            ...(typeof error.details.field === 'string' ? { field: error.details.field } : {}),
          },
          error.kind === 'UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer' } : {},
        );
      this.logger.error(`POST /member-accounts/sheet: ${(error as Error)?.stack ?? String(error)}`);
      send(res, 500, {
        code: 'INTERNAL_SERVER_ERROR',
        reason: 'INTERNAL',
        message: 'Internal server error',
        messageZh: '服务器内部错误',
      });
    }
  }
}

function sheetFormat(value: string | null): SheetFormat {
  const format = (value ?? 'xlsx').toLowerCase();
  if (format === 'xlsx' || format === 'csv') return format;
  throw new InvalidInputError('format must be xlsx or csv (参数 format 应为 xlsx 或 csv)', 'INVALID_FORMAT', {
    field: 'format',
  });
}

function send(
  res: ServerResponse,
  status: number,
  error: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify({ error });
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
