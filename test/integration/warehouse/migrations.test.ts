import { appendFileSync, copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILT_IN_CHALLENGER,
  BUILT_IN_CHAMPION,
  loadModelSet,
  registerModels,
} from '../../../workloads/risk-scorer/models.ts';
import { createPool, whenWarehouseReady } from '../../../workloads/warehouse/db.ts';
import { DEFAULT_MIGRATIONS_DIR, migrate, readMigrations } from '../../../workloads/warehouse/migrate.ts';
import { createTestDatabase, type TestDatabase } from './support.ts';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('wh_migrate', false);
});
afterAll(async () => {
  await db?.drop();
});

async function withClient<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wh-migrations-'));
  for (const f of readdirSync(DEFAULT_MIGRATIONS_DIR))
    copyFileSync(join(DEFAULT_MIGRATIONS_DIR, f), join(dir, f));
  return dir;
}

describe('warehouse migrations', () => {
  it('apply once even when three runs race, recording version, name and checksum', async () => {
    const reports = await Promise.all([0, 1, 2].map(() => withClient((c) => migrate(c))));
    const appliedCounts = reports.map((r) => r.applied.length).sort();
    const total = readMigrations().length;
    expect(appliedCounts).toEqual([0, 0, total]);
    const rows = await withClient((c) =>
      c.query('SELECT version, name, checksum FROM schema_migrations ORDER BY version'),
    );
    expect(rows.rows.map((r) => [r.version, r.name, r.checksum])).toEqual(
      readMigrations().map((m) => [m.version, m.name, m.checksum]),
    );
  });

  it('are safe to re-run: nothing applied the second time', async () => {
    const report = await withClient((c) => migrate(c));
    expect(report.applied).toEqual([]);
    expect(report.alreadyApplied).toBe(readMigrations().length);
  });

  it('create the star schema and the BI views', async () => {
    const names = await withClient((c) =>
      c.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
      ),
    );
    const all = names.rows.map((r) => r.table_name);
    for (const t of [
      'dim_applicant',
      'dim_date',
      'dim_model',
      'fact_application',
      'fact_fraud_alert',
      'fact_credit_score',
      'decision_record',
      'v_current_decision',
      'v_issued_decision',
      'v_decision_history',
      'rpt_decision_records',
      'scoring_run',
      'quarantine',
      'loader_offsets',
      'rpt_daily_applications',
      'rpt_grade_mix',
      'rpt_fraud_alerts_by_rule',
      'rpt_exposure_by_grade_purpose',
      'rpt_score_drift',
      'rpt_reason_codes',
      'rpt_champion_challenger',
    ])
      expect(all).toContain(t);
    const applicantColumns = await withClient((c) =>
      c.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'dim_applicant'`,
      ),
    );
    expect(applicantColumns.rows.map((r) => r.column_name).sort()).toEqual(
      ['address_country', 'customer_ref_hash', 'first_seen_at', 'last_seen_at', 'national_id_hash'].sort(),
    );
  });

  it('refuse to run when an applied migration file was edited, naming the file', async () => {
    const dir = copyOfMigrations();
    appendFileSync(join(dir, '0001_star_schema.sql'), '\n-- an innocent-looking edit\n');
    writeFileSync(join(dir, '0099_later.sql'), 'CREATE TABLE should_not_exist (id int);');
    await expect(withClient((c) => migrate(c, readMigrations(dir)))).rejects.toThrow(
      /0001_star_schema\.sql was changed after it was applied/,
    );
    const exists = await withClient((c) => c.query(`SELECT to_regclass('should_not_exist') AS t`));
    expect(exists.rows[0].t).toBeNull();
  });

  it('roll back a failing migration entirely and leave it unapplied', async () => {
    const dir = copyOfMigrations();
    writeFileSync(
      join(dir, '0098_broken.sql'),
      'CREATE TABLE half_done (id int);\nSELECT no_such_function();',
    );
    await expect(withClient((c) => migrate(c, readMigrations(dir)))).rejects.toThrow(
      /0098_broken\.sql failed/,
    );
    const rows = await withClient((c) =>
      c.query(
        `SELECT to_regclass('half_done') AS t, (SELECT count(*) FROM schema_migrations WHERE version = 98) AS n`,
      ),
    );
    expect(rows.rows[0]).toEqual({ t: null, n: '0' });
  });

  it('let a workload that starts before them wait, and then go on (a pod starts in any order)', async () => {
    const early = await createTestDatabase('wh_early', false);
    const pool = createPool(early.url, 2, 'early-workload');
    try {
      const waits: string[] = [];
      const started = whenWarehouseReady(
        () => registerModels(pool, loadModelSet(BUILT_IN_CHAMPION, BUILT_IN_CHALLENGER)),
        { onWait: (reason) => waits.push(reason), intervalMs: 100, timeoutMs: 60_000 },
      );
      // The workload is waiting on the missing tables, not failing.
      for (let i = 0; i < 600 && waits.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(waits).toHaveLength(1);
      expect(waits[0]).toMatch(/^42P01: relation "\w+" does not exist/);
      const c = new pg.Client({ connectionString: early.url });
      await c.connect();
      await migrate(c).finally(() => c.end());
      await started;
      const models = await pool.query<{ n: string }>('SELECT count(*) AS n FROM dim_model');
      expect(Number(models.rows[0]?.n)).toBeGreaterThan(0);
      // Anything else is an error at once.
      await expect(
        whenWarehouseReady(() => pool.query('SELECT no_such_function()'), { intervalMs: 100 }),
      ).rejects.toMatchObject({ code: '42883' });
    } finally {
      await pool.end();
      await early.drop();
    }
  });
});
