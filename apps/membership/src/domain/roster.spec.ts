import { InvalidInputError } from '@unionfed/domain-kit';
import { ageBandOf, rosterCriteria } from './roster';

describe('roster filters', () => {
  const today = '2026-11-22';

  it('turns an age band into a range of birth dates as of today', () => {
    expect(rosterCriteria({ ageBand: 'FROM_35_TO_44' }, today)).toMatchObject({
      bornAfter: '1981-11-22',
      bornOnOrBefore: '1991-11-22',
    });
    expect(rosterCriteria({ ageBand: 'FROM_55' }, today)).toMatchObject({ bornOnOrBefore: '1971-11-22' });
    expect(rosterCriteria({ ageBand: 'FROM_55' }, today).bornAfter).toBeUndefined();
  });

  it('puts a member into the band of their age today, birthdays included', () => {
    expect(ageBandOf('1991-11-22', today)).toBe('FROM_35_TO_44'); // 35 today
    expect(ageBandOf('1991-11-23', today)).toBe('UNDER_35'); // 35 tomorrow
    expect(ageBandOf('1971-11-22', today)).toBe('FROM_55');
  });

  it('handles 29 February when counting back from a leap day', () => {
    expect(rosterCriteria({ ageBand: 'UNDER_35' }, '2024-02-29').bornAfter).toBe('1989-02-28');
  });

  it('takes a search term trimmed, and a blank one as no search', () => {
    expect(rosterCriteria({ search: ' 张三 ' }, today).search).toBe('张三');
    expect(rosterCriteria({ search: '   ' }, today).search).toBeUndefined();
    expect(rosterCriteria({ search: '张'.repeat(50) }, today).search).toHaveLength(50);
  });

  it.each([
    [{ search: '张'.repeat(51) }, 'search'],
    [{ gender: 'X' }, 'gender'],
    [{ category: 'PROFESSOR' }, 'category'],
    [{ status: 'GONE' }, 'status'],
    [{ ageBand: 'OLD' }, 'ageBand'],
    [{ birthMonth: 13 }, 'birthMonth'],
    [{ joinedFrom: '2020-01-01', joinedTo: '2019-01-01' }, 'joinedFrom'],
    [{ joinedTo: '2019-02-30' }, 'joinedTo'],
  ])('rejects %p naming the field %s', (input, field) => {
    expect(() => rosterCriteria(input, today)).toThrow(InvalidInputError);
    expect(() => rosterCriteria(input, today)).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ field }) }),
    );
  });
});
