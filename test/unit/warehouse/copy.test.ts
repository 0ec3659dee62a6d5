import { describe, expect, it } from 'vitest';
import { copyField, copyLine, json } from '../../../workloads/warehouse/copy.ts';

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
});
