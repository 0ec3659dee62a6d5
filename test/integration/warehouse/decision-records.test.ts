/**
 * Migration 0005 and the decision record's guarantees, on the real PostgreSQL: a database built with
 * the 0004 shape and decisions in it (one application decided by two champion versions, a backfill
 * run, NULL severities) is migrated without losing or altering a row; issued records refuse UPDATE,
 * DELETE and TRUNCATE (the owner included, and the reader has no such grant); the chain rules hold.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILT_IN_CHALLENGER,
  BUILT_IN_CHAMPION,
  loadModelSet,
  registerModels,
} from '../../../workloads/risk-scorer/models.ts';
import { createPool, type Pool } from '../../../workloads/warehouse/db.ts';
import {
  type DecisionRecordInput,
  decisionHistory,
  issueDecision,
  issueDecisions,
} from '../../../workloads/warehouse/decision-records.ts';
import { migrate, readMigrations } from '../../../workloads/warehouse/migrate.ts';
import { parseAlertMessage, parseApplicationMessage } from '../../../workloads/warehouse-loader/rows.ts';
import { writeBatch } from '../../../workloads/warehouse-loader/writer.ts';
import { createTestDatabase, rng, syntheticApplication, type TestDatabase } from './support.ts';

const N = 300;
const models = loadModelSet(BUILT_IN_CHAMPION, BUILT_IN_CHALLENGER);
const V1 = models.champion.key;
const V2 = models.challengers[0]?.key as string;

let db: TestDatabase;
let pool: Pool;
let ids: string[];
/** fact_decision and the 0002 views as they were before 0005. */
let before: {
  decisions: Record<string, unknown>[];
  current: Record<string, unknown>[];
  daily: Record<string, unknown>[];
  reasons: Record<string, unknown>[];
  exposure: Record<string, unknown>[];
};

/** A test application id: its group (the fourth field) and number. */
const testId = (group: string, n: number) =>
  `00000000-0000-4000-${group}-${n.toString(16).padStart(12, '0')}`;

/** A first decision by the decision service with the built-in champion. */
function streamDecision(
  applicationId: string,
  decision: DecisionRecordInput['decision'],
  approvedAmount = 0,
  reasonCodes: string[] = [],
): DecisionRecordInput {
  return {
    applicationId,
    decision,
    scoreDecision: decision,
    policyRules: [],
    reasonCodes,
    fraudSeverity: null,
    approvedAmount,
    modelKey: models.champion.key,
    modelChecksum: models.champion.checksum,
    source: 'stream',
    runId: 'decision-service-0',
    issuedAt: new Date(),
  };
}

const OLD_COLUMNS =
  'application_id, model_key, decision, score_decision, policy_rules, reason_codes, fraud_severity, approved_amount, run_id, decided_at';

async function withClient<T>(work: (c: pg.Client) => Promise<T>, url = db.url): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await work(c);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  db = await createTestDatabase('wh_decrec', false);
  await withClient((c) =>
    migrate(
      c,
      readMigrations().filter((m) => m.version <= 4),
    ),
  );
  pool = createPool(db.url);
  const r = rng(5);
  const apps = Array.from({ length: N }, () => syntheticApplication(r));
  ids = apps.map((a) => a.applicationId);
  await writeBatch(
    pool,
    {
      groupId: 'seed',
      topic: 'apps',
      partition: 0,
      kind: 'applications',
      fetchedOffset: '0',
      messages: apps.map((a, i) => ({ offset: String(i), key: null, value: Buffer.from(JSON.stringify(a)) })),
    },
    { applications: parseApplicationMessage, alerts: parseAlertMessage },
  );
  await registerModels(pool, models);
  await pool.query(
    `INSERT INTO scoring_run (run_id, partition_index, model_key, role, partition_count, mode, status, started_at)
     VALUES ('old-batch', 0, $1, 'champion', 1, 'incremental', 'succeeded', '2026-10-30T00:00:00Z'),
            ('old-backfill', 0, $1, 'champion', 1, 'backfill', 'succeeded', '2026-10-31T00:00:00Z')`,
    [V1],
  );
  // The 0004 shape's data: every application decided by the 1.0.0 champion (a fifth of them by a
  // backfill run that overwrote the row in place), a tenth decided again later by 2.0.0 as champion.
  await pool.query(
    `INSERT INTO fact_credit_score (application_id, model_key, role, score, pd, grade, total_points, points, reason_codes, run_id, scored_at)
     SELECT a.application_id, m.model_key, 'champion', 500 + (a.partition_hash % 300), 0.05, 'C', 10, '{}'::jsonb,
            ARRAY['R1'], 'old-batch', '2026-10-30T00:00:00Z'
     FROM fact_application a CROSS JOIN (VALUES ($1), ($2)) AS m(model_key)`,
    [V1, V2],
  );
  await pool.query(
    `INSERT INTO fact_decision (${OLD_COLUMNS})
     SELECT a.application_id, $1,
            (ARRAY['approve', 'refer', 'decline'])[1 + a.partition_hash % 3],
            (ARRAY['approve', 'refer', 'decline'])[1 + (a.partition_hash / 3) % 3],
            CASE WHEN a.partition_hash % 7 = 0 THEN ARRAY['fraud_alert'] ELSE ARRAY[]::text[] END,
            CASE WHEN a.partition_hash % 3 = 0 THEN ARRAY[]::text[] ELSE ARRAY['P01', 'DTI', 'BUR'] END,
            CASE WHEN a.partition_hash % 7 = 0 THEN 'critical' END,
            CASE WHEN a.partition_hash % 3 = 0 THEN a.loan_amount ELSE 0 END,
            CASE WHEN a.partition_hash % 5 = 0 THEN 'old-backfill' ELSE 'old-batch' END,
            timestamptz '2026-10-30T00:00:00Z' + (a.partition_hash % 1000) * interval '1 second'
     FROM fact_application a`,
    [V1],
  );
  await pool.query(
    `INSERT INTO fact_decision (${OLD_COLUMNS})
     SELECT application_id, $1, 'decline', 'refer', ARRAY['affordability'], ARRAY['P03'], NULL, 0, 'old-batch',
            decided_at + interval '1 day'
     FROM fact_decision WHERE ('x' || substr(md5(application_id::text), 1, 2))::bit(8)::int % 10 = 0`,
    [V2],
  );
  const q = async (sql: string) => (await pool.query(sql)).rows;
  before = {
    decisions: await q(
      `SELECT ${OLD_COLUMNS} FROM fact_decision ORDER BY application_id, decided_at, model_key`,
    ),
    current: await q(`SELECT ${OLD_COLUMNS} FROM v_current_decision ORDER BY application_id`),
    daily: await q('SELECT * FROM rpt_daily_applications ORDER BY day'),
    reasons: await q('SELECT * FROM rpt_reason_codes ORDER BY day, decision, reason_code, rank'),
    exposure: await q('SELECT * FROM rpt_exposure_by_grade_purpose ORDER BY grade, purpose'),
  };
  expect(before.decisions.length).toBeGreaterThan(N);
  const report = await withClient((c) => migrate(c));
  expect(report.applied.map((m) => m.version)).toContain(5);
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('migration 0005', () => {
  it('keeps every fact_decision row, value for value, as records chained per application', async () => {
    const after = await pool.query(
      `SELECT ${OLD_COLUMNS.replace('decided_at', 'issued_at AS decided_at')} FROM decision_record
       ORDER BY application_id, issued_at, model_key`,
    );
    expect(after.rows).toEqual(before.decisions);
    expect((await pool.query(`SELECT to_regclass('fact_decision') AS t`)).rows[0].t).toBeNull();

    const chains = await pool.query<{
      application_id: string;
      revisions: number[];
      models: string[];
      sources: string[];
    }>(
      `SELECT application_id, array_agg(revision ORDER BY revision) AS revisions,
              array_agg(model_key ORDER BY revision) AS models, array_agg(source ORDER BY revision) AS sources
       FROM decision_record GROUP BY application_id`,
    );
    expect(chains.rows.length).toBe(N);
    const twice = chains.rows.filter((c) => c.revisions.length === 2);
    expect(twice.length).toBeGreaterThan(0);
    for (const c of twice) expect(c.models).toEqual([V1, V2]);
    for (const c of chains.rows) expect(c.revisions).toEqual(c.revisions.map((_, i) => i + 1));
    // Source from the run's mode; the checksum from dim_model; supersession reason on later revisions.
    const bad = await pool.query(
      `SELECT r.record_id FROM decision_record r JOIN dim_model m USING (model_key)
       WHERE r.model_checksum <> m.checksum
          OR r.source <> CASE WHEN r.run_id = 'old-backfill' THEN 'backfill' ELSE 'batch' END
          OR (r.revision = 2) <> (r.supersedes IS NOT NULL AND r.supersede_reason LIKE 'migrated (0005)%')`,
    );
    expect(bad.rows).toEqual([]);
    expect(new Set(chains.rows.flatMap((c) => c.sources))).toEqual(new Set(['batch', 'backfill']));
  });

  it('answers the BI views as before (v_current_decision keeps its columns, then adds the record’s)', async () => {
    const q = async (sql: string) => (await pool.query(sql)).rows;
    expect(await q(`SELECT ${OLD_COLUMNS} FROM v_current_decision ORDER BY application_id`)).toEqual(
      before.current,
    );
    expect(await q('SELECT * FROM rpt_daily_applications ORDER BY day')).toEqual(before.daily);
    expect(await q('SELECT * FROM rpt_reason_codes ORDER BY day, decision, reason_code, rank')).toEqual(
      before.reasons,
    );
    expect(await q('SELECT * FROM rpt_exposure_by_grade_purpose ORDER BY grade, purpose')).toEqual(
      before.exposure,
    );
    const cols = await q(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'v_current_decision' ORDER BY ordinal_position`,
    );
    expect(cols.map((c) => c.column_name).slice(0, 10)).toEqual(OLD_COLUMNS.split(', '));
    // The decision as first communicated: revision 1, one per application.
    const issued = await q(
      `SELECT i.application_id FROM v_issued_decision i JOIN decision_record r ON r.record_id = i.record_id
       WHERE r.revision = 1`,
    );
    expect(issued.length).toBe(N);
    const history = await q(
      `SELECT count(*) FILTER (WHERE is_issued)::int AS issued, count(*) FILTER (WHERE is_current)::int AS current
       FROM v_decision_history`,
    );
    expect(history[0]).toEqual({ issued: N, current: N });
  });
});

describe('an issued decision', () => {
  it('refuses UPDATE, DELETE, TRUNCATE and upsert-overwrites, for the owner too, and stays byte-identical', async () => {
    const snapshot = async () =>
      (await pool.query('SELECT * FROM decision_record ORDER BY record_id')).rows.map((r) =>
        JSON.stringify(r),
      );
    const was = await snapshot();
    const id = ids[0];
    const attempts = [
      `UPDATE decision_record SET decision = 'approve' WHERE application_id = '${id}'`,
      `UPDATE decision_record SET supersede_reason = 'x' WHERE false OR application_id = '${id}'`,
      `DELETE FROM decision_record WHERE application_id = '${id}'`,
      'DELETE FROM decision_record',
      'TRUNCATE decision_record',
      `INSERT INTO decision_record (application_id, revision, decision, score_decision, policy_rules, reason_codes,
         approved_amount, model_key, model_checksum, source, issued_at)
       SELECT application_id, 1, 'approve', 'approve', '{}', '{}', 0, model_key, model_checksum, 'batch', now()
       FROM decision_record WHERE application_id = '${id}' AND revision = 1
       ON CONFLICT (application_id, revision) DO UPDATE SET decision = excluded.decision`,
    ];
    for (const sql of attempts) {
      const err = await pool.query(sql).then(
        () => undefined,
        (e: { code?: string; message: string }) => e,
      );
      expect(err, sql).toBeDefined();
      expect(err?.code, sql).toBe('23001');
      expect(err?.message).toMatch(/append-only/);
    }
    const grants = await pool.query(
      `SELECT grantee, privilege_type FROM information_schema.role_table_grants
       WHERE table_name = 'decision_record' AND privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE')
         AND grantee <> (SELECT tableowner FROM pg_tables WHERE tablename = 'decision_record')`,
    );
    expect(grants.rows).toEqual([]);
    expect(await snapshot()).toEqual(was);
  });

  it('is issued once per application; a supersession continues the chain and never forks it', async () => {
    const id = ids[1] as string;
    const [head] = await decisionHistory(pool, id);
    if (head === undefined) throw new Error('no record');
    // A second first decision (a replayed stream, a late batch) writes nothing and answers the record that stands.
    const again = await issueDecision(pool, {
      ...head,
      decision: 'approve',
      source: 'stream',
      runId: 'decision-service-0',
      issuedAt: new Date(),
    });
    expect(again.issued).toBe(false);
    expect(again.record).toEqual(head);

    const history = await decisionHistory(pool, id);
    const last = history[history.length - 1];
    if (last === undefined) throw new Error('no record');
    const insert = (revision: number, supersedes: string | null, reason: string | null, app = id) =>
      pool.query(
        `INSERT INTO decision_record (application_id, revision, decision, score_decision, policy_rules, reason_codes,
           approved_amount, model_key, model_checksum, source, issued_at, supersedes, supersede_reason)
         VALUES ($1, $2, 'decline', 'decline', '{}', '{P01}', 0, $3, $4, 'backfill', now(), $5, $6)`,
        [app, revision, last.modelKey, last.modelChecksum, supersedes, reason],
      );
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    expect(await code(insert(last.revision + 1, last.recordId, null))).toBe('23514'); // reason required
    expect(await code(insert(last.revision + 2, last.recordId, 'late alert'))).toBe('23514'); // wrong revision
    // Another application whose chain is shorter, so only the foreign key can refuse the row
    // (where that revision exists already, the unique key answers first: 23505).
    const other = await pool.query<{ application_id: string }>(
      `SELECT application_id FROM decision_record WHERE application_id <> $1
       GROUP BY application_id HAVING max(revision) < $2 ORDER BY application_id LIMIT 1`,
      [id, last.revision + 1],
    );
    const otherId = other.rows[0]?.application_id;
    if (otherId === undefined) throw new Error('no other application with a shorter chain');
    expect(await code(insert(last.revision + 1, last.recordId, 'late alert', otherId))).toBe('23503'); // other application
    expect(await code(insert(last.revision + 1, last.recordId, 'late alert'))).toBe('ok');
    expect(await code(insert(last.revision + 1, last.recordId, 'a racing second successor'))).toBe('23505');
    const chain = await decisionHistory(pool, id);
    expect(chain.length).toBe(history.length + 1);
    expect(chain.slice(0, history.length)).toEqual(history);
    const current = await pool.query(
      'SELECT decision, revision, supersede_reason FROM v_current_decision WHERE application_id = $1',
      [id],
    );
    expect(current.rows[0]).toEqual({
      decision: 'decline',
      revision: last.revision + 1,
      supersede_reason: 'late alert',
    });
    const issued = await pool.query('SELECT record_id FROM v_issued_decision WHERE application_id = $1', [
      id,
    ]);
    expect(issued.rows[0].record_id).toBe(head.recordId);
  });

  it('must name a registered model by key and checksum', async () => {
    const fresh = await issueDecision(pool, {
      applicationId: '00000000-0000-4000-8000-00000000abcd',
      decision: 'approve',
      scoreDecision: 'approve',
      policyRules: [],
      reasonCodes: [],
      fraudSeverity: null,
      approvedAmount: 0,
      modelKey: V1,
      modelChecksum: '0'.repeat(64),
      source: 'stream',
      runId: null,
      issuedAt: new Date(),
    }).then(
      () => 'ok',
      (e: { code?: string }) => e.code,
    );
    expect(fresh).toBe('23503');
  });

  it('is issued without reading the table, however large it grew after the statement was first planned', async () => {
    // A fresh warehouse: the decision service's connection plans its insert while decision_record is
    // empty, then keeps that plan while thousands of decisions arrive before any ANALYZE. A plan that
    // looked up existing records by scanning the table cost 4 → 36 ms per batch of 20 as it filled.
    const fresh = await createTestDatabase('wh_decscan');
    const client = new pg.Client({ connectionString: fresh.url });
    await client.connect();
    try {
      const registering = createPool(fresh.url);
      await registerModels(registering, models).finally(() => registering.end());
      let n = 0;
      const input = () => streamDecision(testId('8000', ++n), 'approve', 1000, ['R01']);
      const seqRead = async () => {
        await client.query('SELECT pg_stat_force_next_flush()');
        await client.query('SELECT 1');
        const r = await withClient(
          (c) =>
            c.query<{ n: string }>(
              "SELECT coalesce(seq_tup_read, 0) AS n FROM pg_stat_user_tables WHERE relname = 'decision_record'",
            ),
          fresh.url,
        );
        return Number(r.rows[0]?.n ?? 0);
      };
      const batches = 150;
      const first: DecisionRecordInput[] = [];
      for (let b = 0; b < batches; b++) {
        const batch = Array.from({ length: 20 }, input);
        if (b === 0) first.push(...batch);
        const { issued, standing } = await issueDecisions(client, batch);
        expect(issued.size).toBe(20);
        expect(standing.map((s) => s.applicationId).sort()).toEqual(batch.map((i) => i.applicationId).sort());
      }
      // A full scan per batch would have read ~ batches² × 10 rows (225,000); none is needed.
      expect(await seqRead()).toBeLessThan(batches * 20);
      // A replayed batch mixing issued and new applications: every input gets the record that stands.
      const mixed = [
        ...first.slice(0, 5).map((i) => ({ ...i, decision: 'decline' as const })),
        input(),
        input(),
      ];
      const again = await issueDecisions(client, mixed);
      expect(again.issued).toEqual(new Set(mixed.slice(5).map((i) => i.applicationId)));
      const byId = new Map(again.standing.map((s) => [s.applicationId, s]));
      expect(byId.size).toBe(mixed.length);
      for (const i of mixed.slice(0, 5)) expect(byId.get(i.applicationId)?.decision).toBe('approve');
      expect(await decisionHistory(client, first[0]?.applicationId as string)).toHaveLength(1);
    } finally {
      await client.end();
      await fresh.drop();
    }
  });

  it('signals the ids it wrote on a channel from the insert itself, at most 200 per notification', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const heard: string[][] = [];
    listener.on('notification', (n) => {
      if (n.channel === 'decision_test_channel' && n.payload) heard.push(n.payload.split(','));
    });
    await listener.query('LISTEN decision_test_channel');
    try {
      const input = (i: number) => streamDecision(testId('9000', i), 'refer');
      const inputs = Array.from({ length: 450 }, (_, i) => input(i));
      const first = await issueDecisions(pool, inputs.slice(0, 10));
      expect(first.issued.size).toBe(10);
      // 10 already stand (not signalled again by the insert), 440 are new: 200 + 200 + 40.
      const r = await issueDecisions(pool, inputs, { notifyChannel: 'decision_test_channel' });
      expect(r.issued.size).toBe(440);
      expect(r.standing).toHaveLength(450);
      const deadline = Date.now() + 5_000;
      while (heard.flat().length < 440 && Date.now() < deadline)
        await new Promise((ok) => setTimeout(ok, 20));
      expect(heard.map((ids) => ids.length).sort((a, b) => a - b)).toEqual([40, 200, 200]);
      expect(new Set(heard.flat())).toEqual(r.issued);
      // Nothing written, nothing signalled.
      await issueDecisions(pool, inputs.slice(0, 5), { notifyChannel: 'decision_test_channel' });
      await new Promise((ok) => setTimeout(ok, 200));
      expect(heard).toHaveLength(3);
    } finally {
      await listener.end();
    }
  });
});
