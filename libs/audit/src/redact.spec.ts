import { redact, REDACTED } from './redact';
import { auditSwitchedOff } from './audit-switch';
import { traceIdOf } from './audit-trail';

describe('redact', () => {
  it('keeps that a declared sensitive field was there, never its value, at any depth', () => {
    const sensitive = new Set(['phone', 'idNumber']);
    expect(
      redact(
        { name: '陈静', phone: '13800000000', nested: { idNumber: '110101' }, list: [{ phone: '1' }] },
        sensitive,
      ),
    ).toEqual({ name: '陈静', phone: REDACTED, nested: { idNumber: REDACTED }, list: [{ phone: REDACTED }] });
  });

  it('leaves an absent sensitive value absent (null stays null, undefined is dropped)', () => {
    expect(redact({ phone: null, email: undefined }, new Set(['phone', 'email']))).toEqual({ phone: null });
  });
});

describe('UNIONFED_AUDIT switch', () => {
  const warn = jest.fn();
  it('is on unless switched off', () => {
    expect(auditSwitchedOff('svc', warn, {})).toBe(false);
    expect(auditSwitchedOff('svc', warn, { UNIONFED_AUDIT: 'on' })).toBe(false);
  });
  it('switches off loudly outside production', () => {
    expect(auditSwitchedOff('svc', warn, { UNIONFED_AUDIT: 'off' })).toBe(true);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('AUDIT TRAIL IS SWITCHED OFF'));
  });
  it('is refused in production, and a typo is refused everywhere', () => {
    expect(() => auditSwitchedOff('svc', warn, { UNIONFED_AUDIT: 'off', NODE_ENV: 'production' })).toThrow(
      /refused in production/,
    );
    expect(() => auditSwitchedOff('svc', warn, { UNIONFED_AUDIT: 'of' })).toThrow(/must be 'on' or 'off'/);
  });
});

describe('traceIdOf', () => {
  it('takes the trace id of a W3C traceparent, and nothing of anything else', () => {
    expect(traceIdOf(`00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`)).toBe('a'.repeat(32));
    expect(traceIdOf('garbage')).toBeNull();
    expect(traceIdOf(undefined)).toBeNull();
  });
});
