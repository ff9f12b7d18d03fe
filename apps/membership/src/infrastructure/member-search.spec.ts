import { initialsVariants, nameSearchCondition, nameSearchKeys } from './member-search';

describe('the roster’s name search keys', () => {
  it('keeps the name’s characters and every prefix of its pinyin initials', () => {
    expect(nameSearchKeys('张三')).toEqual({ characters: ['张', '三'], initials: ['z', 'zs'] });
    expect(nameSearchKeys('张三丰').initials).toEqual(['z', 'zs', 'zsf']);
  });

  it('spells characters with several readings every way, the surname reading first', () => {
    expect(initialsVariants('单田芳')[0]).toBe('stf'); // 单 as a surname: shàn
    expect(initialsVariants('单田芳')).toEqual(expect.arrayContaining(['stf', 'dtf', 'ctf']));
    expect(initialsVariants('曾国藩')).toEqual(expect.arrayContaining(['zgf', 'cgf']));
    expect(nameSearchKeys('乐嘉').initials).toEqual(expect.arrayContaining(['y', 'yj', 'l', 'lj']));
  });

  it('gives initials of Han characters only, and keeps other characters as the name’s', () => {
    expect(initialsVariants('Anna')).toEqual([]);
    expect(nameSearchKeys('Anna Li')).toEqual({ characters: ['a', 'n', 'l', 'i'], initials: [] });
    expect(initialsVariants('买买提·艾力')[0]).toBe('mmtal');
  });

  it('keeps a bounded number of spellings however many readings a name has', () => {
    expect(initialsVariants('行长乐重单曾').length).toBeLessThanOrEqual(16);
  });
});

describe('the roster’s search condition', () => {
  it('matches part of the name, its LIKE wildcards taken literally', () => {
    const params: unknown[] = [];
    expect(nameSearchCondition('5%_', params)).toBe('(m.name_characters @> $1::text[] AND m.name ILIKE $2)');
    expect(params).toEqual([['5', '%', '_'], '%5\\%\\_%']);
  });

  it('matches the initials too for a term of Latin letters, in lower case', () => {
    const params: unknown[] = ['x'];
    expect(nameSearchCondition('ZS', params)).toBe(
      '((m.name_characters @> $2::text[] AND m.name ILIKE $3) OR m.name_initials @> ARRAY[$4]::text[])',
    );
    expect(params.slice(1)).toEqual([['z', 's'], '%ZS%', 'zs']);
  });
});
