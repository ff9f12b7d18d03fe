import { oidcSettingsFromEnv } from './oidc-login';

describe('campus SSO settings from the environment', () => {
  const complete = {
    UNIONFED_OIDC_ISSUER: 'https://sso.campus.example.edu/realms/staff',
    UNIONFED_OIDC_CLIENT_ID: 'unionfed',
    UNIONFED_OIDC_CLIENT_SECRET: 's3cret',
  };

  it('is off when none of the UNIONFED_OIDC_* variables is set', () => {
    expect(oidcSettingsFromEnv({})).toBeUndefined();
  });

  it('reads the issuer, the client and an optional fixed redirect URI', () => {
    expect(oidcSettingsFromEnv(complete)).toEqual({
      issuer: new URL('https://sso.campus.example.edu/realms/staff'),
      clientId: 'unionfed',
      clientSecret: 's3cret',
      redirectUri: undefined,
    });
    expect(
      oidcSettingsFromEnv({
        ...complete,
        UNIONFED_OIDC_REDIRECT_URI: 'https://union.example.edu/auth/oidc/callback',
      })?.redirectUri,
    ).toBe('https://union.example.edu/auth/oidc/callback');
  });

  it('refuses to start half configured, naming what is missing', () => {
    expect(() => oidcSettingsFromEnv({ UNIONFED_OIDC_ISSUER: complete.UNIONFED_OIDC_ISSUER })).toThrow(
      'campus SSO is half configured (UNIONFED_OIDC_ISSUER set): set UNIONFED_OIDC_CLIENT_ID, UNIONFED_OIDC_CLIENT_SECRET too, or none of them',
    );
  });

  it('accepts plain http only for a provider on this machine', () => {
    expect(
      oidcSettingsFromEnv({ ...complete, UNIONFED_OIDC_ISSUER: 'http://127.0.0.1:4400' })?.issuer.href,
    ).toBe('http://127.0.0.1:4400/');
    expect(() =>
      oidcSettingsFromEnv({ ...complete, UNIONFED_OIDC_ISSUER: 'http://sso.campus.example.edu' }),
    ).toThrow('UNIONFED_OIDC_ISSUER must be an https:// URL');
    expect(() =>
      oidcSettingsFromEnv({ ...complete, UNIONFED_OIDC_ISSUER: 'sso.campus.example.edu' }),
    ).toThrow('UNIONFED_OIDC_ISSUER must be an absolute URL');
  });
});
