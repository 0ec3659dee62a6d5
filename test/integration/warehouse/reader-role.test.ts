import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureReaderRole } from '../../../workloads/warehouse/reader-role.ts';
import { createTestDatabase, postgresUrl, type TestDatabase } from './support.ts';

// Roles are cluster-wide: a name of its own, so parallel files and runs never share it.
const role = `reader_${randomBytes(4).toString('hex')}`;
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
  await as(postgresUrl(), (c) => c.query(`DROP ROLE IF EXISTS ${role}`));
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
