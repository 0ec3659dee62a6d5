import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.ts';
import { warehouseDecisionLookup } from '../../../workloads/ingestion-api/decisions.ts';
import { ensureDecisionReaderRole, ensureReaderRole } from '../../../workloads/warehouse/reader-role.ts';
import { createTestDatabase, postgresUrl, type TestDatabase } from './support.ts';

// Roles are cluster-wide: a name of its own, so parallel files and runs never share it.
const role = `reader_${randomBytes(4).toString('hex')}`;
const decisionRole = `decision_reader_${randomBytes(4).toString('hex')}`;
let db: TestDatabase;

async function as<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

function withUser(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

beforeAll(async () => {
  db = await createTestDatabase('wh_reader');
});
afterAll(async () => {
  await db?.drop();
  // After the database: the grants on its objects went with it.
  for (const r of [role, decisionRole]) await as(postgresUrl(), (c) => c.query(`DROP ROLE IF EXISTS ${r}`));
});

describe('the warehouse read-only role', () => {
  it('reads every table and view, and writes nothing', async () => {
    await as(db.url, (c) => ensureReaderRole(c, role, 'first-password-0123456789'));
    const reader = withUser(db.url, role, 'first-password-0123456789');
    const counts = await as(reader, (c) =>
      c.query(
        'SELECT (SELECT count(*) FROM fact_application) AS a, (SELECT count(*) FROM rpt_score_drift) AS d',
      ),
    );
    expect(counts.rows[0]).toEqual({ a: '0', d: '0' });
    await expect(
      as(reader, (c) =>
        c.query(`INSERT INTO dim_reason_code (code, text, kind) VALUES ('X', 'x', 'policy')`),
      ),
    ).rejects.toThrow(/permission denied/);
    await expect(as(reader, (c) => c.query('CREATE TABLE mine (id int)'))).rejects.toThrow(
      /permission denied/,
    );
  });

  it('reads tables created after it, and follows a new password when kept again (twice at once)', async () => {
    await as(db.url, (c) => c.query('CREATE TABLE later_table (id int)'));
    await Promise.all(
      [0, 1].map(() => as(db.url, (c) => ensureReaderRole(c, role, 'second-password-0123456789'))),
    );
    await expect(
      as(withUser(db.url, role, 'first-password-0123456789'), (c) => c.query('SELECT 1')),
    ).rejects.toThrow(/password authentication failed/);
    const rows = await as(withUser(db.url, role, 'second-password-0123456789'), (c) =>
      c.query('SELECT count(*) AS n FROM later_table'),
    );
    expect(rows.rows[0]).toEqual({ n: '0' });
  });
});

describe('the decision reader role (the ingestion API’s decision route)', () => {
  const password = 'decision-reader-password-0123456789';
  const id = '00000000-0000-4000-8000-0000000000d1';
  let url: string;

  beforeAll(async () => {
    await as(db.url, (c) => ensureDecisionReaderRole(c, decisionRole, password));
    url = withUser(db.url, decisionRole, password);
    await as(db.url, async (c) => {
      await c.query(`INSERT INTO dim_reason_code (code, text, kind) VALUES ('P03', 'Income too low', 'policy')
                     ON CONFLICT DO NOTHING`);
      await c.query(
        `INSERT INTO dim_model (model_key, name, version, checksum, definition, baseline_edges, baseline_proportions)
         VALUES ('m@1', 'm', '1', 'c', '{}', '{}', '{}') ON CONFLICT DO NOTHING`,
      );
      await c.query(
        `INSERT INTO decision_record (application_id, revision, decision, score_decision, policy_rules, reason_codes,
                                      approved_amount, model_key, model_checksum, source, issued_at)
         VALUES ($1, 1, 'decline', 'refer', '{}', '{P03}', 0, 'm@1', 'c', 'stream', now())`,
        [id],
      );
    });
  });

  it('answers the decision route’s lookups', async () => {
    const lookup = warehouseDecisionLookup(url, createLogger('test'));
    try {
      const found = await lookup.find(id, 0);
      expect(found).toMatchObject({
        state: 'decided',
        decision: { decision: 'decline', reasons: [{ code: 'P03', text: 'Income too low' }] },
      });
      expect(await lookup.find('00000000-0000-4000-8000-0000000000d2', 0)).toEqual({ state: 'unknown' });
    } finally {
      await lookup.close();
    }
  });

  it('reads nothing else and writes nothing', async () => {
    const denied = async (sql: string, params: unknown[] = []) =>
      expect(
        as(url, (c) => c.query(sql, params)),
        sql,
      ).rejects.toThrow(/permission denied/);
    // Applicant data, other tables and views, other columns of the tables it reads.
    await denied('SELECT annual_income FROM fact_application');
    await denied('SELECT * FROM fact_application');
    await denied('SELECT * FROM decision_record');
    await denied('SELECT run_id FROM decision_record');
    await denied('SELECT * FROM fact_fraud_alert');
    await denied('SELECT * FROM fact_credit_score');
    await denied('SELECT * FROM scoring_run');
    await denied('SELECT * FROM v_current_decision');
    await denied('SELECT * FROM v_issued_decision');
    await denied('SELECT * FROM dim_model');
    // No writes, anywhere.
    await denied(
      `INSERT INTO decision_record (application_id, revision, decision, score_decision, policy_rules, reason_codes,
                                    approved_amount, model_key, model_checksum, source, issued_at)
       VALUES ($1, 2, 'approve', 'approve', '{}', '{}', 0, 'm@1', 'c', 'stream', now())`,
      [id],
    );
    await denied(`UPDATE dim_reason_code SET text = 'x'`);
    await denied('DELETE FROM fact_application');
    await denied(`INSERT INTO dim_reason_code (code, text, kind) VALUES ('X', 'x', 'policy')`);
    await denied('CREATE TABLE mine (id int)');
  });

  it('keeps exactly its columns when kept again: a grant added by hand goes', async () => {
    await as(db.url, (c) => c.query(`GRANT SELECT ON fact_application TO ${decisionRole}`));
    await as(url, (c) => c.query('SELECT annual_income FROM fact_application'));
    await as(db.url, (c) => ensureDecisionReaderRole(c, decisionRole, password));
    await expect(as(url, (c) => c.query('SELECT annual_income FROM fact_application'))).rejects.toThrow(
      /permission denied/,
    );
    const lookup = warehouseDecisionLookup(url, createLogger('test'));
    try {
      expect((await lookup.find(id, 0)).state).toBe('decided');
    } finally {
      await lookup.close();
    }
  });
});
