import { ConflictError, InvalidInputError } from '@unionfed/domain-kit';
import { admitMember, changeStatus } from './member';
import { openBranch, type Branch } from './structure';
import { acceptTransfer, closeTransfer, requestTransfer } from './transfer';

const campus = { id: 'c1', code: 'MAIN', name: '本部校区' };
const branch = (id: string, code: string): Branch =>
  openBranch(id, campus, { code, name: `${code}分工会`, kind: 'COLLEGE', staffHeadcount: 50 });
const [x, y] = [branch('bx', 'xx'), branch('by', 'yy')];
const today = '2026-11-22';
const now = new Date('2026-11-22T02:00:00Z');
const { member } = admitMember(
  { id: 'm1', memberNumber: 'M000001' },
  x,
  { staffNumber: 'T1', name: '张伟', gender: 'MALE', category: 'TEACHER', joinedOn: '2010-09-01' },
  today,
);
const inGroup = { ...member, groupId: 'g1' };
const requested = () =>
  requestTransfer('t1', inGroup, y, { effectiveOn: '2026-09-01' }, 'x-officer', now, today);

describe('会籍转移 in two steps', () => {
  it('records a request of the sending branch and leaves the member where they are', () => {
    const { request, history } = requested();
    expect(request).toEqual({
      id: 't1',
      memberId: 'm1',
      fromBranchId: 'bx',
      toBranchId: 'by',
      status: 'PENDING',
      effectiveOn: '2026-09-01',
      reason: undefined,
      requestedBy: 'x-officer',
      requestedAt: now,
    });
    expect(history).toEqual({
      memberId: 'm1',
      change: 'TRANSFER_REQUESTED',
      branchId: 'bx',
      effectiveOn: today,
      details: { transferId: 't1', toBranchId: 'by', effectiveOn: '2026-09-01' },
    });
  });

  it('refuses a request the move itself would refuse: same branch, inactive target, retired member, bad date', () => {
    expect(() => requestTransfer('t', member, x, {}, 'a', now, today)).toThrow(InvalidInputError);
    const merged: Branch = { ...y, status: 'MERGED' };
    expect(() => requestTransfer('t', member, merged, {}, 'a', now, today)).toThrow(ConflictError);
    const retired = changeStatus(member, 'RETIRED', {}, today).member;
    expect(() => requestTransfer('t', retired, y, {}, 'a', now, today)).toThrow(ConflictError);
    expect(() => requestTransfer('t', member, y, { effectiveOn: '2027-01-01' }, 'a', now, today)).toThrow(
      InvalidInputError,
    );
    expect(() => requestTransfer('t', member, y, { effectiveOn: '2009-01-01' }, 'a', now, today)).toThrow(
      InvalidInputError,
    );
  });

  it('moves the member out of their group on acceptance, effective on the requested day', () => {
    const accepted = acceptTransfer(requested().request, inGroup, y, 'y-officer', now, today);
    expect(accepted.request).toMatchObject({ status: 'ACCEPTED', decidedBy: 'y-officer', decidedAt: now });
    expect(accepted.member).toMatchObject({ branchId: 'by', groupId: undefined, status: 'ACTIVE' });
    expect(accepted.history).toEqual({
      memberId: 'm1',
      change: 'TRANSFERRED',
      branchId: 'by',
      effectiveOn: '2026-09-01',
      details: { fromBranchId: 'bx', transferId: 't1' },
    });
  });

  it('refuses to accept a request for a member who has retired or moved since it was made', () => {
    const { request } = requested();
    const retired = changeStatus(inGroup, 'RETIRED', {}, today).member;
    expect(() => acceptTransfer(request, retired, y, 'y', now, today)).toThrow(
      expect.objectContaining({ reason: 'TRANSFER_OUTDATED' }),
    );
    const elsewhere = { ...inGroup, branchId: 'bz' };
    expect(() => acceptTransfer(request, elsewhere, y, 'y', now, today)).toThrow(
      expect.objectContaining({ reason: 'TRANSFER_OUTDATED' }),
    );
  });

  it('declines or cancels a pending request with a history entry of the sending branch', () => {
    const { request } = requested();
    const declined = closeTransfer(request, 'DECLINED', { reason: ' 编制已满 ' }, 'y-officer', now, today);
    expect(declined.request).toMatchObject({ status: 'DECLINED', decisionReason: '编制已满' });
    expect(declined.history).toEqual({
      memberId: 'm1',
      change: 'TRANSFER_DECLINED',
      branchId: 'bx',
      effectiveOn: today,
      details: { transferId: 't1', toBranchId: 'by', reason: '编制已满' },
    });
    const cancelled = closeTransfer(request, 'CANCELLED', {}, 'x-officer', now, today);
    expect(cancelled.request.status).toBe('CANCELLED');
    expect(cancelled.history.change).toBe('TRANSFER_CANCELLED');
  });

  it('decides a request only once: no accepting, declining or cancelling a decided one', () => {
    const accepted = acceptTransfer(requested().request, inGroup, y, 'y', now, today).request;
    const cancelled = closeTransfer(requested().request, 'CANCELLED', {}, 'x', now, today).request;
    for (const decided of [accepted, cancelled]) {
      expect(() => acceptTransfer(decided, inGroup, y, 'y', now, today)).toThrow(
        expect.objectContaining({ reason: 'TRANSFER_NOT_PENDING' }),
      );
      expect(() => closeTransfer(decided, 'DECLINED', {}, 'y', now, today)).toThrow(ConflictError);
      expect(() => closeTransfer(decided, 'CANCELLED', {}, 'x', now, today)).toThrow(ConflictError);
    }
  });
});
