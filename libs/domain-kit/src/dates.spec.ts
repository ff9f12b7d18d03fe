import { parseIsoDate, todayInShanghai } from './dates';
import { InvalidInputError } from './errors';

describe('calendar dates', () => {
  it('accepts a real date', () => {
    expect(parseIsoDate('1985-02-28', 'birthDate')).toBe('1985-02-28');
  });

  it.each(['2023-02-30', '1985-13-01', '85-1-1', '2020/01/01', ''])(
    'rejects %p naming the field',
    (value) => {
      expect(() => parseIsoDate(value, 'birthDate')).toThrow(InvalidInputError);
      expect(() => parseIsoDate(value, 'birthDate')).toThrow(/birthDate/);
    },
  );

  it('uses the Shanghai calendar day (UTC+8)', () => {
    expect(todayInShanghai(new Date('2026-01-01T17:00:00Z'))).toBe('2026-01-02');
  });
});
