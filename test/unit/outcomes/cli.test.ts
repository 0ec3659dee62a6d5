import { describe, expect, it } from 'vitest';
import { formatReport, parseLoadOutcomesArgs, UsageError } from '../../../workloads/outcomes/main.ts';

describe('load-outcomes command line', () => {
  it('needs --file; the source defaults to its base name', () => {
    expect(parseLoadOutcomesArgs(['--file', '/data/perf/outcomes-2026-11.csv'])).toEqual({
      file: '/data/perf/outcomes-2026-11.csv',
      dryRun: false,
      source: 'outcomes-2026-11.csv',
      json: false,
    });
    expect(
      parseLoadOutcomesArgs(['--file', 'a.csv', '--dry-run', '--json', '--source', 'bureau']),
    ).toMatchObject({
      dryRun: true,
      json: true,
      source: 'bureau',
    });
    expect(() => parseLoadOutcomesArgs([])).toThrow(UsageError);
    expect(() => parseLoadOutcomesArgs(['--file', 'a.csv', '--skip-bad'])).toThrow(UsageError);
  });

  it('reports counts, and says nothing was written when a line was bad', () => {
    const base = {
      sourceFile: 'o.csv',
      rowsRead: 10,
      valid: 10,
      rejected: 0,
      inserted: 7,
      updated: 1,
      unchanged: 2,
      written: true,
      dryRun: false,
      errors: [],
    };
    expect(formatReport(base)).toBe(
      'o.csv: 10 rows read, 10 valid, 0 rejected; 7 inserted, 1 updated, 2 unchanged',
    );
    expect(formatReport({ ...base, dryRun: true, written: false })).toMatch(
      /dry run, would write: 7 inserted/,
    );
    expect(formatReport({ ...base, valid: 9, rejected: 1, written: false })).toMatch(
      /1 rejected; nothing written/,
    );
  });
});
