import { AUTH_OFF, AUTH_OFF_PRINCIPAL, authenticationSwitchedOff } from './auth-switch';
import { decide } from './reach';

describe('UNIONFED_AUTH (switching authentication off for benchmarks)', () => {
  it('is on unless UNIONFED_AUTH=off, and says nothing then', () => {
    const warn = jest.fn();
    expect(authenticationSwitchedOff('svc', warn, {})).toBe(false);
    expect(authenticationSwitchedOff('svc', warn, { UNIONFED_AUTH: '' })).toBe(false);
    expect(authenticationSwitchedOff('svc', warn, { UNIONFED_AUTH: 'on', NODE_ENV: 'production' })).toBe(
      false,
    );
    expect(warn).not.toHaveBeenCalled();
  });

  it('is refused in production: the service does not start', () => {
    const warn = jest.fn();
    for (const value of ['off', 'OFF', ' off ']) {
      expect(() =>
        authenticationSwitchedOff('the gateway', warn, { UNIONFED_AUTH: value, NODE_ENV: 'production' }),
      ).toThrow(/UNIONFED_AUTH=off is refused in production.*the gateway will not start/);
    }
    expect(warn).not.toHaveBeenCalled();
  });

  it('switches off loudly outside production', () => {
    const warn = jest.fn();
    expect(
      authenticationSwitchedOff('the gateway', warn, { UNIONFED_AUTH: 'off', NODE_ENV: 'development' }),
    ).toBe(true);
    expect(authenticationSwitchedOff('svc', warn, { UNIONFED_AUTH: 'off' })).toBe(true);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn.mock.calls[0][0]).toMatch(/AUTHENTICATION IS SWITCHED OFF.*the gateway verifies no token/);
  });

  it('refuses any other value rather than guess', () => {
    expect(() => authenticationSwitchedOff('svc', jest.fn(), { UNIONFED_AUTH: 'false' })).toThrow(
      /must be 'on' or 'off'/,
    );
  });

  it('makes every request an HQ admin, whose @access checks pass', () => {
    expect(AUTH_OFF.principal).toBe(AUTH_OFF_PRINCIPAL);
    expect(AUTH_OFF.authError).toBeUndefined();
    expect(AUTH_OFF_PRINCIPAL.grants).toEqual([{ role: 'ADMIN', branchId: null }]);
    const decision = decide(AUTH_OFF_PRINCIPAL, {
      roles: ['ADMIN'],
      scope: 'FEDERATION',
      integration: false,
    });
    expect(decision).toMatchObject({ allowed: true, reach: { all: true } });
    expect(Object.isFrozen(AUTH_OFF_PRINCIPAL.grants)).toBe(true);
  });
});
