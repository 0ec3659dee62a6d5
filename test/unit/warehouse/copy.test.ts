import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CopyText, copyField, copyLine, json } from '../../../workloads/warehouse/copy.ts';

describe('COPY text encoding', () => {
  it('writes NULL as \\N and escapes backslash, tab, newline and carriage return', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField(undefined)).toBe('\\N');
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyField('\\N')).toBe('\\\\N'); // the text "\N" is not NULL
  });

  it('writes numbers, booleans and string arrays as PostgreSQL literals', () => {
    expect(copyField(12.5)).toBe('12.5');
    expect(copyField(true)).toBe('t');
    expect(copyField(['C01', 'a"b', 'c\\d'])).toBe('{"C01","a\\\\"b","c\\\\\\\\d"}');
    expect(copyField([])).toBe('{}');
    expect(() => copyField(Number.NaN)).toThrow(/non-finite/);
  });

  it('writes any string array as the array literal, escaped, however often its elements recur', () => {
    // The literal as copyField wrote it before elements were cached: quoted, \ and " escaped, then
    // the whole field text-escaped.
    const literal = (xs: readonly string[]) =>
      `{${xs.map((x) => `"${x.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`.replace(
        /[\\\n\r\t]/g,
        (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] as string,
      );
    const element = fc.oneof(fc.string(), fc.constantFrom('R01', 'a\\b', '"', 't\tn\nr\r', ','));
    fc.assert(
      fc.property(fc.array(fc.array(element, { maxLength: 5 }), { maxLength: 5 }), (arrays) => {
        for (const xs of [...arrays, ...arrays]) expect(copyField(xs)).toBe(literal(xs));
      }),
      { numRuns: 300 },
    );
  });

  it('writes json() values, arrays included, as JSON text', () => {
    expect(copyField(json([{ path: '/a', message: 'x\ty' }]))).toBe('[{"path":"/a","message":"x\\\\ty"}]');
    expect(copyField(json({}))).toBe('{}');
    expect(copyLine(['a', null, 1])).toBe('a\t\\N\t1\n');
  });

  it('CopyText holds the same text as the rows line by line (UTF-8), in pieces of about 64 KB', () => {
    const text = new CopyText('t', ['a', 'b', 'c']);
    const rows = Array.from({ length: 3000 }, (_, i) => [
      `id-${i}\twith tab, é and 😀`,
      i,
      json({ i, s: 'x'.repeat(40) }),
    ]);
    for (const r of rows) text.add(r);
    text.addLine(`${'long '.repeat(20_000)}\t1\t{}\n`); // a line longer than a piece
    text.add(['after', 2, json(null)]);
    const pieces = text.pieces();
    expect(text.rows).toBe(3002);
    const lines = [...rows.map((r) => copyLine(r)), `${'long '.repeat(20_000)}\t1\t{}\n`, 'after\t2\tnull\n'];
    expect(Buffer.concat(pieces).toString('utf8')).toBe(lines.join(''));
    expect(pieces.length).toBeGreaterThan(3);
    const longest = Math.max(...rows.map((r) => Buffer.byteLength(copyLine(r))));
    for (const p of pieces) expect(p.at(-1)).toBe(0x0a); // a piece never splits a row
    for (const p of pieces.slice(0, -3)) {
      expect(p.length).toBeLessThanOrEqual(64 * 1024);
      expect(p.length).toBeGreaterThan(64 * 1024 - 3 * longest);
    }
    expect(() => text.add(['only one'])).toThrow(/COPY t: row has 1 values for 3 columns/);
  });
});
