import { describe, expect, it } from 'vitest';
import { CRON_PATTERN, DURATION_PATTERN } from '../../../api/v1alpha1.ts';
import { parseDuration } from '../../../cdk8s/duration.ts';

// The CRD's CEL rules use these patterns with RE2; the constructs below use JavaScript regexes.
// Both agree on this subset (no look-around, no back-references).
const cron = new RegExp(CRON_PATTERN);
const duration = new RegExp(DURATION_PATTERN);

describe('cron schedule pattern', () => {
  it.each([
    '*/15 * * * *',
    '0 2 * * *',
    '0,30 8-18 * * 1-5',
    '5 4 1 1 0',
    '0 0 1 JAN MON',
    '0 0 * * MON-FRI',
    '@hourly',
    '@daily',
    '@weekly',
  ])('accepts %s', (s) => expect(cron.test(s)).toBe(true));

  it.each([
    '* * *',
    '* * * * * *',
    'every day',
    '*/15  * * * *',
    '@often',
    '',
    '0 0 * * MONDAY',
    '1-2-3 * * * *',
  ])('rejects %s', (s) => expect(cron.test(s)).toBe(false));
});

describe('durations', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['168h', 604_800_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
  ])('%s is %i ms, and the CRD pattern accepts it', (text, ms) => {
    expect(duration.test(text)).toBe(true);
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'forever', '1d', '5 m', 'm5', '1h 30m'])('rejects %j in both', (text) => {
    expect(duration.test(text)).toBe(false);
    expect(() => parseDuration(text)).toThrow(/invalid duration/);
  });
});
