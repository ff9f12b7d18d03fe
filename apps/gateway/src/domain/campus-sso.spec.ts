import { accountCandidates, campusIdentityName, safeReturnTo } from './campus-sso';

describe('campus sign-in rules', () => {
  describe('which local account a new campus identity may be linked to', () => {
    it('tries the verified e-mail address first, then the login name, both lower-cased', () => {
      expect(
        accountCandidates({
          sub: 's1',
          email: 'Zhang.Wei@Campus.Example.EDU',
          email_verified: true,
          preferred_username: 'ZhangWei',
        }),
      ).toEqual([
        { username: 'zhang.wei@campus.example.edu', matchedBy: 'email' },
        { username: 'zhangwei', matchedBy: 'preferred_username' },
      ]);
    });

    it.each([[false], ['true'], [undefined]])(
      'ignores an e-mail address whose email_verified is %p',
      (emailVerified) => {
        expect(
          accountCandidates({ sub: 's1', email: 'lina@campus.example.edu', email_verified: emailVerified }),
        ).toEqual([]);
      },
    );

    it('lists a name once when the address and the login name are the same', () => {
      expect(
        accountCandidates({
          sub: 's1',
          email: 'li@x.edu',
          email_verified: true,
          preferred_username: 'LI@x.edu',
        }),
      ).toEqual([{ username: 'li@x.edu', matchedBy: 'email' }]);
    });

    it('names an identity in the audit log by address, else login name, else subject', () => {
      expect(campusIdentityName({ sub: 's1', email: 'A@x.edu', preferred_username: 'a' })).toBe('a@x.edu');
      expect(campusIdentityName({ sub: 's1', preferred_username: 'Lina' })).toBe('lina');
      expect(campusIdentityName({ sub: 's1' })).toBe('s1');
    });
  });

  describe('where the browser may be sent after signing in', () => {
    it.each([
      ['/dashboard', '/dashboard'],
      ['/dashboard/members?branch=cs&page=2', '/dashboard/members?branch=cs&page=2'],
      ['/a/../b', '/b'],
    ])('accepts the same-origin path %s', (value, expected) => {
      expect(safeReturnTo(value)).toBe(expected);
    });

    it.each([
      'https://evil.example/',
      '//evil.example/',
      '/\\evil.example/',
      '\\\\evil.example',
      'dashboard',
      'javascript:alert(1)',
      '/dashboard#access_token=x',
      '/path with space',
      '/\tevil',
      `/${'a'.repeat(1000)}`,
    ])('refuses %p', (value) => {
      expect(() => safeReturnTo(value)).toThrow(
        expect.objectContaining({ reason: 'OIDC_RETURN_TO_INVALID' }),
      );
    });

    it('means "answer with JSON" when none is given', () => {
      expect(safeReturnTo(undefined)).toBeUndefined();
      expect(safeReturnTo('')).toBeUndefined();
    });
  });
});
