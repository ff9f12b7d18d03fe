import type { ServerResponse } from 'node:http';
import { HttpException } from '@nestjs/common';
import { DomainError, type ErrorKind } from '@unionfed/domain-kit';

/**
 * The platform's error answer on its HTTP routes (file uploads and downloads, the gateway's pass-through): one
 * JSON shape, with the codes GraphQL answers in `extensions.code`, a machine-readable reason, the message in
 * English and in Chinese, and the safe details of a domain error (the field, a branch id the caller named).
 */
export interface HttpErrorBody {
  error: {
    code: string;
    reason: string;
    message: string;
    messageZh: string;
    field?: string;
    branchId?: string;
  };
}

/**
 * A refusal in HTTP's own terms, for what GraphQL has no word for: a status of its own (413, 415, 502) and
 * headers (`connection: close` after an upload cut short). Domain errors need none of this: throw those.
 */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    message: string,
    readonly messageZh: string,
    readonly headers: Readonly<Record<string, string>> = {},
    /** safe to show the caller (field names, ids it sent) */
    readonly details: { field?: string; branchId?: string } = {},
  ) {
    super(message);
    this.name = 'HttpRefusal';
  }
}

/** The HTTP status of each kind of domain error (the same kinds GraphQL answers as `extensions.code`). */
export const HTTP_STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
};

/** What each kind says in Chinese, unless the error carries its own wording (`messageZh`). */
const ZH_OF_KIND: Readonly<Record<ErrorKind, string>> = {
  BAD_USER_INPUT: '请求参数不正确',
  UNAUTHENTICATED: '请先登录（登录已过期时请重新登录）',
  FORBIDDEN: '您没有权限访问这些数据',
  NOT_FOUND: '找不到请求的数据',
  CONFLICT: '与现有数据冲突',
  RATE_LIMITED: '请求过于频繁，请稍后再试',
};

/** Nest's own HTTP exceptions (a route's pipes, a 404 of the router) in the platform's codes. */
const CODE_OF_STATUS: Readonly<Record<number, ErrorKind>> = {
  400: 'BAD_USER_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
};

const INTERNAL = (): HttpRefusal =>
  new HttpRefusal(500, 'INTERNAL_SERVER_ERROR', 'INTERNAL', 'Internal server error', '服务器内部错误');

/** Details a domain error carries that are safe to show (the field, a branch id), never more. */
function safeDetails(error: DomainError): HttpRefusal['details'] {
  const { field, branchId } = error.details as { field?: unknown; branchId?: unknown };
  return {
    ...(typeof field === 'string' ? { field } : {}),
    ...(typeof branchId === 'string' ? { branchId } : {}),
  };
}

/**
 * What a route answers for whatever it threw: a refusal as it is; a domain error with its kind's status and
 * code, its reason and message, its own Chinese wording when it has one (`messageZh`) and its safe details; a
 * Nest HTTP exception of a 4xx status with the code of its status; anything else is unexpected — 500 INTERNAL_SERVER_ERROR with a
 * generic message (the caller logs it), never a stack trace or SQL.
 */
export function httpRefusalOf(error: unknown): HttpRefusal {
  if (error instanceof HttpRefusal) return error;
  if (error instanceof DomainError) {
    const own = (error as { messageZh?: unknown }).messageZh;
    const retryAfter = error.details.retryAfter;
    return new HttpRefusal(
      HTTP_STATUS_OF_KIND[error.kind],
      error.kind,
      error.reason,
      error.message,
      typeof own === 'string' ? own : ZH_OF_KIND[error.kind],
      {
        ...(error.kind === 'UNAUTHENTICATED' ? { 'www-authenticate': 'Bearer' } : {}),
        ...(error.kind === 'RATE_LIMITED' && typeof retryAfter === 'number'
          ? { 'retry-after': String(retryAfter) }
          : {}),
      },
      safeDetails(error),
    );
  }
  if (error instanceof HttpException && error.getStatus() >= 400 && error.getStatus() < 500) {
    // another 4xx (413, 415…) is the caller's request too: BAD_USER_INPUT, never a 500
    const status = error.getStatus();
    const kind = CODE_OF_STATUS[status] ?? 'BAD_USER_INPUT';
    return new HttpRefusal(
      status,
      kind,
      CODE_OF_STATUS[status] ?? `HTTP_${status}`,
      error.message,
      ZH_OF_KIND[kind],
    );
  }
  return INTERNAL();
}

/** The platform's error body of a refusal. */
export function httpErrorBody(refusal: HttpRefusal): HttpErrorBody {
  return {
    error: {
      code: refusal.code,
      reason: refusal.reason,
      message: refusal.message,
      messageZh: refusal.messageZh,
      ...refusal.details,
    },
  };
}

/** Answers with a refusal: its status, its headers, the platform's JSON error body. */
export function sendHttpError(res: ServerResponse, refusal: HttpRefusal): void {
  const text = JSON.stringify(httpErrorBody(refusal));
  res.statusCode = refusal.status;
  for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.setHeader('cache-control', 'no-store');
  res.end(text);
}
