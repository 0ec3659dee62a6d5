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

  it('writes json() values, arrays included, as JSON text', () => {
    expect(copyField(json([{ path: '/a', message: 'x\ty' }]))).toBe('[{"path":"/a","message":"x\\\\ty"}]');
    expect(copyField(json({}))).toBe('{}');
    expect(copyLine(['a', null, 1])).toBe('a\t\\N\t1\n');
  });

  it('CopyText holds the same text as the rows line by line, in pieces of about 64 KB', () => {
    const text = new CopyText('t', ['a', 'b', 'c']);
    const rows = Array.from({ length: 3000 }, (_, i) => [
      `id-${i}\twith tab`,
      i,
      json({ i, s: 'x'.repeat(40) }),
    ]);
    for (const r of rows) text.add(r);
    const pieces = text.pieces();
    expect(text.rows).toBe(3000);
    expect(pieces.join('')).toBe(rows.map((r) => copyLine(r)).join(''));
    expect(pieces.length).toBeGreaterThan(1);
    for (const p of pieces) expect(p.endsWith('\n')).toBe(true); // a piece never splits a row
    for (const p of pieces.slice(0, -1)) expect(p.length).toBeGreaterThanOrEqual(64 * 1024);
    expect(() => text.add(['only one'])).toThrow(/COPY t: row has 1 values for 3 columns/);
  });
});
