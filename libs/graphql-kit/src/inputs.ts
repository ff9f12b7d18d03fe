import {
  GraphQLError,
  GraphQLScalarType,
  Kind,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { InvalidInputError, parseIsoDate } from '@unionfed/domain-kit';

/**
 * The checks every argument of every field gets before a resolver sees it, in one place for every subgraph (and
 * the gateway's identity subgraph), so that no operation has to remember them:
 * - a string carries no control characters (C0 other than tab, line feed and carriage return, DEL, C1) and no
 *   lone surrogate (half a character, which JSON can carry and UTF-8 cannot): a NUL would reach PostgreSQL, which
 *   refuses it, and the others have no business in a name or a title;
 * - an `ID` is a UUID or, for the few records numbered by the database (dead letters), a positive integer;
 *   never empty, never padded;
 * - a `Date` (the scalar below) is a real calendar day, exactly `YYYY-MM-DD`;
 * - a literal its scalar refused (`RefusedLiteral`: a Date or a Money written as a number, a bad Money) is refused.
 * Each refusal is BAD_USER_INPUT with `field` (the input field's own name, as the domain's errors have it) and
 * `argument` (its path, `input.name`), never the value.
 */

const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SERIAL = /^[1-9][0-9]{0,18}$/;

/**
 * A literal in the document that its scalar refuses (a Date or Money written as a number, a Money with three
 * decimals). Its scalar's `parseLiteral` answers this instead of throwing: a throw there is a validation error,
 * which Apollo answers as GRAPHQL_VALIDATION_FAILED with HTTP 400 — what the gateway can only relay as an internal
 * error. The argument checks below refuse it as BAD_USER_INPUT naming the field, as they refuse variables.
 */
export class RefusedLiteral {
  constructor(
    readonly reason: string,
    /** what the value must be, after the argument's path: "must be a date YYYY-MM-DD" */
    readonly message: string,
  ) {}
}

function invalid(path: string, reason: string, message: string): never {
  const field =
    path
      .replace(/\[\d+\]$/, '')
      .split('.')
      .pop() ?? path;
  throw new InvalidInputError(`${path} ${message}`, reason, { field, argument: path });
}

/** Whether an input type can hold a string or an id anywhere below it (else its arguments need no walk). */
function holdsText(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (isScalarType(named)) return ['String', 'ID', 'Date', 'Money'].includes(named.name);
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((field) => holdsText(field.type, seen));
}

function checkValue(type: GraphQLInputType, value: unknown, path: string): void {
  if (value === null || value === undefined) return;
  if (value instanceof RefusedLiteral) invalid(path, value.reason, value.message);
  if (isNonNullType(type)) return checkValue(type.ofType, value, path);
  if (isListType(type)) {
    if (Array.isArray(value)) value.forEach((item, i) => checkValue(type.ofType, item, `${path}[${i}]`));
    return;
  }
  if (isEnumType(type)) return;
  if (isInputObjectType(type)) {
    const fields = type.getFields();
    for (const [name, field] of Object.entries(fields))
      checkValue(field.type, (value as Record<string, unknown>)[name], `${path}.${name}`);
    return;
  }
  if (typeof value !== 'string') return;
  if (CONTROL_CHARACTERS.test(value) || LONE_SURROGATE.test(value))
    invalid(path, 'CONTROL_CHARACTERS', 'contains control characters (e.g. NUL); remove them');
  if (type.name === 'ID' && !UUID.test(value) && !SERIAL.test(value))
    invalid(path, 'INVALID_ID', 'is not an id');
  if (type.name === 'Date' && !isDay(value)) invalid(path, 'INVALID_DATE', 'must be a date YYYY-MM-DD');
}

/** Checks the (coerced) arguments of one field call; throws InvalidInputError (BAD_USER_INPUT). */
export function checkArguments(args: readonly GraphQLArgument[], values: Record<string, unknown>): void {
  for (const arg of args) checkValue(arg.type, values[arg.name], arg.name);
}

/**
 * Installs `checkArguments` in front of every resolver whose field takes a string or an id, on every object
 * type (root fields, entity fields, nested fields with arguments). Mutates and returns the schema.
 */
export function checkInputs(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      // federation's own arguments (_entities' representations) are the gateway's, checked by the resolvers
      if (field.name === '_entities' || !field.args.some((arg) => holdsText(arg.type))) continue;
      const resolve = field.resolve;
      if (!resolve) continue;
      const args = field.args;
      field.resolve = (source, values, context, info) => {
        checkArguments(args, values);
        return resolve(source, values, context, info);
      };
    }
  }
  return schema;
}

function isDay(value: string): boolean {
  try {
    return parseIsoDate(value, 'date') === value;
  } catch {
    return false;
  }
}

function dateString(value: unknown): string {
  if (typeof value === 'string') return value;
  throw new GraphQLError('A Date is a string YYYY-MM-DD', { extensions: { code: 'BAD_USER_INPUT' } });
}

/**
 * `scalar Date`: a calendar day, `YYYY-MM-DD` (no time, no zone). Parsing takes strings only; whether the string
 * is a real day is checked with the other arguments (checkArguments), where the refusal can name the field.
 */
export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'A calendar day, YYYY-MM-DD',
  serialize: (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value)),
  parseValue: dateString,
  parseLiteral: (ast) =>
    ast.kind === Kind.STRING ? ast.value : new RefusedLiteral('INVALID_DATE', 'must be a date YYYY-MM-DD'),
});
