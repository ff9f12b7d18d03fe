import { ANONYMOUS, type Principal } from './principal';
import { decide, Reach, type AccessPolicy } from './reach';

const branchA = '0190a000-0000-7000-8000-00000000000a';
const branchB = '0190a000-0000-7000-8000-00000000000b';
const user = (grants: Principal['grants'], extra: Partial<Principal> = {}): Principal => ({
  kind: 'user',
  subject: 'u1',
  name: 'u1',
  grants,
  scopes: [],
  ...extra,
});
const policy = (p: Partial<AccessPolicy>): AccessPolicy => ({
  roles: [],
  scope: 'BRANCH',
  integration: false,
  ...p,
});
const officers = policy({ roles: ['ADMIN', 'MEMBERSHIP_OFFICER'] });

describe('access decisions', () => {
  it('lets anyone use a PUBLIC field and asks anonymous callers to sign in for anything else', () => {
    expect(decide(ANONYMOUS, policy({ scope: 'PUBLIC' })).allowed).toBe(true);
    expect(decide(ANONYMOUS, policy({ scope: 'AUTHENTICATED' }))).toMatchObject({
      allowed: false,
      code: 'UNAUTHENTICATED',
    });
    expect(decide(ANONYMOUS, officers)).toMatchObject({ allowed: false, code: 'UNAUTHENTICATED' });
  });

  it('gives an HQ grant the whole federation and a branch grant only its branch', () => {
    const hq = decide(user([{ role: 'MEMBERSHIP_OFFICER', branchId: null }]), officers);
    expect(hq.allowed && hq.reach.all).toBe(true);
    const branch = decide(user([{ role: 'MEMBERSHIP_OFFICER', branchId: branchA }]), officers);
    if (!branch.allowed) throw new Error('expected allowed');
    expect(branch.reach.includesBranch(branchA)).toBe(true);
    expect(branch.reach.includesBranch(branchB)).toBe(false);
    expect(() => branch.reach.assertBranch(branchB)).toThrow(expect.objectContaining({ kind: 'FORBIDDEN' }));
  });

  it('refuses a role the field does not name, and branch grants on FEDERATION fields', () => {
    expect(decide(user([{ role: 'VIEWER', branchId: null }]), officers)).toMatchObject({
      allowed: false,
      code: 'FORBIDDEN',
    });
    const hqOnly = policy({ roles: ['ADMIN'], scope: 'FEDERATION' });
    expect(decide(user([{ role: 'ADMIN', branchId: branchA }]), hqOnly)).toMatchObject({
      allowed: false,
      code: 'FORBIDDEN',
    });
    expect(decide(user([{ role: 'ADMIN', branchId: null }]), hqOnly).allowed).toBe(true);
  });

  it('lets integrations use only fields that declare them', () => {
    const integration: Principal = {
      ...user([{ role: 'INTEGRATION', branchId: null }]),
      kind: 'integration',
    };
    expect(decide(integration, officers)).toMatchObject({ allowed: false, code: 'FORBIDDEN' });
    expect(decide(integration, { ...officers, integration: true }).allowed).toBe(true);
  });

  it('lets a MEMBER reach only their own record', () => {
    const member = user([{ role: 'MEMBER', branchId: null }], { memberId: 'm1' });
    const decision = decide(member, policy({ roles: ['MEMBER'] }));
    if (!decision.allowed) throw new Error('expected allowed');
    expect(decision.reach.all).toBe(false);
    expect(decision.reach.includesMember('m1', branchA)).toBe(true);
    expect(decision.reach.includesMember('m2', branchA)).toBe(false);
  });

  it('narrows SQL to the reach with parameters, never by interpolating ids', () => {
    const params: unknown[] = ['first'];
    expect(Reach.of([branchA], 'm1').sqlCondition('m.branch_id', params, 'm.id')).toBe(
      '(m.branch_id = ANY($2::uuid[]) OR m.id = $3::uuid)',
    );
    expect(params).toEqual(['first', [branchA], 'm1']);
    expect(Reach.EVERYTHING.sqlCondition('x', [])).toBe('TRUE');
    expect(Reach.NOTHING.sqlCondition('x', [])).toBe('FALSE');
  });
});
