import { pinyin } from 'pinyin-pro';

/**
 * The roster's name search, in SQL on two stored columns of `member` (GIN-indexed, written with the name by every
 * path that writes one: admission, import, correction; filled for older rows by migration 1764800000000):
 * - `name_characters`: the name's distinct characters, lower-cased. A term matches a name containing it
 *   (张 → 张三, 三丰 → 张三丰): the index finds the names holding all of the term's characters, `ILIKE` keeps those
 *   holding them in that order. One-character terms (a surname) are served as well as long ones — which a
 *   trigram index would not do — and no extension is needed.
 * - `name_initials`: every prefix of the name's pinyin initials (张三丰 → z, zs, zsf). A term of Latin letters
 *   also matches the start of the initials, in any case (zs, ZS → 张三 and 张三丰).
 * Characters with several readings: every reading pinyin-pro knows counts, so 单田芳 is found by stf (单 as a
 * surname), dtf and ctf; 曾 by z and c. At most MAX_VARIANTS spellings of initials are kept per name (pinyin-pro's
 * reading of the name as a surname and given name, and its context reading, first). Only Han characters have
 * initials; other characters (Latin letters, ·) are found by the name itself.
 */
export interface NameSearchKeys {
  characters: string[];
  initials: string[];
}

const HAN = /\p{Script=Han}/u;
const LATIN_TERM = /^[a-z]+$/i;
/** initials spellings kept per name (each with its prefixes) */
const MAX_VARIANTS = 16;
/** initials beyond this many characters are not indexed (no name search needs more) */
const MAX_INITIALS = 10;

const initialsOf = (text: string, options: { surname?: 'head' } = {}): string[] =>
  pinyin(text, { pattern: 'first', toneType: 'none', type: 'array', ...options }).map((s) => s.toLowerCase());

/** Every spelling of the name's initials, the likeliest first (at most MAX_VARIANTS). */
export function initialsVariants(name: string): string[] {
  const han = [...name].filter((c) => HAN.test(c)).slice(0, MAX_INITIALS);
  if (han.length === 0) return [];
  const text = han.join('');
  const variants = new Set<string>([
    initialsOf(text, { surname: 'head' }).join(''),
    initialsOf(text).join(''),
  ]);
  let spellings = [''];
  for (const character of han) {
    const readings = [...new Set(initialsOf(character).concat(multipleInitials(character)))];
    spellings = spellings.flatMap((s) => readings.map((r) => s + r)).slice(0, MAX_VARIANTS);
  }
  for (const spelling of spellings) {
    if (variants.size >= MAX_VARIANTS) break;
    variants.add(spelling);
  }
  return [...variants];
}

function multipleInitials(character: string): string[] {
  return pinyin(character, { pattern: 'first', toneType: 'none', type: 'array', multiple: true }).map((s) =>
    s.toLowerCase(),
  );
}

/** The stored search keys of a name. */
export function nameSearchKeys(name: string): NameSearchKeys {
  const characters = [...new Set([...name.toLowerCase()].filter((c) => c.trim() !== ''))];
  const initials = new Set<string>();
  for (const variant of initialsVariants(name)) {
    for (let i = 1; i <= variant.length; i++) initials.add(variant.slice(0, i));
  }
  return { characters, initials: [...initials] };
}

/** `LIKE` pattern matching the term anywhere (its own % _ \ taken literally). */
const containing = (term: string) => `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The SQL condition of a search term on `member m` (parameters appended to `params`): the name contains the term,
 * or — for a term of Latin letters — the initials start with it.
 */
export function nameSearchCondition(term: string, params: unknown[]): string {
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const characters = nameSearchKeys(term).characters;
  const byName = `(m.name_characters @> ${param(characters)}::text[] AND m.name ILIKE ${param(containing(term))})`;
  if (!LATIN_TERM.test(term)) return byName;
  return `(${byName} OR m.name_initials @> ARRAY[${param(term.toLowerCase())}]::text[])`;
}
