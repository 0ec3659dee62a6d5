/**
 * `credit-platform load-outcomes` against the real PostgreSQL: clean files load and reload without
 * change, corrections replace, and a file with any bad line is rejected whole with every bad line
 * named on stderr.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOutcomes } from '../../../workloads/outcomes/load.ts';
import { checkOutcomeFile } from '../../../workloads/outcomes/outcome-file.ts';
import { createPool, type Pool } from '../../../workloads/warehouse/db.ts';
import { createTestDatabase, type TestDatabase } from '../warehouse/support.ts';
import { appId, runCli, seedApplications } from './support.ts';

const HEADER = 'application_id,outcome,horizon_months,observed_date';
const dir = mkdtempSync(join(tmpdir(), 'load-outcomes-'));
let db: TestDatabase;
let pool: Pool;

function csv(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${[HEADER, ...lines].join('\n')}\n`);
  return file;
}

const good = (from: number, to: number, outcomeOf = (i: number) => (i % 4 === 0 ? 'defaulted' : 'repaid')) =>
  Array.from({ length: to - from }, (_, k) => `${appId(from + k)},${outcomeOf(from + k)},12,2026-11-30`);

async function stored(): Promise<
  Array<{ application_id: string; outcome: string; source_file: string; loaded_at: Date }>
> {
  return (
    await pool.query(
      'SELECT application_id::text, outcome, source_file, loaded_at FROM fact_loan_outcome ORDER BY application_id',
    )
  ).rows;
}

beforeAll(async () => {
  db = await createTestDatabase('outcomes_load');
  pool = createPool(db.url);
  await seedApplications(pool, 40);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('load-outcomes', () => {
  it('loads a clean file and reports the counts', async () => {
    const file = csv('first.csv', good(0, 30));
    const r = await runCli('load-outcomes', ['--file', file], { DATABASE_URL: db.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(
      'first.csv: 30 rows read, 30 valid, 0 rejected; 30 inserted, 0 updated, 0 unchanged',
    );
    const rows = await stored();
    expect(rows).toHaveLength(30);
    expect(new Set(rows.map((x) => x.source_file))).toEqual(new Set(['first.csv']));
    expect(rows.filter((x) => x.outcome === 'defaulted')).toHaveLength(8);
  });

  it('is idempotent: loading the same file again changes nothing', async () => {
    const before = await stored();
    const r = await runCli('load-outcomes', ['--file', join(dir, 'first.csv'), '--json'], {
      DATABASE_URL: db.url,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      rowsRead: 30,
      valid: 30,
      rejected: 0,
      inserted: 0,
      updated: 0,
      unchanged: 30,
      written: true,
      errors: [],
    });
    expect(await stored()).toEqual(before);
  });

  it('rejects a file with any bad line whole, naming every bad line and why', async () => {
    const before = await stored();
    const lines = [
      ...good(30, 35),
      'not-a-uuid,repaid,12,2026-11-30',
      `${appId(35)},charged_off,12,2026-11-30`,
      `${appId(36)},repaid,twelve,2026-11-30`,
      `${appId(37)},repaid,12,2026-11-31`,
      `${appId(999)},repaid,12,2026-11-30`,
      `${appId(38)},repaid,12,2020-01-01`,
      `${appId(30)},defaulted,12,2026-11-30`,
      `${appId(39)},repaid`,
    ];
    const file = csv('bad.csv', lines);
    const r = await runCli('load-outcomes', ['--file', file], { DATABASE_URL: db.url });
    expect(r.code).toBe(1);
    const errors = r.stderr.trim().split('\n');
    expect(errors.map((e) => e.split(': ')[0])).toEqual(
      [7, 8, 9, 10, 11, 12, 13, 14].map((line) => `${file}:${line}`),
    );
    expect(errors[0]).toMatch(/application_id "not-a-uuid" is not a UUID/);
    expect(errors[1]).toMatch(/outcome "charged_off" is not one of defaulted, repaid/);
    expect(errors[2]).toMatch(/horizon_months "twelve"/);
    expect(errors[3]).toMatch(/observed_date "2026-11-31" is not a date/);
    expect(errors[4]).toMatch(new RegExp(`application ${appId(999)} is not in the warehouse`));
    expect(errors[5]).toMatch(
      /observed_date 2020-01-01 is before the application was submitted \(2026-10-\d\d\)/,
    );
    expect(errors[6]).toMatch(/already has a 12-month outcome on line 2/);
    expect(errors[7]).toMatch(/expected 4 fields, found 2/);
    expect(r.stdout.trim()).toBe(
      'bad.csv: 13 rows read, 5 valid, 8 rejected; nothing written: fix the lines above and load the file again',
    );
    // All or nothing: the five good lines were not written either.
    expect(await stored()).toEqual(before);
  });

  it('replaces a corrected outcome and adds new ones; a dry run counts the same and writes nothing', async () => {
    const corrected = good(0, 35, (i) => (i === 1 ? 'defaulted' : i % 4 === 0 ? 'defaulted' : 'repaid'));
    const text = `${[HEADER, ...corrected].join('\n')}\n`;
    const checked = checkOutcomeFile(text, { today: '2026-12-03' });
    const before = await stored();
    const dry = await loadOutcomes(pool, checked, { sourceFile: 'second.csv', dryRun: true });
    expect(dry).toMatchObject({ inserted: 5, updated: 1, unchanged: 29, written: false, dryRun: true });
    expect(await stored()).toEqual(before);

    const real = await loadOutcomes(pool, checked, { sourceFile: 'second.csv', chunkSize: 7 });
    expect(real).toMatchObject({
      rowsRead: 35,
      valid: 35,
      inserted: 5,
      updated: 1,
      unchanged: 29,
      written: true,
    });
    const after = await stored();
    expect(after).toHaveLength(35);
    const one = after.find((x) => x.application_id === appId(1));
    expect(one).toMatchObject({ outcome: 'defaulted', source_file: 'second.csv' });
    // Untouched rows keep their source and load time.
    const zero = after.find((x) => x.application_id === appId(2));
    expect(zero).toEqual(before.find((x) => x.application_id === appId(2)));
  });

  it('keeps outcomes of different horizons apart', async () => {
    const file = csv('horizon24.csv', [`${appId(0)},repaid,24,2026-11-30`]);
    const r = await runCli('load-outcomes', ['--file', file, '--source', 'bureau-extract-24m'], {
      DATABASE_URL: db.url,
    });
    expect(r.code).toBe(0);
    const rows = (
      await pool.query(
        'SELECT horizon_months, outcome, source_file FROM fact_loan_outcome WHERE application_id = $1 ORDER BY 1',
        [appId(0)],
      )
    ).rows;
    expect(rows).toEqual([
      { horizon_months: 12, outcome: 'defaulted', source_file: 'first.csv' },
      { horizon_months: 24, outcome: 'repaid', source_file: 'bureau-extract-24m' },
    ]);
  });

  it('says how to use it when --file is missing, and names an unreadable file', async () => {
    const usage = await runCli('load-outcomes', [], { DATABASE_URL: db.url });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--file is required/);
    const missing = await runCli('load-outcomes', ['--file', join(dir, 'nope.csv')], {
      DATABASE_URL: db.url,
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*nope\.csv/);
  });
});
