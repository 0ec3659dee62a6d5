/**
 * The contract's date and timestamp checks, read digit by digit, against the regular expressions they
 * replaced (with the proleptic Gregorian calendar of ISO 8601 as the reference for which days exist):
 * every day of years around each leap rule, every month and day number around the edges, and mutations
 * of valid timestamps (one character replaced, removed or added at each position).
 */
import { describe, expect, it } from 'vitest';
import { isCalendarDate, isRfc3339 } from '../../../workloads/contract/formats.ts';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/i;

function daysIn(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0); // day 0 of the next month: the last day of this one
  return d.getUTCDate();
}

function referenceDate(value: string): boolean {
  const m = DATE.exec(value);
  if (m === null) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo);
}

function referenceTimestamp(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (m === null || !referenceDate(m[1] ?? '')) return false;
  const [h, mi, s] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (h > 23 || mi > 59 || s > 60) return false;
  return m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

describe('isCalendarDate', () => {
  it('accepts exactly the days that exist, around every leap-year rule', () => {
    let checked = 0;
    for (const year of [
      0, 1, 4, 99, 100, 400, 1600, 1700, 1899, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999,
    ])
      for (let month = 0; month <= 13; month++)
        for (let day = 0; day <= 32; day++) {
          const value = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
          expect(isCalendarDate(value), value).toBe(referenceDate(value));
          checked++;
        }
    expect(checked).toBe(17 * 14 * 33);
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('1900-02-29')).toBe(false);
    expect(isCalendarDate('2000-02-29')).toBe(true);
    expect(isCalendarDate('0000-02-29')).toBe(true); // proleptic Gregorian: year 0 is a leap year
  });

  it('refuses what is not YYYY-MM-DD', () => {
    for (const value of [
      '',
      '2024-1-05',
      '2024-01-5',
      '20240105',
      '2024/01/05',
      ' 2024-01-05',
      '2024-01-05 ',
      '2024-01-05T00:00:00Z',
      '２０２４-01-05',
      '2024-0a-05',
      '-2024-01-05',
      '+2024-01-05',
      '2024-01-0５',
    ])
      expect(isCalendarDate(value), value).toBe(false);
  });
});

describe('isRfc3339', () => {
  const valid = [
    '2026-12-03T10:15:30Z',
    '2026-12-03T10:15:30.123Z',
    '2026-12-03t10:15:30.123456789z',
    '2024-02-29T23:59:60+05:30',
    '2026-12-03T00:00:00-23:59',
  ];

  it('agrees with the pattern on valid timestamps and on every one-character mutation of them', () => {
    const alphabet = [
      '0',
      '1',
      '2',
      '3',
      '5',
      '6',
      '9',
      '-',
      '+',
      ':',
      '.',
      'T',
      't',
      'Z',
      'z',
      ' ',
      'x',
      '٣',
    ];
    let checked = 0;
    for (const base of valid) {
      expect(isRfc3339(base), base).toBe(true);
      for (let i = 0; i <= base.length; i++) {
        const variants = [base.slice(0, i) + base.slice(i + 1)];
        for (const c of alphabet)
          variants.push(base.slice(0, i) + c + base.slice(i + 1), base.slice(0, i) + c + base.slice(i));
        for (const v of variants) {
          expect(isRfc3339(v), v).toBe(referenceTimestamp(v));
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(3000);
  });

  it('checks the fields’ ranges and the fraction’s length', () => {
    expect(isRfc3339('2026-12-03T24:00:00Z')).toBe(false);
    expect(isRfc3339('2026-12-03T23:60:00Z')).toBe(false);
    expect(isRfc3339('2026-12-03T23:59:61Z')).toBe(false);
    expect(isRfc3339('2026-12-03T23:59:59+24:00')).toBe(false);
    expect(isRfc3339('2026-12-03T23:59:59+23:60')).toBe(false);
    expect(isRfc3339('2026-12-03T23:59:59.Z')).toBe(false);
    expect(isRfc3339('2026-12-03T23:59:59.1234567890Z')).toBe(false);
    expect(isRfc3339('2026-02-30T00:00:00Z')).toBe(false);
    expect(isRfc3339('2026-12-03T10:15:30')).toBe(false);
  });
});
