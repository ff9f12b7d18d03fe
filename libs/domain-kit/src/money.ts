import { InvalidInputError } from './errors';

/**
 * Money: an amount of renminbi in integer fen (分), the platform's one money type (finance, welfare, activities).
 *
 * Why a bigint inside (and not a number with a safe-integer bound): the columns are PostgreSQL BIGINT, which
 * goes to 2^63 − 1 fen, while a JS number is exact only to 2^53 fen (≈ ¥90 trillion). ¥90 trillion is more than a
 * union will ever hold, but the bound that bites is not the amount, it is the intermediate product: a ratio or an
 * allocation multiplies the amount by a weight before dividing, and ¥1,000,000.00 × a weight of 10^10 is already
 * past 2^53 — a number would round silently, a bigint stays exact. bigint also refuses to mix with number at
 * compile time (no accidental `amount * 1.1`), and node-postgres hands BIGINT over as a string, which
 * `Money.ofFen` reads without a detour through a float.
 *
 * The range is that of BIGINT made symmetric, ±(2^63 − 1) fen, so that negating never overflows; any result
 * outside it is refused with InvalidInputError (BAD_USER_INPUT, `MONEY_OUT_OF_RANGE`): only absurd input gets
 * there, and it should be refused as such rather than written to a column that would refuse it later.
 *
 * Instances are immutable; compare them with `equals` / `compare`, never with `===`.
 */

const MAX_FEN = 2n ** 63n - 1n;
const FEN_PER_YUAN = 100n;

/**
 * How a result that falls between two fen is rounded. HALF_UP (四舍五入) is what Chinese accounting uses: a half
 * fen or more goes away from zero, on the magnitude (−0.5 fen → −1 fen), like Java's RoundingMode.HALF_UP. DOWN
 * truncates toward zero, UP goes away from zero.
 */
export type Rounding = 'HALF_UP' | 'DOWN' | 'UP';

/** An integer weight or factor: a bigint, or a number that is a safe integer. */
export type Integral = bigint | number;

/** Yuan, optionally signed, at most 2 decimals, no leading zeros, no exponent, separator, space or currency sign. */
const DECIMAL_YUAN = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]{1,2}))?$/;
/** Integer fen as node-postgres returns a BIGINT column. */
const INTEGER_FEN = /^-?(0|[1-9][0-9]*)$/;
/** A percentage such as "12.5" or "-3": any number of decimals, the arithmetic is exact. */
const DECIMAL_RATE = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;
/** ±(2^63 − 1) fen is 20 characters at most; a longer string is refused before any arithmetic. */
const MAX_TEXT = 24;

const DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'];
const SECTION_UNITS = ['', '拾', '佰', '仟'];

function outOfRange(what: string): never {
  throw new InvalidInputError(
    `${what} is out of range (at most ${MAX_FEN} fen either way)`,
    'MONEY_OUT_OF_RANGE',
  );
}

function integral(value: Integral, what: string, reason: string): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) {
    throw new InvalidInputError(`${what} must be an integer`, reason);
  }
  return BigInt(value);
}

/** numerator / denominator (denominator > 0) rounded to an integer. */
function divide(numerator: bigint, denominator: bigint, rounding: Rounding): bigint {
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  let quotient = magnitude / denominator;
  const remainder = magnitude % denominator;
  if (remainder !== 0n) {
    if (rounding === 'UP' || (rounding === 'HALF_UP' && 2n * remainder >= denominator)) quotient += 1n;
  }
  return negative ? -quotient : quotient;
}

/** 0 < n < 10^4: one section, a 零 for each run of zeros between non-zero digits, none for trailing ones. */
function sectionWords(n: number): string {
  let words = '';
  let zeros = false;
  for (let place = 3; place >= 0; place--) {
    const digit = Math.floor(n / 10 ** place) % 10;
    if (digit === 0) {
      zeros = words !== '';
      continue;
    }
    if (zeros) words += '零';
    zeros = false;
    words += DIGITS[digit] + SECTION_UNITS[place];
  }
  return words;
}

/**
 * n > 0 yuan in words: sections of four digits with 万 and 亿 (an amount of 亿 is itself said with 万, so
 * 10^12 is 壹万亿). One 零 stands for each run of zeros between non-zero digits, across a 万 or 亿 as well
 * (¥100,100 → 壹拾万零壹佰, ¥107,000 → 壹拾万零柒仟).
 */
function integerWords(n: bigint): string {
  for (const [unit, size] of [
    ['亿', 10n ** 8n],
    ['万', 10n ** 4n],
  ] as const) {
    if (n < size) continue;
    const high = n / size;
    const low = n % size;
    if (low === 0n) return integerWords(high) + unit;
    const zeros = high % 10n === 0n || low < size / 10n;
    return integerWords(high) + unit + (zeros ? '零' : '') + integerWords(low);
  }
  return sectionWords(Number(n));
}

export class Money {
  static readonly ZERO = new Money(0n);
  /** the largest amount a BIGINT column holds (and the smallest is its negation) */
  static readonly MAX = new Money(MAX_FEN);

  private constructor(
    /** the amount in fen (分) */
    readonly fen: bigint,
  ) {}

  private static checked(fen: bigint): Money {
    if (fen > MAX_FEN || fen < -MAX_FEN) outOfRange('the amount');
    return fen === 0n ? Money.ZERO : new Money(fen);
  }

  /**
   * An amount in integer fen: a bigint, a safe-integer number, or a string of digits (a BIGINT column as
   * node-postgres returns it). Anything else (a fraction of a fen, NaN) is refused with `INVALID_MONEY`.
   */
  static ofFen(fen: bigint | number | string): Money {
    if (typeof fen === 'string') {
      if (fen.length > MAX_TEXT || !INTEGER_FEN.test(fen)) {
        throw new InvalidInputError('an amount in fen must be an integer', 'INVALID_MONEY');
      }
      return Money.checked(BigInt(fen));
    }
    return Money.checked(integral(fen, 'an amount in fen', 'INVALID_MONEY'));
  }

  /**
   * Parses a decimal amount in yuan: "1500", "1500.5", "1500.50", "-3.20". Refused with InvalidInputError
   * (BAD_USER_INPUT, `INVALID_MONEY`, `field`): more than 2 decimals ("1.005"), exponents ("1e3"), NaN and
   * Infinity, leading zeros ("01"), a leading "+" or ".", spaces, thousands separators and currency signs — the
   * display form "¥1,500.00" too, deliberately: what machines send is the canonical decimal, and a parser that
   * guesses at separators is how "1.500" becomes fifteen hundred — empty strings, and amounts beyond the range.
   * The message names the field, never the value.
   */
  static parse(text: string, field = 'amount'): Money {
    const match = text.length <= MAX_TEXT ? DECIMAL_YUAN.exec(text) : null;
    if (!match) {
      throw new InvalidInputError(
        `${field} must be an amount in yuan with at most 2 decimals, such as "12.50"`,
        'INVALID_MONEY',
        { field },
      );
    }
    const [, sign, yuan, decimals = ''] = match;
    const magnitude = BigInt(yuan) * FEN_PER_YUAN + BigInt(decimals.padEnd(2, '0'));
    if (magnitude > MAX_FEN) {
      throw new InvalidInputError(`${field} is out of range`, 'INVALID_MONEY', { field });
    }
    return Money.checked(sign ? -magnitude : magnitude);
  }

  plus(other: Money): Money {
    return Money.checked(this.fen + other.fen);
  }

  minus(other: Money): Money {
    return Money.checked(this.fen - other.fen);
  }

  negate(): Money {
    return Money.checked(-this.fen);
  }

  /** The amount times an integer (a quantity, a number of months). */
  times(factor: Integral): Money {
    return Money.checked(this.fen * integral(factor, 'a factor', 'INVALID_FACTOR'));
  }

  /**
   * The amount × numerator / denominator, rounded to a fen (HALF_UP unless told otherwise). For a share of a
   * total, prefer `allocate`, whose parts add up to the total.
   */
  ratio(numerator: Integral, denominator: Integral, rounding: Rounding = 'HALF_UP'): Money {
    let num = integral(numerator, 'a ratio', 'INVALID_RATIO');
    let den = integral(denominator, 'a ratio', 'INVALID_RATIO');
    if (den === 0n) throw new InvalidInputError('a ratio cannot have a zero denominator', 'INVALID_RATIO');
    if (den < 0n) [num, den] = [-num, -den];
    return Money.checked(divide(this.fen * num, den, rounding));
  }

  /**
   * `rate` percent of the amount, rounded to a fen (HALF_UP unless told otherwise): an integer, or a decimal
   * string ("12.5", "0.35") computed exactly — a float rate is refused, 0.1 + 0.2 being what it is.
   */
  percent(rate: Integral | string, rounding: Rounding = 'HALF_UP'): Money {
    if (typeof rate !== 'string') return this.ratio(rate, 100n, rounding);
    const match = rate.length <= MAX_TEXT ? DECIMAL_RATE.exec(rate) : null;
    if (!match) throw new InvalidInputError('a percentage must be a decimal such as "12.5"', 'INVALID_RATIO');
    const [, sign, whole, decimals = ''] = match;
    const numerator = BigInt(whole + decimals);
    return this.ratio(sign ? -numerator : numerator, 100n * 10n ** BigInt(decimals.length), rounding);
  }

  /**
   * Splits the amount into parts in proportion to `weights` (non-negative integers, at least one of them
   * positive) without losing a fen: the parts add up to the amount exactly. Each part is its exact share rounded
   * down (on the magnitude); the fen left over go one each to the parts with the largest remainders, the
   * earlier part first among equal remainders — so the result is deterministic and in the order of the weights,
   * each part within one fen of its exact share, and a zero weight gets nothing. A negative amount is split as
   * its magnitude and negated (−¥100.00 over 3 → −33.34, −33.33, −33.33).
   * ¥100.00 over [1, 1, 1] → 33.34, 33.33, 33.33.
   */
  allocate(weights: readonly Integral[]): Money[] {
    if (weights.length === 0) {
      throw new InvalidInputError('an allocation needs at least one weight', 'INVALID_ALLOCATION');
    }
    const ws = weights.map((w) => integral(w, 'a weight', 'INVALID_ALLOCATION'));
    if (ws.some((w) => w < 0n)) {
      throw new InvalidInputError('an allocation weight cannot be negative', 'INVALID_ALLOCATION');
    }
    const sum = ws.reduce((a, b) => a + b, 0n);
    if (sum === 0n) {
      throw new InvalidInputError('an allocation needs a positive weight', 'INVALID_ALLOCATION');
    }
    const negative = this.fen < 0n;
    const total = negative ? -this.fen : this.fen;
    const parts = ws.map((w) => (total * w) / sum);
    let left = total - parts.reduce((a, b) => a + b, 0n);
    // left < the number of parts with a remainder, so a part gets at most one fen more
    const byRemainder = ws
      .map((w, index) => ({ index, remainder: (total * w) % sum }))
      .sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
    for (const { index } of byRemainder) {
      if (left === 0n) break;
      parts[index] += 1n;
      left -= 1n;
    }
    return parts.map((fen) => Money.checked(negative ? -fen : fen));
  }

  /** Splits the amount into `count` parts as equal as fen allow, the larger ones first (`allocate` by 1s). */
  split(count: number): Money[] {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new InvalidInputError('an amount is split into at least one part', 'INVALID_ALLOCATION');
    }
    return this.allocate(new Array<number>(count).fill(1));
  }

  /** −1, 0 or 1 as this amount is less than, equal to or greater than `other` (a comparator for sort). */
  compare(other: Money): -1 | 0 | 1 {
    return this.fen < other.fen ? -1 : this.fen > other.fen ? 1 : 0;
  }

  equals(other: Money): boolean {
    return this.fen === other.fen;
  }

  isZero(): boolean {
    return this.fen === 0n;
  }

  isNegative(): boolean {
    return this.fen < 0n;
  }

  isPositive(): boolean {
    return this.fen > 0n;
  }

  /** The canonical decimal in yuan with exactly 2 decimals: "1500.00", "-3.20", "0.05". */
  toString(): string {
    const magnitude = this.fen < 0n ? -this.fen : this.fen;
    const fen = (magnitude % FEN_PER_YUAN).toString().padStart(2, '0');
    return `${this.fen < 0n ? '-' : ''}${magnitude / FEN_PER_YUAN}.${fen}`;
  }

  /** JSON carries the canonical decimal (a bigint would make JSON.stringify throw). */
  toJSON(): string {
    return this.toString();
  }

  /** For people: "¥1,500.00", "-¥1,500.00". */
  toDisplayString(): string {
    const [yuan, fen] = this.toString().replace('-', '').split('.');
    return `${this.fen < 0n ? '-' : ''}¥${yuan.replace(/\B(?=(\d{3})+$)/g, ',')}.${fen}`;
  }

  /**
   * The amount in words as vouchers and cheques write it (人民币大写), after the rules for filling in bills and
   * settlement vouchers (《支付结算办法》 annex 1): 壹…玖 with 拾佰仟万亿; 整 after 元 when there are no 角 and
   * 分, none after 角 or 分; one 零 for each run of zeros between non-zero digits (¥6,007.14 → 陆仟零柒元壹角肆分);
   * 零 after 元 when 角 is zero and 分 is not (¥1,500.05 → 壹仟伍佰元零伍分). Where the rules let the writer
   * choose — a zero 元 digit before a non-zero 角 — no 零 is written (¥1,680.32 → 壹仟陆佰捌拾元叁角贰分), and
   * a zero 万 digit before a non-zero 仟 gets its 零 (¥107,000.53 → 壹拾万零柒仟元伍角叁分), the rules' own
   * examples. No yuan, no 元 (¥0.50 → 伍角); nothing at all is 零元整; a negative amount starts with 负. The
   * words "人民币" are the voucher's, not part of this.
   */
  toChineseUppercase(): string {
    if (this.fen === 0n) return '零元整';
    const magnitude = this.fen < 0n ? -this.fen : this.fen;
    const yuan = magnitude / FEN_PER_YUAN;
    const jiao = Number((magnitude / 10n) % 10n);
    const fen = Number(magnitude % 10n);
    let words = yuan > 0n ? integerWords(yuan) + '元' : '';
    if (jiao === 0 && fen === 0) words += '整';
    if (jiao > 0) words += DIGITS[jiao] + '角';
    else if (fen > 0 && yuan > 0n) words += '零';
    if (fen > 0) words += DIGITS[fen] + '分';
    return (this.fen < 0n ? '负' : '') + words;
  }
}
