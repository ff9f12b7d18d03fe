import { InvalidInputError } from '@unionfed/domain-kit';

/**
 * The chart of accounts (会计科目) is data: seeded with the categories of 《基层工会经费收支管理办法》 (2017) and
 * extended by HQ (addLedgerAccount / addLedgerFund). Nothing in code branches on a particular account except the
 * bank account a disbursement is paid from (`BANK_ACCOUNT`).
 *
 * - ASSET (资产, debit-normal): what a fund's money is held in; a fund's balance is its assets.
 * - NET_ASSET (净资产, credit-normal): opening balances and transfers between funds.
 * - INCOME (收入) and EXPENSE (支出): the categories reports add up.
 * Only leaf accounts (those no other account names as parent) take postings.
 */
export type AccountKind = 'ASSET' | 'NET_ASSET' | 'INCOME' | 'EXPENSE';
export const ACCOUNT_KINDS: readonly AccountKind[] = ['ASSET', 'NET_ASSET', 'INCOME', 'EXPENSE'];

/** A fund (资金/基金) is a dimension of every journal line: the general fund, the hardship fund, restricted funds. */
export type FundKind = 'GENERAL' | 'HARDSHIP' | 'RESTRICTED_DONATION';
export const FUND_KINDS: readonly FundKind[] = ['GENERAL', 'HARDSHIP', 'RESTRICTED_DONATION'];

export interface LedgerAccount {
  code: string;
  name: string;
  kind: AccountKind;
  parentCode: string | null;
}

export interface LedgerFund {
  code: string;
  name: string;
  kind: FundKind;
}

/** 银行存款: where disbursements are paid from. */
export const BANK_ACCOUNT = '1002';
/** 工会资金: the fund a line belongs to when it names none. */
export const GENERAL_FUND = 'GENERAL';

const account = (code: string, name: string, kind: AccountKind, parentCode: string | null = null) => ({
  code,
  name,
  kind,
  parentCode,
});

export const SEEDED_ACCOUNTS: readonly LedgerAccount[] = [
  account('1001', '库存现金', 'ASSET'),
  account('1002', '银行存款', 'ASSET'),
  account('3101', '期初资金结余', 'NET_ASSET'),
  account('3201', '资金调拨', 'NET_ASSET'),
  // 收入
  account('4101', '会费收入', 'INCOME'),
  account('4102', '拨缴经费收入', 'INCOME'),
  account('4103', '上级补助收入', 'INCOME'),
  account('4104', '行政补助收入', 'INCOME'),
  account('4105', '其他收入', 'INCOME'),
  account('410501', '捐赠收入', 'INCOME', '4105'),
  account('410502', '利息收入', 'INCOME', '4105'),
  account('410509', '其他', 'INCOME', '4105'),
  // 支出
  account('5101', '职工活动支出', 'EXPENSE'),
  account('510101', '职工教育活动', 'EXPENSE', '5101'),
  account('510102', '文体活动', 'EXPENSE', '5101'),
  account('510103', '宣传活动', 'EXPENSE', '5101'),
  account('510104', '职工集体福利', 'EXPENSE', '5101'),
  account('510105', '送温暖慰问', 'EXPENSE', '5101'),
  account('510109', '其他活动', 'EXPENSE', '5101'),
  account('5102', '维权支出', 'EXPENSE'),
  account('5103', '业务支出', 'EXPENSE'),
  account('510301', '培训', 'EXPENSE', '5103'),
  account('510302', '会议', 'EXPENSE', '5103'),
  account('510309', '其他业务', 'EXPENSE', '5103'),
  account('5104', '资本性支出', 'EXPENSE'),
  account('5105', '其他支出', 'EXPENSE'),
];

export const SEEDED_FUNDS: readonly LedgerFund[] = [
  { code: GENERAL_FUND, name: '工会资金', kind: 'GENERAL' },
  { code: 'HARDSHIP', name: '困难补助基金', kind: 'HARDSHIP' },
  { code: 'DONATION', name: '捐赠资金', kind: 'RESTRICTED_DONATION' },
];

const ACCOUNT_CODE = /^[0-9]{4,10}$/;
const FUND_CODE = /^[A-Z][A-Z0-9_]{1,31}$/;

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > 60)
    throw new InvalidInputError('名称须为1至60个字符 (a name of 1–60 characters)', 'INVALID_NAME', {
      field: 'name',
    });
  return trimmed;
}

/**
 * A new account of the chart, as HQ adds it: a code of 4–10 digits; a sub-account extends its parent's code and
 * has its kind (the parent, being a parent then, takes no more postings).
 */
export function newAccount(
  input: { code: string; name: string; kind: AccountKind; parentCode?: string | null },
  parent: LedgerAccount | undefined,
): LedgerAccount {
  if (!ACCOUNT_CODE.test(input.code))
    throw new InvalidInputError(
      '科目代码须为4至10位数字 (an account code is 4–10 digits)',
      'INVALID_ACCOUNT_CODE',
      {
        field: 'code',
      },
    );
  if (!ACCOUNT_KINDS.includes(input.kind))
    throw new InvalidInputError('unknown account kind', 'INVALID_ACCOUNT_KIND', { field: 'kind' });
  if (input.parentCode) {
    if (!parent)
      throw new InvalidInputError('上级科目不存在 (the parent account does not exist)', 'UNKNOWN_ACCOUNT', {
        field: 'parentCode',
      });
    if (!input.code.startsWith(parent.code) || input.code.length <= parent.code.length)
      throw new InvalidInputError(
        '明细科目代码须以上级科目代码开头 (a sub-account code extends its parent’s)',
        'INVALID_ACCOUNT_CODE',
        { field: 'code' },
      );
    if (parent.kind !== input.kind)
      throw new InvalidInputError(
        '明细科目须与上级科目同类 (a sub-account has its parent’s kind)',
        'INVALID_ACCOUNT_KIND',
        {
          field: 'kind',
        },
      );
  }
  return {
    code: input.code,
    name: checkName(input.name),
    kind: input.kind,
    parentCode: input.parentCode ?? null,
  };
}

/** A new fund, as HQ adds it (a donation drive's restricted fund, say). */
export function newFund(input: { code: string; name: string; kind: FundKind }): LedgerFund {
  if (!FUND_CODE.test(input.code))
    throw new InvalidInputError(
      '资金代码须为大写字母开头的2至32位大写字母、数字或下划线 (a fund code such as HARDSHIP)',
      'INVALID_FUND_CODE',
      { field: 'code' },
    );
  if (!FUND_KINDS.includes(input.kind))
    throw new InvalidInputError('unknown fund kind', 'INVALID_FUND_KIND', { field: 'kind' });
  return { code: input.code, name: checkName(input.name), kind: input.kind };
}
