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
 * surname), dtf and ctf; 曾 by z and c. At most MAX_VARIANTS spellings of initials are kept per name, the likeliest
 * first (the first character read as a surname, then each character's usual reading). Only Han characters have
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

const first = (character: string, options: { surname?: 'head'; multiple?: boolean } = {}): string[] =>
  pinyin(character, { pattern: 'first', toneType: 'none', type: 'array', ...options }).map((s) =>
    s.toLowerCase(),
  );

/**
 * The initials a character can have, the likeliest first: as a surname (the name's first character) pinyin-pro's
 * surname reading, then its usual one, then every other it knows. Cached per character: a roster has a few
 * thousand distinct ones, and asking pinyin-pro for each name would cost an import more than its writes.
 */
const asSurname = new Map<string, string[]>();
const asGiven = new Map<string, string[]>();
function readingsOf(character: string, surname: boolean): string[] {
  const cache = surname ? asSurname : asGiven;
  let found = cache.get(character);
  if (!found) {
    found = [
      ...new Set([
        ...(surname ? first(character, { surname: 'head' }) : []),
        ...first(character),
        ...first(character, { multiple: true }),
      ]),
    ];
    cache.set(character, found);
  }
  return found;
}

/** CJK Unified Ideographs (where nearly every name's characters are) without the regular expression */
const isHan = (character: string) => {
  const code = character.codePointAt(0)!;
  return (code >= 0x4e00 && code <= 0x9fff) || (code > 0x2e7f && HAN.test(character));
};

/** Every spelling of the name's initials, the likeliest first (at most MAX_VARIANTS). */
export function initialsVariants(name: string): string[] {
  let spellings = [''];
  let counted = 0;
  for (const character of name) {
    if (counted === MAX_INITIALS) break;
    if (!isHan(character)) continue;
    const options = readingsOf(character, counted++ === 0);
    if (options.length === 1) {
      for (let i = 0; i < spellings.length; i++) spellings[i] += options[0];
      continue;
    }
    // in order of preference: each kept spelling extended by each reading, the earlier characters' choices first
    const next: string[] = [];
    for (const spelling of spellings) {
      for (const option of options) if (next.length < MAX_VARIANTS) next.push(spelling + option);
    }
    spellings = next;
  }
  return counted === 0 ? [] : spellings;
}

/** The stored search keys of a name. */
export function nameSearchKeys(name: string): NameSearchKeys {
  const characters = new Set<string>();
  for (const character of name.toLowerCase()) if (character.trim() !== '') characters.add(character);
  const variants = initialsVariants(name);
  let initials: string[];
  if (variants.length === 1) {
    const [only] = variants;
    initials = Array.from({ length: only.length }, (_, i) => only.slice(0, i + 1));
  } else {
    const prefixes = new Set<string>();
    for (const variant of variants)
      for (let i = 1; i <= variant.length; i++) prefixes.add(variant.slice(0, i));
    initials = [...prefixes];
  }
  return { characters: [...characters], initials };
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
