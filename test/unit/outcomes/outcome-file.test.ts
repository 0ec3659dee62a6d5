import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../workloads/outcomes/csv.ts';
import { calendarDate, checkOutcomeFile } from '../../../workloads/outcomes/outcome-file.ts';

const TODAY = '2026-12-03';
const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const check = (text: string) => checkOutcomeFile(text, { today: TODAY });

describe('CSV reader', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF, a BOM, and skips blank lines', () => {
    const { records, problems } = parseCsv('\ufeffa,b\r\n"x,1","say ""hi"""\r\n\r\n"multi\nline",z\n');
    expect(problems).toEqual([]);
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x,1', 'say "hi"'] },
      { line: 4, fields: ['multi\nline', 'z'] },
    ]);
  });

  it('names the line of a quote problem', () => {
    expect(parseCsv('a,b\nx"y,1\n"open,2\n').problems).toEqual([
      { line: 2, reason: 'a quote inside an unquoted field' },
      { line: 3, reason: 'a quoted field is not closed before the end of the file' },
    ]);
    expect(parseCsv('a\n"x"y\n').problems[0]?.line).toBe(2);
  });
});

describe('outcomes file', () => {
  it('accepts the columns in any order, normalises ids and outcomes', () => {
    const r = check(
      `horizon_months,observed_date,outcome,application_id\n12,2026-11-30,Defaulted,${A.toUpperCase()}\n24,2026-12-03,repaid,${A}\n`,
    );
    expect(r.errors).toEqual([]);
    expect(r.rowsRead).toBe(2);
    expect(r.outcomes).toEqual([
      { line: 2, applicationId: A, outcome: 'defaulted', horizonMonths: 12, observedDate: '2026-11-30' },
      { line: 3, applicationId: A, outcome: 'repaid', horizonMonths: 24, observedDate: '2026-12-03' },
    ]);
  });

  it('reports every bad line with its reason and keeps the good ones apart', () => {
    const text = [
      'application_id,outcome,horizon_months,observed_date',
      `${A},defaulted,12,2026-11-30`,
      'not-a-uuid,defaulted,12,2026-11-30',
      `${B},late,12,2026-11-30`,
      `${B},repaid,0,2026-11-30`,
      `${B},repaid,12.5,2026-11-30`,
      `${B},repaid,12,2026-02-30`,
      `${B},repaid,12,30/11/2026`,
      `${B},repaid,12,2026-12-04`,
      `${B},repaid,12,1999-12-31`,
      `${B},repaid,12`,
      `${A},repaid,12,2026-11-30`,
      `${B},repaid,121,2026-11-30`,
      'x"y,repaid,12,2026-11-30',
    ].join('\n');
    const r = check(text);
    expect(r.rowsRead).toBe(13);
    expect(r.outcomes.map((o) => o.line)).toEqual([2]);
    const byLine = Object.fromEntries(r.errors.map((e) => [e.line, e.reason]));
    expect(Object.keys(byLine).map(Number)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(byLine[3]).toMatch(/application_id "not-a-uuid" is not a UUID/);
    expect(byLine[4]).toMatch(/outcome "late" is not one of defaulted, repaid/);
    expect(byLine[5]).toMatch(/horizon_months "0" is not a whole number of months from 1 to 120/);
    expect(byLine[6]).toMatch(/horizon_months "12.5"/);
    expect(byLine[7]).toMatch(/observed_date "2026-02-30" is not a date/);
    expect(byLine[8]).toMatch(/observed_date "30\/11\/2026" is not a date/);
    expect(byLine[9]).toMatch(/observed_date 2026-12-04 is in the future \(today is 2026-12-03\)/);
    expect(byLine[10]).toMatch(/before 2000-01-01/);
    expect(byLine[11]).toBe('expected 4 fields, found 3');
    expect(byLine[12]).toBe(`application ${A} already has a 12-month outcome on line 2`);
    expect(byLine[13]).toMatch(/horizon_months "121"/);
    expect(byLine[14]).toMatch(/not valid CSV: a quote inside an unquoted field/);
  });

  it('names several problems of one line together', () => {
    const r = check('application_id,outcome,horizon_months,observed_date\nnope,maybe,-1,yesterday\n');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]?.reason.split('; ')).toHaveLength(4);
  });

  it('rejects a missing, unknown or repeated header column, and an empty file', () => {
    expect(check('').errors).toEqual([
      { line: 1, reason: expect.stringMatching(/^no header/) as unknown as string },
    ]);
    const missing = check(`application_id,outcome,observed_date\n${A},repaid,2026-11-30\n`);
    expect(missing.errors[0]).toMatchObject({
      line: 1,
      reason: expect.stringMatching(/missing column horizon_months/),
    });
    expect(missing.outcomes).toEqual([]);
    expect(missing.rowsRead).toBe(1);
    expect(check('application_id,outcome,horizon_months,observed_date,extra\n').errors[0]?.reason).toMatch(
      /unknown column "extra"/,
    );
    expect(check('application_id,outcome,outcome,horizon_months,observed_date\n').errors[0]?.reason).toMatch(
      /column outcome appears twice/,
    );
  });

  it('knows real calendar days', () => {
    expect(calendarDate('2028-02-29')).toBe('2028-02-29');
    expect(calendarDate('2027-02-29')).toBeNull();
    expect(calendarDate('2026-13-01')).toBeNull();
    expect(calendarDate('2026-1-01')).toBeNull();
  });
});
