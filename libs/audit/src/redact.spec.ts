import { redact, REDACTED } from './redact';
import { auditSwitchedOff } from './audit-switch';
import { SYSTEM_ACTING } from '@unionfed/persistence';
import { activeTraceId, inSpan } from '@unionfed/telemetry';
import { recordSpans } from '@unionfed/testing';
import { AuditTrail } from './audit-trail';

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

describe('the trace id of an audit row', () => {
  const entry = { action: 'MEMBER_ADMITTED', entityType: 'Member', entityId: 'm-1', branchId: 'b-1' };
  const traceIdOfRow = (row: unknown[]) => row[row.length - 1];

  it('is the active span’s (the unit of work’s), and null outside any trace', async () => {
    const recorder = recordSpans();
    try {
      const trail = new AuditTrail();
      const inTrace = await inSpan('unit-of-work', {}, async () => ({
        row: trail.row(SYSTEM_ACTING, entry),
        traceId: activeTraceId(),
      }));
      expect(inTrace.traceId).toMatch(/^[\da-f]{32}$/);
      expect(traceIdOfRow(inTrace.row)).toBe(inTrace.traceId);
      expect(traceIdOfRow(trail.row(SYSTEM_ACTING, entry))).toBeNull();
    } finally {
      await recorder.stop();
    }
  });
});
