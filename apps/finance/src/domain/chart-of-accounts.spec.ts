import { InvalidInputError } from '@unionfed/domain-kit';
import { newAccount, newFund, SEEDED_ACCOUNTS, SEEDED_FUNDS } from './chart-of-accounts';

const parent = SEEDED_ACCOUNTS.find((a) => a.code === '5101')!;
const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof InvalidInputError ? error.reason : error;
  }
  return undefined;
};

describe('the chart of accounts', () => {
  it('is seeded with the 2017 categories of 《基层工会经费收支管理办法》, bank and cash, and the three funds', () => {
    const names = SEEDED_ACCOUNTS.map((a) => a.name);
    for (const name of [
      '会费收入',
      '拨缴经费收入',
      '上级补助收入',
      '行政补助收入',
      '其他收入',
      '职工活动支出',
      '维权支出',
      '业务支出',
      '资本性支出',
      '其他支出',
      '银行存款',
      '库存现金',
    ])
      expect(names).toContain(name);
    expect(SEEDED_ACCOUNTS.filter((a) => a.parentCode === '5101').length).toBeGreaterThanOrEqual(5);
    expect(SEEDED_FUNDS.map((f) => f.name)).toEqual(['工会资金', '困难补助基金', '捐赠资金']);
  });

  it('takes a sub-account that extends its parent’s code and kind', () => {
    expect(
      newAccount({ code: '510106', name: ' 劳动竞赛 ', kind: 'EXPENSE', parentCode: '5101' }, parent),
    ).toEqual({
      code: '510106',
      name: '劳动竞赛',
      kind: 'EXPENSE',
      parentCode: '5101',
    });
  });

  it('refuses a sub-account of another code or kind, an unknown parent and a malformed code', () => {
    expect(
      reasonOf(() => newAccount({ code: '6201', name: 'x', kind: 'EXPENSE', parentCode: '5101' }, parent)),
    ).toBe('INVALID_ACCOUNT_CODE');
    expect(
      reasonOf(() => newAccount({ code: '510106', name: 'x', kind: 'INCOME', parentCode: '5101' }, parent)),
    ).toBe('INVALID_ACCOUNT_KIND');
    expect(
      reasonOf(() =>
        newAccount({ code: '510106', name: 'x', kind: 'EXPENSE', parentCode: '5109' }, undefined),
      ),
    ).toBe('UNKNOWN_ACCOUNT');
    expect(reasonOf(() => newAccount({ code: '51a', name: 'x', kind: 'EXPENSE' }, undefined))).toBe(
      'INVALID_ACCOUNT_CODE',
    );
    expect(reasonOf(() => newAccount({ code: '5201', name: '', kind: 'EXPENSE' }, undefined))).toBe(
      'INVALID_NAME',
    );
  });

  it('takes a fund with an upper-case code and refuses another', () => {
    expect(newFund({ code: 'ONE_DAY_2026', name: '一日捐', kind: 'RESTRICTED_DONATION' }).code).toBe(
      'ONE_DAY_2026',
    );
    expect(reasonOf(() => newFund({ code: 'one-day', name: '一日捐', kind: 'RESTRICTED_DONATION' }))).toBe(
      'INVALID_FUND_CODE',
    );
  });
});
