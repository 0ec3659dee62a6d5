import { describe, expect, it } from 'vitest';
import { eventTimes, parseTime } from '../../../workloads/fraud-detector/core/event-time.ts';

/** Date.parse and parseTime agree, NaN included. */
function same(s: string): void {
  const want = Date.parse(s);
  const got = parseTime(s);
  if (Number.isNaN(want)) expect(got, s).toBeNaN();
  else expect(got, s).toBe(want);
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

describe('parseTime', () => {
  it('places a leap second (:60, valid RFC 3339 that Date.parse refuses) at the instant after :59', () => {
    expect(parseTime('2026-12-31T23:59:60Z')).toBe(Date.parse('2027-01-01T00:00:00Z'));
    expect(parseTime('2026-12-31T23:59:60.500Z')).toBe(Date.parse('2027-01-01T00:00:00.500Z'));
    expect(parseTime('2026-12-03T10:00:60+02:00')).toBe(Date.parse('2026-12-03T08:01:00Z'));
    expect(parseTime('2026-12-03T23:59:61Z')).toBeNaN();
    expect(parseTime('2026-12-03 23:59:60Z')).toBeNaN();
    // So its application's window time is defined and window rules count it.
    expect(eventTimes('2026-12-03T10:00:60Z', '2026-12-03T10:01:00.000Z')?.window).toBe(
      Date.parse('2026-12-03T10:01:00Z'),
    );
  });

  it('reads what toISOString writes exactly as Date.parse does, across years 0 to 9999', () => {
    // A deterministic walk over ~20,000 instants (LCG), milliseconds included.
    let x = 12345;
    const min = Date.parse('0000-01-01T00:00:00.000Z');
    const max = Date.parse('9999-12-31T23:59:59.999Z');
    for (let i = 0; i < 20_000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const t = min + Math.floor((x / 2 ** 32) * (max - min));
      const iso = new Date(t).toISOString();
      same(iso);
      same(iso.replace(/\.\d{3}Z$/, 'Z'));
    }
  });

  it('agrees with Date.parse on every day of every month around leap years and century rules', () => {
    for (const y of [0, 1, 4, 99, 100, 400, 1600, 1900, 1970, 1999, 2000, 2024, 2025, 2100, 2400, 9999])
      for (let m = 0; m <= 13; m++)
        for (let d = 0; d <= 32; d++) {
          same(`${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T23:59:59.999Z`);
          same(`${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T00:00:00Z`);
        }
  });

  it('agrees with Date.parse on other forms and on what is not a time', () => {
    for (const s of [
      '2026-12-03T10:00:00+02:00',
      '2026-12-03T10:00:00.1Z',
      '2026-12-03T10:00:00.123456Z',
      '2026-12-03T24:00:00.000Z',
      '2026-12-03T23:60:00.000Z',
      '2026-12-03t10:00:00.000Z',
      '2026-12-03T10:00:00.000z',
      '2026-12-03 10:00:00.000Z',
      '2026-1a-03T10:00:00.000Z',
      '2026-12-03T10:0a:00.000Z',
      '2026-12-03T10:00:00.0a0Z',
      '+02026-12-03T10:00:00.000Z',
      '2026-12-03',
      '2026-12-03T10:00:00.000',
      'Thu Dec 03 2026',
      '',
      'not a time at all, 24 ch',
    ])
      same(s);
  });

  it('is what eventTimes reads both times with', () => {
    expect(eventTimes('2026-12-03T10:00:00.000Z', '2026-12-03T09:00:00+00:00')).toEqual({
      submitted: Date.parse('2026-12-03T10:00:00.000Z'),
      received: Date.parse('2026-12-03T09:00:00Z'),
      window: Date.parse('2026-12-03T09:00:00Z'),
    });
    expect(eventTimes('not a time', undefined)).toBeUndefined();
  });
});
