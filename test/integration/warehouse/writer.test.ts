import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../../../workloads/warehouse/db.ts';
import { parseAlertMessage, parseApplicationMessage } from '../../../workloads/warehouse-loader/rows.ts';
import { type RawMessage, writeBatch } from '../../../workloads/warehouse-loader/writer.ts';
import { createTestDatabase, rng, syntheticApplication, type TestDatabase } from './support.ts';

const PARSERS = { applications: parseApplicationMessage, alerts: parseAlertMessage };
let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('wh_writer');
  pool = createPool(db.url);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const msg = (offset: number, value: unknown, key = 'k'): RawMessage => ({
  offset: String(offset),
  key: Buffer.from(key),
  value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
});

async function count(sql: string): Promise<number> {
  return Number((await pool.query<{ n: string }>(sql)).rows[0]?.n);
}

describe('warehouse writer (rows and offsets in one transaction)', () => {
  const r = rng(7);
  const apps = Array.from({ length: 50 }, () => syntheticApplication(r));

  it('loads a batch, stores the next offset and maps no personal data', async () => {
    const out = await writeBatch(
      pool,
      {
        groupId: 'g',
        topic: 'apps',
        partition: 0,
        kind: 'applications',
        fetchedOffset: '0',
        messages: apps.map((a, i) => msg(i, a)),
      },
      PARSERS,
    );
    expect(out).toMatchObject({
      status: 'written',
      nextOffset: '50',
      applications: 50,
      duplicateApplications: 0,
    });
    expect(await count('SELECT count(*) AS n FROM fact_application')).toBe(50);
    expect(
      await count(`SELECT next_offset AS n FROM loader_offsets WHERE group_id = 'g' AND topic = 'apps'`),
    ).toBe(50);
    const dump = JSON.stringify(
      (await pool.query('SELECT * FROM fact_application a JOIN dim_applicant USING (national_id_hash)')).rows,
    );
    for (const personal of [
      'Test',
      'Applicant',
      'example.org',
      '20 7946', // the phone's digits as written (bare '7946' can occur in a hash or a timestamp)
      'Test Street',
      'E1 6AN',
      '192.0.2.10',
      '1980-05-17',
    ])
      expect(dump).not.toContain(personal);
  });

  it('skips a replayed batch entirely (offsets below the stored one) and writes nothing twice', async () => {
    const out = await writeBatch(
      pool,
      {
        groupId: 'g',
        topic: 'apps',
        partition: 0,
        kind: 'applications',
        fetchedOffset: '0',
        messages: apps.map((a, i) => msg(i, a)),
      },
      PARSERS,
    );
    expect(out).toEqual({ status: 'already_loaded', storedOffset: '50' });
    expect(await count('SELECT count(*) AS n FROM fact_application')).toBe(50);
  });

  it('keeps one row per application when the same application arrives again at a new offset', async () => {
    const again = apps.slice(0, 5).map((a, i) => msg(50 + i, a));
    const out = await writeBatch(
      pool,
      {
        groupId: 'g',
        topic: 'apps',
        partition: 0,
        kind: 'applications',
        fetchedOffset: '50',
        messages: again,
      },
      PARSERS,
    );
    expect(out).toMatchObject({
      status: 'written',
      applications: 0,
      duplicateApplications: 5,
      nextOffset: '55',
    });
    expect(await count('SELECT count(*) AS n FROM fact_application')).toBe(50);
  });

  it('asks to seek back when the consumer fetched past the stored offset, and writes nothing', async () => {
    const later = [msg(70, syntheticApplication(r))];
    const out = await writeBatch(
      pool,
      {
        groupId: 'g',
        topic: 'apps',
        partition: 0,
        kind: 'applications',
        fetchedOffset: '70',
        messages: later,
      },
      PARSERS,
    );
    expect(out).toEqual({ status: 'behind_stored', storedOffset: '55' });
    expect(await count('SELECT count(*) AS n FROM fact_application')).toBe(50);
  });

  it('quarantines schema-invalid, non-JSON and empty messages with the reason and field paths, redacted', async () => {
    const bad = structuredClone(syntheticApplication(r)) as unknown as Record<
      string,
      Record<string, unknown>
    >;
    (bad.loan as Record<string, unknown>).amount = -5;
    (bad.applicant as Record<string, unknown>).nationalId = '123-45-6789';
    const good = syntheticApplication(r);
    const out = await writeBatch(
      pool,
      {
        groupId: 'g',
        topic: 'apps',
        partition: 0,
        kind: 'applications',
        fetchedOffset: '55',
        messages: [msg(55, bad), msg(56, '{"broken":'), msg(57, null), msg(58, good)],
      },
      PARSERS,
    );
    expect(out).toMatchObject({ status: 'written', applications: 1, nextOffset: '59' });
    const q = await pool.query(
      'SELECT source_offset, reason, errors, payload_redacted, payload_bytes FROM quarantine ORDER BY source_offset',
    );
    expect(q.rows.map((x) => [x.source_offset, x.reason])).toEqual([
      ['55', 'schema_invalid'],
      ['56', 'not_json'],
      ['57', 'empty'],
    ]);
    const paths = (q.rows[0].errors as Array<{ path: string }>).map((e) => e.path);
    expect(paths).toContain('/loan/amount');
    expect(paths).toContain('/applicant/nationalId');
    const redacted = JSON.stringify(q.rows[0].payload_redacted);
    expect(redacted).not.toContain('123-45-6789');
    expect(redacted).not.toContain('example.org');
    expect(q.rows[0].payload_redacted.applicant.nationalId).toBe('[redacted]');
    expect(q.rows[1].payload_redacted).toBeNull();
    expect(q.rows[1].payload_bytes).toBe(10);
  });

  it('loads fraud alerts once per natural key and quarantines alerts that do not parse', async () => {
    const alert = {
      applicationId: apps[0]?.applicationId,
      ruleId: 'velocity-device',
      ruleVersion: 3,
      severity: 'high',
      reasonCode: 'DEVICE_VELOCITY',
      mode: 'live',
      eventTime: '2026-10-03T10:00:00Z',
      detectedAt: '2026-10-03T10:00:01.250Z',
      evidence: { applicationsInWindow: 5, deviceId: 'dev-123' },
    };
    const out = await writeBatch(
      pool,
      {
        groupId: 'g',
        topic: 'alerts',
        partition: 0,
        kind: 'alerts',
        fetchedOffset: '0',
        messages: [msg(0, alert), msg(1, alert), msg(2, { ...alert, severity: 'apocalyptic' })],
      },
      PARSERS,
    );
    expect(out).toMatchObject({ status: 'written', alerts: 1, duplicateAlerts: 1 });
    const rows = await pool.query('SELECT alert_id, severity, mode, evidence FROM fact_fraud_alert');
    expect(rows.rows).toEqual([
      {
        alert_id: `${apps[0]?.applicationId}:velocity-device:3`,
        severity: 'high',
        mode: 'live',
        evidence: { applicationsInWindow: 5, deviceId: '[redacted]' },
      },
    ]);
    const q = await pool.query(`SELECT reason, errors FROM quarantine WHERE source_topic = 'alerts'`);
    expect(q.rows[0].reason).toBe('schema_invalid');
    expect(JSON.stringify(q.rows[0].errors)).toContain('/severity');
  });

  it('rolls back rows and offset together when the transaction fails', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // Hold the offset row lock so the writer waits, then make its statement time out.
    await client.query('BEGIN');
    await client.query(`SELECT * FROM loader_offsets WHERE group_id = 'g' AND topic = 'apps' FOR UPDATE`);
    const slowPool = createPool(`${db.url}?options=-c%20lock_timeout%3D200`);
    try {
      await expect(
        writeBatch(
          slowPool,
          {
            groupId: 'g',
            topic: 'apps',
            partition: 0,
            kind: 'applications',
            fetchedOffset: '59',
            messages: [msg(59, syntheticApplication(r))],
          },
          PARSERS,
        ),
      ).rejects.toThrow(/lock timeout/);
    } finally {
      await client.query('ROLLBACK');
      await client.end();
      await slowPool.end();
    }
    expect(
      await count(`SELECT next_offset AS n FROM loader_offsets WHERE group_id = 'g' AND topic = 'apps'`),
    ).toBe(59);
    expect(await count('SELECT count(*) AS n FROM fact_application')).toBe(51);
  });

  it('loads past the stored offset when told the records in between are gone, and reports the gap', async () => {
    const input = {
      groupId: 'g-gap',
      topic: 'apps',
      partition: 0,
      kind: 'applications' as const,
      fetchedOffset: '0',
      messages: [msg(0, syntheticApplication(r))],
    };
    expect(await writeBatch(pool, input, PARSERS)).toMatchObject({ status: 'written', nextOffset: '1' });
    const later = { ...input, fetchedOffset: '10', messages: [msg(10, syntheticApplication(r))] };
    expect(await writeBatch(pool, later, PARSERS)).toEqual({ status: 'behind_stored', storedOffset: '1' });
    const out = await writeBatch(pool, { ...later, allowGap: true }, PARSERS);
    expect(out).toMatchObject({
      status: 'written',
      nextOffset: '11',
      applications: 1,
      gap: { from: '1', to: '10' },
    });
    expect(
      await count(`SELECT next_offset AS n FROM loader_offsets WHERE group_id = 'g-gap' AND topic = 'apps'`),
    ).toBe(11);
    expect(await count('SELECT count(*) AS n FROM fact_application')).toBe(53);
  });
});
