import fc from 'fast-check';
import { InvalidInputError } from './errors';
import { Money } from './money';

const MAX_FEN = 2n ** 63n - 1n;
const yuan = (text: string) => Money.parse(text);
const strings = (parts: Money[]) => parts.map(String);

/** every amount the type holds, with small ones (where the rounding and 大写 edge cases are) well represented */
const anyFen = fc.oneof(
  fc.bigInt({ min: -MAX_FEN, max: MAX_FEN }),
  fc.bigInt({ min: -100_000_000n, max: 100_000_000n }),
  fc.constantFrom(0n, 1n, -1n, 99n, 100n, MAX_FEN, -MAX_FEN),
);
const anyMoney = anyFen.map((fen) => Money.ofFen(fen));

function refusal(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected a refusal');
}

describe('parsing an amount in yuan', () => {
  it.each([
    ['1500', 150000n],
    ['1500.5', 150050n],
    ['1500.50', 150050n],
    ['-3.20', -320n],
    ['0.05', 5n],
    ['0', 0n],
    ['-0.00', 0n],
    ['92233720368547758.07', MAX_FEN],
    ['-92233720368547758.07', -MAX_FEN],
  ])('reads %p as %p fen', (text, fen) => {
    expect(Money.parse(text).fen).toBe(fen);
  });

  it.each([
    ['more than 2 decimals', '1.005'],
    ['an exponent', '1e3'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['a thousands separator', '1,500.00'],
    ['the display form', '¥1,500.00'],
    ['a currency sign', '¥1500'],
    ['a currency code', '1500 CNY'],
    ['a space', ' 1500'],
    ['a trailing space', '1500 '],
    ['the empty string', ''],
    ['a bare sign', '-'],
    ['a plus sign', '+3'],
    ['a leading point', '.5'],
    ['a trailing point', '1500.'],
    ['leading zeros', '01500'],
    ['a comma as the decimal mark', '1500,50'],
    ['full-width digits', '１５００'],
    ['hex', '0x10'],
    ['one fen past the range', '92233720368547758.08'],
    ['far past the range', '-1' + '0'.repeat(30)],
  ])('refuses %s (%p) as INVALID_MONEY naming the field, not the value', (_, text) => {
    const error = refusal(() => Money.parse(text, 'input.amount'));
    expect(error.kind).toBe('BAD_USER_INPUT');
    expect(error.reason).toBe('INVALID_MONEY');
    expect(error.details).toEqual({ field: 'input.amount' });
    expect(error.message).toContain('input.amount');
    if (text.length > 3) expect(error.message).not.toContain(text);
  });

  it('reads integer fen as a BIGINT column comes back, and refuses anything that is not', () => {
    expect(Money.ofFen('150000').equals(yuan('1500'))).toBe(true);
    expect(Money.ofFen(-320).equals(yuan('-3.20'))).toBe(true);
    expect(Money.ofFen(MAX_FEN).equals(Money.MAX)).toBe(true);
    for (const bad of ['1.5', '', ' 1', '1e3', 1.5, Number.NaN, Infinity, 2 ** 53])
      expect(refusal(() => Money.ofFen(bad)).reason).toBe('INVALID_MONEY');
    expect(refusal(() => Money.ofFen(MAX_FEN + 1n)).reason).toBe('MONEY_OUT_OF_RANGE');
    expect(refusal(() => Money.ofFen(-MAX_FEN - 1n)).reason).toBe('MONEY_OUT_OF_RANGE');
  });
});

describe('formatting', () => {
  it.each([
    ['1500', '1500.00', '¥1,500.00'],
    ['-1500', '-1500.00', '-¥1,500.00'],
    ['-3.2', '-3.20', '-¥3.20'],
    ['0.05', '0.05', '¥0.05'],
    ['-0.05', '-0.05', '-¥0.05'],
    ['0', '0.00', '¥0.00'],
    ['999.99', '999.99', '¥999.99'],
    ['1000', '1000.00', '¥1,000.00'],
    ['1234567.8', '1234567.80', '¥1,234,567.80'],
  ])('writes %p as %p and, for people, %p', (text, canonical, display) => {
    expect(yuan(text).toString()).toBe(canonical);
    expect(yuan(text).toDisplayString()).toBe(display);
  });

  it('serialises to JSON as the canonical decimal', () => {
    expect(JSON.stringify({ amount: yuan('1500.5') })).toBe('{"amount":"1500.50"}');
  });
});

describe('人民币大写 (the amount in words on vouchers)', () => {
  it.each([
    ['1500', '壹仟伍佰元整'],
    ['1500.05', '壹仟伍佰元零伍分'],
    ['0.50', '伍角'],
    ['0.05', '伍分'],
    ['0.55', '伍角伍分'],
    ['10000', '壹万元整'],
    ['100100.10', '壹拾万零壹佰元壹角'],
    ['10', '壹拾元整'],
    ['1000001', '壹佰万零壹元整'],
    ['1010', '壹仟零壹拾元整'],
    ['200000000', '贰亿元整'],
    ['0', '零元整'],
    ['-1500', '负壹仟伍佰元整'],
    ['-0.05', '负伍分'],
    // the examples of 《支付结算办法》 annex 1 (where it allows two forms, the second)
    ['1409.50', '壹仟肆佰零玖元伍角'],
    ['6007.14', '陆仟零柒元壹角肆分'],
    ['1680.32', '壹仟陆佰捌拾元叁角贰分'],
    ['107000.53', '壹拾万零柒仟元伍角叁分'],
    ['16409.02', '壹万陆仟肆佰零玖元零贰分'],
    ['325.04', '叁佰贰拾伍元零肆分'],
    // zeros across 万 and 亿, and amounts of 亿 said with 万
    ['100010000', '壹亿零壹万元整'],
    ['100000001', '壹亿零壹元整'],
    ['110000000', '壹亿壹仟万元整'],
    ['1000000000', '壹拾亿元整'],
    ['100000000001', '壹仟亿零壹元整'],
    ['1000000000000', '壹万亿元整'],
    ['1000100000000', '壹万零壹亿元整'],
    ['12345678.90', '壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角'],
    ['20.01', '贰拾元零壹分'],
    ['101', '壹佰零壹元整'],
    ['110', '壹佰壹拾元整'],
  ])('writes ¥%s as %s', (text, words) => {
    expect(yuan(text).toChineseUppercase()).toBe(words);
  });

  it('uses only the voucher characters, writes 零 never twice in a row nor last, and 整 only after 元', () => {
    fc.assert(
      fc.property(anyMoney, (money) => {
        const words = money.toChineseUppercase();
        expect(words).toMatch(/^负?[零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整]+$/);
        if (money.isZero()) return;
        expect(words).not.toMatch(/^负?零|零零|零[万亿元]|零$/);
        expect(words.endsWith('整')).toBe(money.fen % 100n === 0n);
        if (words.endsWith('整')) expect(words).toMatch(/元整$/);
      }),
    );
  });
});

describe('arithmetic', () => {
  it('adds, subtracts, negates and multiplies by an integer exactly', () => {
    expect(yuan('0.10').plus(yuan('0.20')).toString()).toBe('0.30');
    expect(yuan('1500').minus(yuan('1500.01')).toString()).toBe('-0.01');
    expect(yuan('-3.20').negate().toString()).toBe('3.20');
    expect(yuan('33.33').times(3).toString()).toBe('99.99');
    expect(yuan('33.33').times(-3n).toString()).toBe('-99.99');
  });

  it('refuses a result beyond the range instead of wrapping', () => {
    expect(refusal(() => Money.MAX.plus(Money.ofFen(1))).reason).toBe('MONEY_OUT_OF_RANGE');
    expect(refusal(() => Money.MAX.negate().minus(Money.ofFen(1))).reason).toBe('MONEY_OUT_OF_RANGE');
    expect(refusal(() => Money.MAX.times(2)).reason).toBe('MONEY_OUT_OF_RANGE');
    expect(Money.MAX.negate().negate().equals(Money.MAX)).toBe(true);
  });

  it('refuses a factor that is not an integer', () => {
    expect(refusal(() => yuan('1').times(1.5)).reason).toBe('INVALID_FACTOR');
  });

  it('compares, and tells zero and negative amounts', () => {
    const sorted = [yuan('3'), yuan('-1'), yuan('0'), yuan('2.5')].sort((a, b) => a.compare(b));
    expect(strings(sorted)).toEqual(['-1.00', '0.00', '2.50', '3.00']);
    expect(yuan('1').compare(yuan('1.00'))).toBe(0);
    expect(yuan('-0').isZero()).toBe(true);
    expect(yuan('-0.01').isNegative()).toBe(true);
    expect(yuan('0').isNegative()).toBe(false);
    expect(yuan('0.01').isPositive()).toBe(true);
  });

  it('adds and subtracts as integers do, refusing what leaves the range (property)', () => {
    fc.assert(
      fc.property(anyMoney, anyMoney, (a, b) => {
        const sum = a.fen + b.fen;
        if (sum > MAX_FEN || sum < -MAX_FEN) expect(() => a.plus(b)).toThrow(InvalidInputError);
        else expect(a.plus(b).minus(b).equals(a)).toBe(true);
        expect(a.negate().negate().equals(a)).toBe(true);
        expect(a.compare(b) + b.compare(a)).toBe(0);
      }),
    );
  });
});

describe('percentages and ratios', () => {
  it.each([
    // 0.5 fen and more goes up, on the magnitude (四舍五入)
    ['0.05', '10', '0.01'], // 0.5 fen
    ['0.04', '10', '0.00'], // 0.4 fen
    ['-0.05', '10', '-0.01'], // −0.5 fen goes away from zero too
    ['-0.04', '10', '0.00'],
    ['1500', '12.5', '187.50'],
    ['100', '0.35', '0.35'],
    ['333.33', '33.333', '111.11'], // 11110.8889 fen
    ['0.01', '50', '0.01'], // 0.5 fen
    ['1500', '-3', '-45.00'],
  ])('takes ¥%s × %s%% as ¥%s, half up', (amount, rate, expected) => {
    expect(yuan(amount).percent(rate).toString()).toBe(expected);
  });

  it('rounds down or up when told', () => {
    expect(yuan('0.09').percent(10, 'DOWN').toString()).toBe('0.00');
    expect(yuan('0.01').percent(10, 'UP').toString()).toBe('0.01');
    expect(yuan('-0.01').percent(10, 'UP').toString()).toBe('-0.01');
    expect(yuan('-0.09').ratio(1, 10, 'DOWN').toString()).toBe('0.00');
  });

  it('takes a ratio with the sign of its denominator, and refuses a zero denominator or a float', () => {
    expect(yuan('100').ratio(1, 3).toString()).toBe('33.33');
    expect(yuan('100').ratio(2, 3).toString()).toBe('66.67');
    expect(yuan('100').ratio(1, -3).toString()).toBe('-33.33');
    expect(refusal(() => yuan('100').ratio(1, 0)).reason).toBe('INVALID_RATIO');
    expect(refusal(() => yuan('100').percent(12.5)).reason).toBe('INVALID_RATIO');
    for (const rate of ['1e2', '', '12,5', ' 3', 'NaN']) {
      expect(refusal(() => yuan('100').percent(rate)).reason).toBe('INVALID_RATIO');
    }
  });

  it('rounds half up: the result is the nearest fen, a tie going away from zero (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
        fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n }),
        fc.bigInt({ min: 1n, max: 10n ** 6n }),
        (fen, numerator, denominator) => {
          const result = Money.ofFen(fen).ratio(numerator, denominator).fen;
          // |result × d − fen × n| ≤ d/2, and exactly d/2 only when the result is the one farther from zero
          const exact = fen * numerator;
          const error = result * denominator - exact;
          const absError = error < 0n ? -error : error;
          expect(2n * absError <= denominator).toBe(true);
          if (2n * absError === denominator) {
            const abs = (x: bigint) => (x < 0n ? -x : x);
            expect(abs(result * denominator) > abs(exact)).toBe(true);
          }
        },
      ),
    );
  });
});

describe('allocation without losing a fen', () => {
  it.each([
    ['100', [1, 1, 1], ['33.34', '33.33', '33.33']],
    ['-100', [1, 1, 1], ['-33.34', '-33.33', '-33.33']],
    ['0.05', [1, 1, 1], ['0.02', '0.02', '0.01']],
    ['0.02', [1, 1, 1], ['0.01', '0.01', '0.00']],
    ['100', [0, 1, 0, 1], ['0.00', '50.00', '0.00', '50.00']],
    ['100', [7], ['100.00']],
    ['0', [1, 2], ['0.00', '0.00']],
    ['1000', [50, 30, 20], ['500.00', '300.00', '200.00']],
    // remainders 0.4, 0.7, 0.9 fen (over 10): the two leftover fen go to the two largest remainders
    ['0.20', [3, 3, 4], ['0.06', '0.06', '0.08']],
    ['0.10', [1, 2, 3, 4], ['0.01', '0.02', '0.03', '0.04']],
    ['0.03', [1, 1, 1, 1, 1], ['0.01', '0.01', '0.01', '0.00', '0.00']],
  ])('allocates ¥%s by %p as %p', (amount, weights, expected) => {
    expect(strings(yuan(amount).allocate(weights))).toEqual(expected);
  });

  it('gives a leftover fen to the largest remainder, whatever its place', () => {
    // exact shares 1.2, 1.8 and 1 fen: the 0.8 remainder wins over the earlier 0.2
    expect(strings(Money.ofFen(4).allocate([6, 9, 5]))).toEqual(['0.01', '0.02', '0.01']);
  });

  it('splits into equal parts, the larger ones first', () => {
    expect(strings(yuan('100').split(3))).toEqual(['33.34', '33.33', '33.33']);
    expect(refusal(() => yuan('100').split(0)).reason).toBe('INVALID_ALLOCATION');
  });

  it.each([
    ['no weights', []],
    ['only zero weights', [0, 0]],
    ['a negative weight', [1, -1, 2]],
    ['a fractional weight', [0.5, 0.5]],
  ])('refuses %s', (_, weights) => {
    expect(refusal(() => yuan('100').allocate(weights)).reason).toBe('INVALID_ALLOCATION');
  });

  const weights = fc.array(
    fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: 10n ** 18n })),
    {
      minLength: 1,
      maxLength: 12,
    },
  );
  const allocation = fc
    .tuple(anyMoney, weights)
    .filter(([, ws]) => ws.some((w) => w > 0n))
    .map(([money, ws]) => ({ money, ws, parts: money.allocate(ws) }));

  it('adds the parts up to the total exactly, each within one fen of its exact share (property)', () => {
    fc.assert(
      fc.property(allocation, ({ money, ws, parts }) => {
        expect(parts).toHaveLength(ws.length);
        expect(parts.reduce((a, b) => a.plus(b), Money.ZERO).equals(money)).toBe(true);
        const sum = ws.reduce((a, b) => a + b, 0n);
        parts.forEach((part, i) => {
          // |part − total × w / sum| < 1 fen  ⇔  |part × sum − total × w| < sum
          const error = part.fen * sum - money.fen * ws[i];
          expect((error < 0n ? -error : error) < sum).toBe(true);
          if (ws[i] === 0n) expect(part.isZero()).toBe(true);
          if (!part.isZero()) expect(part.isNegative()).toBe(money.isNegative());
        });
      }),
    );
  });

  it('is deterministic and follows the order of the weights (property)', () => {
    fc.assert(
      fc.property(allocation, fc.nat(), ({ money, ws, parts }, seed) => {
        expect(strings(money.allocate([...ws]))).toEqual(strings(parts));
        // moving the weights moves their parts along with them when no two remainders tie
        const rotation = seed % ws.length;
        const rotated = [...ws.slice(rotation), ...ws.slice(0, rotation)];
        const sum = ws.reduce((a, b) => a + b, 0n);
        const remainders = ws.map((w) => ((money.fen < 0n ? -money.fen : money.fen) * w) % sum);
        if (new Set(remainders.filter((r) => r > 0n)).size === remainders.filter((r) => r > 0n).length) {
          const expected = [...parts.slice(rotation), ...parts.slice(0, rotation)];
          expect(strings(money.allocate(rotated))).toEqual(strings(expected));
        }
        // negating the total negates every part
        expect(strings(money.negate().allocate(ws))).toEqual(strings(parts.map((p) => p.negate())));
      }),
    );
  });
});

describe('round trips (properties)', () => {
  it('parses back every amount it formats', () => {
    fc.assert(
      fc.property(anyMoney, (money) => {
        expect(Money.parse(money.toString()).equals(money)).toBe(true);
        expect(Money.ofFen(money.fen.toString()).equals(money)).toBe(true);
      }),
    );
  });

  it('formats whatever it parses canonically: the same amount, exactly 2 decimals, no -0', () => {
    const decimal = fc
      .tuple(
        fc.boolean(),
        fc.bigInt({ min: 0n, max: MAX_FEN / 100n - 1n }),
        fc.constantFrom('', '.0', '.5', '.05', '.50', '.99', '.00', '.1'),
      )
      .map(([negative, whole, decimals]) => `${negative ? '-' : ''}${whole}${decimals}`);
    fc.assert(
      fc.property(decimal, (text) => {
        const canonical = Money.parse(text).toString();
        expect(canonical).toMatch(/^-?(0|[1-9][0-9]*)\.[0-9]{2}$/);
        expect(canonical).not.toBe('-0.00');
        expect(Money.parse(canonical).toString()).toBe(canonical);
        expect(Number(canonical)).toBeCloseTo(Number(text), 2);
      }),
    );
  });

  it('refuses any string that is not a plain decimal with at most 2 decimals', () => {
    const plain = /^-?(0|[1-9][0-9]*)(\.[0-9]{1,2})?$/;
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (text) => {
        fc.pre(!plain.test(text));
        expect(() => Money.parse(text)).toThrow(InvalidInputError);
      }),
    );
  });
});
