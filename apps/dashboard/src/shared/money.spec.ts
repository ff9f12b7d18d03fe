import { formatYuan, normaliseYuan } from './money';

describe('money in yuan, as text (never a float)', () => {
  it('normalises an amount to two decimals and refuses anything finer than a fen', () => {
    expect(normaliseYuan('1500')).toBe('1500.00');
    expect(normaliseYuan('1,500.5')).toBe('1500.50');
    expect(normaliseYuan('0.1')).toBe('0.10');
    expect(normaliseYuan('-0.00')).toBe('0.00');
    expect(normaliseYuan('007.05')).toBe('7.05');
    expect(normaliseYuan('1.005')).toBeNull();
    expect(normaliseYuan('1e3')).toBeNull();
    expect(normaliseYuan('')).toBeNull();
  });

  it('keeps amounts beyond a float’s exact range exact', () => {
    expect(normaliseYuan('9999999999999.99')).toBe('9999999999999.99');
    expect(formatYuan('9007199254740.99')).toBe('9,007,199,254,740.99');
  });

  it('formats with grouping and two decimals', () => {
    expect(formatYuan('1234567.8')).toBe('1,234,567.80');
    expect(formatYuan('-1500')).toBe('-1,500.00');
    expect(formatYuan('12')).toBe('12.00');
  });
});
