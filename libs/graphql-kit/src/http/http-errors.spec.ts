import { PayloadTooLargeException } from '@nestjs/common';
import { NotFoundError, RateLimitedError, UnauthenticatedError } from '@unionfed/domain-kit';
import { httpErrorBody, httpRefusalOf, HttpRefusal } from './http-errors';

class WordedError extends UnauthenticatedError {
  readonly messageZh = '登录已过期，请重新登录';
}

describe('httpRefusalOf', () => {
  it('gives each domain error its status and headers, and its own Chinese wording where it has one', () => {
    const expired = httpRefusalOf(new WordedError('token expired', 'TOKEN_EXPIRED'));
    expect(expired).toMatchObject({ status: 401, headers: { 'www-authenticate': 'Bearer' } });
    expect(httpErrorBody(expired)).toEqual({
      error: {
        code: 'UNAUTHENTICATED',
        reason: 'TOKEN_EXPIRED',
        message: 'token expired',
        messageZh: '登录已过期，请重新登录',
      },
    });
    const slow = httpRefusalOf(new RateLimitedError('wait', 'TOO_MANY', { retryAfter: 7 }));
    expect(slow).toMatchObject({ status: 429, headers: { 'retry-after': '7' } });
    expect(httpRefusalOf(new NotFoundError('Job', 'j-1')).status).toBe(404);
  });

  it('answers another 4xx of the framework as the caller’s mistake, and anything else as a generic 500', () => {
    expect(httpRefusalOf(new PayloadTooLargeException())).toMatchObject({
      status: 413,
      code: 'BAD_USER_INPUT',
      reason: 'HTTP_413',
    });
    const refusal = new HttpRefusal(
      415,
      'BAD_USER_INPUT',
      'UNSUPPORTED_MEDIA_TYPE',
      'send the file',
      '请上传文件',
    );
    expect(httpRefusalOf(refusal)).toBe(refusal);
    expect(httpErrorBody(httpRefusalOf(new TypeError('x is undefined at /src/a.ts:1')))).toEqual({
      error: {
        code: 'INTERNAL_SERVER_ERROR',
        reason: 'INTERNAL',
        message: 'Internal server error',
        messageZh: '服务器内部错误',
      },
    });
  });
});
