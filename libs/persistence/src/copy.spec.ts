import { copyField, copyText, textArrayLiteral } from './copy';

describe('COPY text format', () => {
  it('writes NULL as \\N and escapes backslash, tab, newline and carriage return', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField(undefined)).toBe('\\N');
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField('\\N')).toBe('\\\\N'); // the text "\N", not NULL
    expect(copyField('张三')).toBe('张三');
  });

  it('writes numbers, booleans, dates, bytes and JSON', () => {
    expect(copyField(42)).toBe('42');
    expect(copyField(10n)).toBe('10');
    expect(copyField(true)).toBe('t');
    expect(copyField(false)).toBe('f');
    expect(copyField(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02T03:04:05.006Z');
    expect(copyField(Uint8Array.of(0, 9, 10, 92, 255))).toBe('\\\\x00090a5cff');
    expect(copyField({ note: 'tab\there', n: 1 })).toBe('{"note":"tab\\\\there","n":1}');
  });

  it('writes a text[] literal with every element quoted, quotes and backslashes escaped', () => {
    expect(textArrayLiteral([])).toBe('{}');
    expect(textArrayLiteral(['张', 'z,s', '{x}', 'a"b', 'c\\d'])).toBe('{"张","z,s","{x}","a\\"b","c\\\\d"}');
    expect(copyField(textArrayLiteral(['c\\d']))).toBe('{"c\\\\\\\\d"}');
  });

  it('joins a row with tabs, ends it with a newline, and refuses a row of the wrong width', () => {
    const text = Buffer.concat([...copyText([['a', null, 1]], 3)]).toString('utf8');
    expect(text).toBe('a\t\\N\t1\n');
    expect(() => [...copyText([['a', 'b']], 3)]).toThrow(/2 values for 3 columns/);
  });

  it('hands large inputs over in chunks of whole rows', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => [i, 'x'.repeat(100)]);
    const chunks = [...copyText(rows, 2)];
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(chunk.at(-1)).toBe(0x0a);
    expect(chunks.reduce((lines, c) => lines + c.toString('utf8').split('\n').length - 1, 0)).toBe(20_000);
  });
});
