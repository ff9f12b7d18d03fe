import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Post, Req, Res, UseFilters } from '@nestjs/common';
import { decide, type AccessPolicy } from '@unionfed/auth';
import { InvalidInputError, todayInShanghai } from '@unionfed/domain-kit';
import { HttpErrorFilter, HttpRefusal } from '@unionfed/graphql-kit';
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

/**
 * 会员账号开通表: `POST /member-accounts/sheet?branchId=…&format=xlsx|csv` makes the accounts of the branch's active
 * members who have none — what the GraphQL mutation `createMemberAccounts` does — and answers the sheet of those
 * accounts with their one-time passwords as the file, in the same response. Nothing is kept to fetch it again:
 * the passwords are stored only as hashes, so a lost sheet means new one-time passwords
 * (`resetMemberAccountPassword`), and a second run answers only the accounts made by it. A POST (it makes
 * accounts: no link, prefetch or cache may run it), answered `Cache-Control: no-store`.
 *
 * The caller is authenticated as at the GraphQL endpoint (the bearer token; API keys are refused) and decided on
 * with the field's policy: 401 / 403, another branch 403, an unknown branch 404. It is the gateway's own route
 * (not one of HTTP_ROUTES, whose guard checks the gateway's signature): it authenticates as the GraphQL endpoint
 * does and answers its errors through HttpErrorFilter — the platform's JSON error shape
 * `{ error: { code, reason, message, messageZh } }`, never a stack trace; a sheet failing mid-file is cut off.
 */
@Controller('member-accounts')
@UseFilters(HttpErrorFilter)
export class MemberAccountSheetController {
  constructor(
    private readonly authenticator: GatewayAuthenticator,
    private readonly memberAccounts: MemberAccountService,
  ) {}

  @Post('sheet')
  async sheet(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    const url = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://gateway');
    const format = sheetFormat(url.searchParams.get('format'));
    const branchId = url.searchParams.get('branchId') ?? '';
    const { principal, authError, address } = await this.authenticator.identify(req);
    if (authError) throw authError;
    const decision = decide(principal, MEMBER_ACCOUNT_SHEET_POLICY);
    if (!decision.allowed) {
      if (decision.code === 'UNAUTHENTICATED')
        throw new HttpRefusal(401, 'UNAUTHENTICATED', 'SIGN_IN', decision.reason, '请先登录', {
          'www-authenticate': 'Bearer',
        });
      throw new HttpRefusal(
        403,
        'FORBIDDEN',
        'ROLE_MISSING',
        decision.reason,
        '只有管理员和组织委员可以开通会员账号',
      );
    }
    const sheet = await this.memberAccounts.createForBranch({ principal, address }, decision.reach, branchId);
    const date = todayInShanghai().replace(/-/g, '');
    res.statusCode = 200;
    res.setHeader('content-type', SHEET_CONTENT_TYPES[format]);
    res.setHeader(
      'content-disposition',
      attachmentDisposition(`member-accounts-${date}.${format}`, `会员账号-${date}.${format}`),
    );
    res.setHeader('cache-control', 'no-store');
    // a failure once the file has begun is cut off by the filter, not ended as if complete (the accounts are
    // made: a reset gives new passwords)
    const writer = await sheetWriter(format, res, { sheetName: '会员账号', columns: SHEET_HEADERS });
    await writer.row(SHEET_HEADERS);
    for (const row of sheet.created)
      await writer.row([row.staffNumber, row.name, row.username, row.oneTimePassword, '首次登录须修改密码']);
    for (const row of sheet.skipped)
      await writer.row([row.staffNumber, row.name, '', '', SKIPPED_WORDS[row.reason] ?? row.reason]);
    await writer.end();
  }
}

function sheetFormat(value: string | null): SheetFormat {
  const format = (value ?? 'xlsx').toLowerCase();
  if (format === 'xlsx' || format === 'csv') return format;
  throw new InvalidInputError('format must be xlsx or csv (参数 format 应为 xlsx 或 csv)', 'INVALID_FORMAT', {
    field: 'format',
  });
}
