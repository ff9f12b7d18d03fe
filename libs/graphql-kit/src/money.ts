import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { InvalidInputError, Money } from '@unionfed/domain-kit';
import { RefusedLiteral } from './inputs';

/**
 * `scalar Money`: an amount in yuan as a decimal string with exactly 2 decimals ("1500.00"), the domain's
 * `Money` (integer fen) on the server side. Input is a string only: a JSON number is refused, because a float has
 * already lost fen by the time it arrives (1500.1 is 1500.09999…), and so is anything `Money.parse` refuses (more
 * than 2 decimals, exponents, separators, ¥) — BAD_USER_INPUT, reason INVALID_MONEY, never echoing the value.
 */

function refused(): never {
  throw new GraphQLError('A Money is a string in yuan with at most 2 decimals, such as "12.50"', {
    extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_MONEY' },
  });
}

function moneyOf(value: unknown): Money {
  if (typeof value !== 'string') refused();
  try {
    return Money.parse(value, 'money');
  } catch (error) {
    if (error instanceof InvalidInputError) refused();
    throw error;
  }
}

export const MoneyScalar = new GraphQLScalarType<Money, string>({
  name: 'Money',
  description:
    'An amount in yuan, a decimal string with 2 decimals such as "1500.00" (stored as integer fen)',
  // only a Money goes out: a bare number or string could be fen or yuan, and guessing is how ¥15 becomes ¥1,500
  serialize: (value) => {
    if (value instanceof Money) return value.toString();
    throw new TypeError('a Money field must resolve to a Money (from @unionfed/domain-kit)');
  },
  parseValue: moneyOf,
  // a refused literal is refused with the arguments (inputs.ts RefusedLiteral): BAD_USER_INPUT naming the field
  parseLiteral: (ast) => {
    try {
      return ast.kind === Kind.STRING ? moneyOf(ast.value) : refused();
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      return new RefusedLiteral(
        'INVALID_MONEY',
        'must be an amount in yuan with at most 2 decimals, as a string such as "12.50"',
      ) as unknown as Money;
    }
  },
});
