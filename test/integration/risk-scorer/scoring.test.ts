import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.ts';
import { decisionRecords } from '../../../workloads/decision-service/records.ts';
import { runScoring } from '../../../workloads/risk-scorer/batch.ts';
import {
  BUILT_IN_CHALLENGER,
  BUILT_IN_CHAMPION,
  loadModelSet,
  registerModels,
} from '../../../workloads/risk-scorer/models.ts';
import { partitionOf } from '../../../workloads/risk-scorer/partition.ts';
import { createPool, type Pool } from '../../../workloads/warehouse/db.ts';
import { claimStreamDecisions, streamDecides } from '../../../workloads/warehouse/decision-authority.ts';
import { issueDecision } from '../../../workloads/warehouse/decision-records.ts';
import { parseAlertMessage, parseApplicationMessage } from '../../../workloads/warehouse-loader/rows.ts';
import { writeBatch } from '../../../workloads/warehouse-loader/writer.ts';
import { createTestDatabase, rng, syntheticApplication, type TestDatabase } from '../warehouse/support.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
const PARSERS = { applications: parseApplicationMessage, alerts: parseAlertMessage };
const N = 1200;
const models = loadModelSet(BUILT_IN_CHAMPION, BUILT_IN_CHALLENGER);

/** Loads the same N applications (and a few fraud alerts) into a database through the loader's writer. */
async function seed(pool: Pool): Promise<string[]> {
  const r = rng(42);
  const apps = Array.from({ length: N }, (_, i) =>
    syntheticApplication(r, { applicationId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` }),
  );
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
    PARSERS,
  );
  const alert = (i: number, severity: string, mode: string) => ({
    applicationId: apps[i]?.applicationId,
    ruleId: `rule-${severity}`,
    ruleVersion: '1',
    severity,
    reasonCode: 'TEST',
    mode,
    eventTime: '2026-10-05T10:00:00Z',
    detectedAt: '2026-10-05T10:00:01Z',
    evidence: {},
  });
  const alerts = [alert(0, 'critical', 'live'), alert(1, 'high', 'live'), alert(2, 'critical', 'shadow')];
  await writeBatch(
    pool,
    {
      groupId: 'seed',
      topic: 'alerts',
      partition: 0,
      kind: 'alerts',
      fetchedOffset: '0',
      messages: alerts.map((a, i) => ({
        offset: String(i),
        key: null,
        value: Buffer.from(JSON.stringify(a)),
      })),
    },
    PARSERS,
  );
  return apps.map((a) => a.applicationId);
}

/** Every decision record, serialized row by row in record order (what "byte-identical" compares). */
/** Every decision record as PostgreSQL prints the row (its bytes, every column), in record order. */
async function snapshotRecords(pool: Pool): Promise<string[]> {
  const r = await pool.query<{ row: string }>(
    'SELECT d::text AS row FROM decision_record d ORDER BY record_id',
  );
  return r.rows.map((x) => x.row);
}

/** Scores and decisions without the run-specific columns, sorted: what must not depend on partitioning. */
async function results(pool: Pool): Promise<{ scores: string[]; decisions: string[] }> {
  const s = await pool.query(
    `SELECT application_id, model_key, role, score, pd, grade, total_points, points, reason_codes
     FROM fact_credit_score ORDER BY application_id, model_key`,
  );
  const d = await pool.query(
    `SELECT application_id, model_key, model_checksum, revision, source, decision, score_decision, policy_rules,
            reason_codes, fraud_severity, approved_amount
     FROM decision_record ORDER BY application_id, revision`,
  );
  return { scores: s.rows.map((x) => JSON.stringify(x)), decisions: d.rows.map((x) => JSON.stringify(x)) };
}

function runCli(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'risk-scorer', ...args], {
      cwd: REPO,
      env: { ...process.env, OPS_PORT: '0', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('indexed partitions', () => {
  let one: TestDatabase;
  let four: TestDatabase;
  let onePool: Pool;
  let fourPool: Pool;
  let ids: string[];

  beforeAll(async () => {
    [one, four] = await Promise.all([createTestDatabase('rs_one'), createTestDatabase('rs_four')]);
    onePool = createPool(one.url);
    fourPool = createPool(four.url);
    ids = await seed(onePool);
    await seed(fourPool);
  });
  afterAll(async () => {
    await onePool?.end();
    await fourPool?.end();
    await one?.drop();
    await four?.drop();
  });

  it('4 Indexed Job pods in parallel, reading in pages of 37 (pipelined reads, scoring and COPY), write exactly the rows 1 pod writes in one page; the partitions are disjoint and cover all', async () => {
    const single = await runCli({
      DATABASE_URL: one.url,
      RUN_ID: 'single',
      SHARD_COUNT: '1',
      JOB_COMPLETION_INDEX: '0',
    });
    expect(single.code, single.stderr).toBe(0);
    const parallel = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        runCli({
          DATABASE_URL: four.url,
          RUN_ID: 'parallel',
          SHARD_COUNT: '4',
          JOB_COMPLETION_INDEX: String(i),
          SCORER_PAGE_SIZE: '37',
        }),
      ),
    );
    for (const p of parallel) expect(p.code, p.stderr).toBe(0);

    const a = await results(onePool);
    const b = await results(fourPool);
    expect(a.scores.length).toBe(N * 2); // champion + challenger
    expect(a.decisions.length).toBe(N);
    expect(b.scores).toEqual(a.scores);
    expect(b.decisions).toEqual(a.decisions);

    // Each partition selected exactly the applications whose hash falls in it: disjoint and covering.
    const runs = await fourPool.query<{ partition_index: number; applications_selected: number }>(
      `SELECT partition_index, applications_selected FROM scoring_run
       WHERE run_id = 'parallel' AND role = 'champion' AND status = 'succeeded' ORDER BY partition_index`,
    );
    const hashes = await fourPool.query<{ partition_hash: number }>(
      'SELECT partition_hash FROM fact_application',
    );
    const expected = [0, 1, 2, 3].map(
      (i) => hashes.rows.filter((h) => partitionOf(h.partition_hash, 4) === i).length,
    );
    expect(runs.rows.map((r) => r.applications_selected)).toEqual(expected);
    expect(expected.reduce((x, y) => x + y, 0)).toBe(N);
    expect(Math.min(...expected)).toBeGreaterThan(N / 8); // the hash spreads the work
    expect(ids.length).toBe(N);

    // The whole-run drift view sums the four partitions' histograms.
    const drift = await fourPool.query(
      `SELECT model_key, partitions, partitions_succeeded, applications_scored, psi FROM rpt_score_drift WHERE run_id = 'parallel' ORDER BY model_key`,
    );
    const driftOne = await onePool.query(
      `SELECT model_key, psi FROM rpt_score_drift WHERE run_id = 'single' ORDER BY model_key`,
    );
    expect(drift.rows.map((r) => [r.partitions, r.partitions_succeeded, r.applications_scored])).toEqual([
      ['4', '4', String(N)],
      ['4', '4', String(N)],
    ]);
    for (let i = 0; i < 2; i++) expect(drift.rows[i].psi).toBeCloseTo(driftOne.rows[i].psi, 10);
  }, 300_000);

  it('applies the fraud hard rules from loaded live alerts only', async () => {
    const d = await onePool.query<{
      application_id: string;
      decision: string;
      policy_rules: string[];
      fraud_severity: string | null;
    }>(
      `SELECT application_id, decision, policy_rules, fraud_severity FROM decision_record WHERE application_id = ANY($1) ORDER BY application_id`,
      [ids.slice(0, 3)],
    );
    expect(d.rows[0]).toMatchObject({ decision: 'decline', fraud_severity: 'critical' });
    expect(d.rows[0]?.policy_rules).toContain('fraud_alert');
    expect(d.rows[1]?.policy_rules).toContain('fraud_alert');
    expect(['refer', 'decline']).toContain(d.rows[1]?.decision);
    expect(d.rows[2]?.policy_rules).not.toContain('fraud_alert');
    expect(d.rows[2]?.fraud_severity).toBeNull();
  });

  it('a second run scores nothing (idempotent on application and model version)', async () => {
    const again = await runCli({ DATABASE_URL: one.url, RUN_ID: 'single-again', SHARD_COUNT: '1' });
    expect(again.code, again.stderr).toBe(0);
    const r = await onePool.query(
      `SELECT applications_selected, scores_written, decisions_written FROM scoring_run WHERE run_id = 'single-again' AND role = 'champion'`,
    );
    expect(r.rows[0]).toEqual({ applications_selected: 0, scores_written: 0, decisions_written: 0 });
    expect((await results(onePool)).decisions.length).toBe(N);
  });
});

describe('a failed run', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('rs_fail');
    pool = createPool(db.url);
    await seed(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('leaves no partial scores or decisions, records the failure, and the next run picks everything up', async () => {
    // Another session holds decision_record, so the scorer's decision upsert times out after its scores were staged and inserted.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE decision_record IN EXCLUSIVE MODE');
    let failed: Awaited<ReturnType<typeof runScoring>>;
    try {
      failed = await runScoring(pool, {
        runId: 'r1',
        partition: { index: 0, count: 1 },
        models,
        lockTimeoutMs: 300,
      });
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/lock timeout/);
    const counts = await pool.query(
      `SELECT (SELECT count(*) FROM fact_credit_score)::int AS scores, (SELECT count(*) FROM decision_record)::int AS decisions`,
    );
    expect(counts.rows[0]).toEqual({ scores: 0, decisions: 0 });
    const run = await pool.query(
      `SELECT status, error, scores_written FROM scoring_run WHERE run_id = 'r1' ORDER BY model_key`,
    );
    expect(run.rows.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(run.rows[0].error).toMatch(/lock timeout/);

    const next = await runScoring(pool, { runId: 'r2', partition: { index: 0, count: 1 }, models });
    expect(next).toMatchObject({ status: 'succeeded', applicationsSelected: N, decisionsWritten: N });
    const after = await pool.query(
      `SELECT (SELECT count(*) FROM fact_credit_score)::int AS scores, (SELECT count(*) FROM decision_record)::int AS decisions`,
    );
    expect(after.rows[0]).toEqual({ scores: 2 * N, decisions: N });
  });

  it('backfill rescores a date range: a late live alert supersedes an approval with a decline, the issued record untouched', async () => {
    const approved = await pool.query<{ application_id: string; day: string }>(
      `SELECT d.application_id, to_char(a.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day
       FROM decision_record d JOIN fact_application a USING (application_id)
       WHERE d.decision = 'approve' ORDER BY d.application_id LIMIT 1`,
    );
    const target = approved.rows[0];
    if (!target) throw new Error('no approved application to test with');
    await writeBatch(
      pool,
      {
        groupId: 'late',
        topic: 'alerts',
        partition: 0,
        kind: 'alerts',
        fetchedOffset: '0',
        messages: [
          {
            offset: '0',
            key: null,
            value: Buffer.from(
              JSON.stringify({
                applicationId: target.application_id,
                ruleId: 'late-rule',
                ruleVersion: '1',
                severity: 'critical',
                reasonCode: 'LATE',
                mode: 'live',
                eventTime: `${target.day}T12:00:00Z`,
                detectedAt: `${target.day}T12:00:05Z`,
                evidence: {},
              }),
            ),
          },
        ],
      },
      PARSERS,
    );
    const before = await pool.query(`SELECT run_id, count(*)::int AS n FROM decision_record GROUP BY run_id`);
    expect(before.rows).toEqual([{ run_id: 'r2', n: N }]);
    const issued = await snapshotRecords(pool);
    const next = new Date(`${target.day}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    const summary = await runScoring(pool, {
      runId: 'backfill',
      partition: { index: 0, count: 1 },
      models,
      backfill: { from: `${target.day}T00:00:00Z`, to: next.toISOString() },
    });
    expect(summary.status).toBe('succeeded');
    const inRange = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM fact_application WHERE submitted_at >= $1 AND submitted_at < $2`,
      [`${target.day}T00:00:00Z`, next.toISOString()],
    );
    expect(summary.applicationsSelected).toBe(inRange.rows[0]?.n);
    expect(summary.applicationsSelected).toBeLessThan(N);
    // Every issued record is byte-identical; the one application whose decision changed got a superseding record.
    const after = await snapshotRecords(pool);
    expect(after.slice(0, issued.length)).toEqual(issued);
    expect(after.length).toBe(issued.length + 1);
    expect(summary).toMatchObject({ decisionsWritten: 1, decisionsSuperseded: 1, decisions: { decline: 1 } });
    const d = await pool.query(
      `SELECT decision, policy_rules, fraud_severity, reason_codes, run_id, source, revision, supersede_reason,
              supersedes = (SELECT record_id FROM v_issued_decision i WHERE i.application_id = c.application_id) AS chained
       FROM v_current_decision c WHERE application_id = $1`,
      [target.application_id],
    );
    expect(d.rows[0]).toMatchObject({
      decision: 'decline',
      fraud_severity: 'critical',
      run_id: 'backfill',
      source: 'backfill',
      revision: 2,
      chained: true,
    });
    expect(d.rows[0].reason_codes[0]).toBe('P01');
    expect(d.rows[0].supersede_reason).toMatch(
      /^backfill \d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2} \(decision, .*fraud_severity/,
    );
    const told = await pool.query(
      'SELECT decision, run_id FROM v_issued_decision WHERE application_id = $1',
      [target.application_id],
    );
    expect(told.rows[0]).toEqual({ decision: 'approve', run_id: 'r2' });
    const byRun = await pool.query(
      `SELECT run_id, count(*)::int AS n FROM decision_record GROUP BY run_id ORDER BY run_id`,
    );
    expect(byRun.rows).toEqual([
      { run_id: 'backfill', n: 1 },
      { run_id: 'r2', n: N },
    ]);
  });

  it('is exported from the warehouse as metrics by the loader (last success, PSI, run counts by status)', async () => {
    const { Registry } = await import('prom-client');
    const { registerScoringRunMetrics } = await import('../../../workloads/warehouse/scoring-run-metrics.ts');
    const registry = new Registry();
    registerScoringRunMetrics(registry, pool);
    const text = await registry.metrics();
    const drift = await pool.query<{ psi: number }>(
      `SELECT psi FROM rpt_score_drift WHERE run_id = 'backfill' AND model_key = 'retail-scorecard@1.0.0'`,
    );
    const psiLine = text
      .split('\n')
      .find((l) => l.startsWith('warehouse_scoring_last_run_psi{model="retail-scorecard@1.0.0"'));
    expect(Number(psiLine?.split(' ').pop())).toBeCloseTo(drift.rows[0]?.psi ?? Number.NaN, 9);
    expect(text).toContain(
      'warehouse_scoring_runs{model="retail-scorecard@1.0.0",role="champion",status="failed"} 1',
    );
    expect(text).toContain(
      'warehouse_scoring_runs{model="retail-scorecard@1.0.0",role="champion",status="succeeded"} 2',
    );
    expect(text).toMatch(
      /warehouse_scoring_last_success_timestamp_seconds\{model="retail-scorecard@2.0.0",role="challenger"\} \d+/,
    );
  });

  it('refuses a model whose published version changed', async () => {
    const changed = structuredClone(models.champion.model);
    changed.scaling.pdo = 41;
    const { modelSet } = await import('../../../workloads/risk-scorer/models.ts');
    await expect(
      runScoring(pool, { runId: 'r3', partition: { index: 0, count: 1 }, models: modelSet(changed) }),
    ).rejects.toThrow(/differs from the version already registered/);
  });
});

/** Loads one live alert (as the loader would) for an application, under its own consumer group. */
async function lateAlert(pool: Pool, applicationId: string, day: string, group: string): Promise<void> {
  await writeBatch(
    pool,
    {
      groupId: group,
      topic: 'alerts',
      partition: 0,
      kind: 'alerts',
      fetchedOffset: '0',
      messages: [
        {
          offset: '0',
          key: null,
          value: Buffer.from(
            JSON.stringify({
              applicationId,
              ruleId: `late-${group}`,
              ruleVersion: '1',
              severity: 'critical',
              reasonCode: 'LATE',
              mode: 'live',
              eventTime: `${day}T12:00:00Z`,
              detectedAt: `${day}T12:00:05Z`,
              evidence: {},
            }),
          ),
        },
      ],
    },
    PARSERS,
  );
}

/** Loads applications now (loaded_at = now), as the loader does. */
async function loadNow(pool: Pool, seedValue: number, ids: string[]): Promise<void> {
  const r = rng(seedValue);
  await writeBatch(
    pool,
    {
      groupId: `now-${seedValue}`,
      topic: 'apps',
      partition: 0,
      kind: 'applications',
      fetchedOffset: '0',
      messages: ids.map((applicationId, i) => ({
        offset: String(i),
        key: null,
        value: Buffer.from(JSON.stringify(syntheticApplication(r, { applicationId }))),
      })),
    },
    PARSERS,
  );
}

/** A first decision as the decision service issues it (refer, reason BUR), for the authority tests. */
function streamDecision(applicationId: string, issuedAt: Date) {
  return {
    applicationId,
    decision: 'refer' as const,
    scoreDecision: 'refer' as const,
    policyRules: [],
    reasonCodes: ['BUR'],
    fraudSeverity: null,
    approvedAmount: 0,
    modelKey: models.champion.key,
    modelChecksum: models.champion.checksum,
    source: 'stream' as const,
    runId: 'decision-service-0',
    issuedAt,
  };
}

describe('decision records across the stream, batch runs and backfills', () => {
  let db: TestDatabase;
  let pool: Pool;
  let ids: string[];
  let day: string;
  let streamIds: string[];

  beforeAll(async () => {
    db = await createTestDatabase('rs_records');
    pool = createPool(db.url);
    ids = await seed(pool);
    const days = await pool.query<{ application_id: string; day: string }>(
      `SELECT application_id, to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day
       FROM fact_application ORDER BY application_id`,
    );
    day = days.rows[100]?.day as string;
    // The decision service decided 50 applications of other days first (as it would, scoring them
    // in the stream); their record says 'refer' whatever the batch would say.
    streamIds = days.rows
      .slice(3)
      .filter((r) => r.day !== day)
      .slice(0, 50)
      .map((r) => r.application_id);
    await registerModels(pool, models);
    for (const id of streamIds)
      await issueDecision(pool, streamDecision(id, new Date('2026-10-05T10:00:00Z')));
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('a batch run scores everything, computes PSI, and issues champion decisions only where none was issued', async () => {
    const streamed = await snapshotRecords(pool);
    const first = await runScoring(pool, { runId: 'b1', partition: { index: 0, count: 1 }, models });
    expect(first).toMatchObject({ status: 'succeeded', applicationsSelected: N, decisionsWritten: N - 50 });
    for (const m of first.models) {
      expect(m.scoresWritten).toBe(N);
      expect(m.psi).not.toBeNull();
    }
    const after = await snapshotRecords(pool);
    expect(after.slice(0, streamed.length)).toEqual(streamed);
    const bySource = await pool.query(
      'SELECT source, count(*)::int AS n, count(DISTINCT application_id)::int AS apps FROM decision_record GROUP BY 1 ORDER BY 1',
    );
    expect(bySource.rows).toEqual([
      { source: 'batch', n: N - 50, apps: N - 50 },
      { source: 'stream', n: 50, apps: 50 },
    ]);
    const streamNow = await pool.query(
      `SELECT count(*)::int AS n FROM v_current_decision WHERE application_id = ANY($1) AND source = 'stream' AND decision = 'refer'`,
      [streamIds],
    );
    expect(streamNow.rows[0].n).toBe(50);

    // A rerun is idempotent: nothing selected, nothing written.
    const again = await runScoring(pool, { runId: 'b2', partition: { index: 0, count: 1 }, models });
    expect(again).toMatchObject({ status: 'succeeded', applicationsSelected: 0, decisionsWritten: 0 });
    expect(await snapshotRecords(pool)).toEqual(after);
  });

  it('a backfill killed mid-run leaves nothing; its rerun supersedes once, and another rerun adds nothing', async () => {
    const approved = await pool.query<{ application_id: string }>(
      `SELECT c.application_id FROM v_current_decision c JOIN fact_application a USING (application_id)
       WHERE c.decision = 'approve' AND c.source = 'batch' AND to_char(a.submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') = $1
       ORDER BY c.application_id LIMIT 1`,
      [day],
    );
    const target = approved.rows[0]?.application_id;
    if (target === undefined) throw new Error(`no approved application on ${day}`);
    await lateAlert(pool, target, day, 'late-1');
    const issued = await snapshotRecords(pool);
    const next = new Date(`${day}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    const args = ['--from', day, '--to', next.toISOString().slice(0, 10), '--reason', 'late fraud alert'];
    const env = { DATABASE_URL: db.url, SHARD_COUNT: '1', SCORER_LOCK_TIMEOUT_MS: '0' };

    // Crash: the backfill waits on a lock held by another session and is SIGKILLed there.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE decision_record IN EXCLUSIVE MODE');
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'risk-scorer', ...args], {
      cwd: REPO,
      env: { ...process.env, OPS_PORT: '-1', LOG_LEVEL: 'warn', RUN_ID: 'bf-killed', ...env },
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_c, sig) => resolve(sig)),
    );
    try {
      for (let i = 0; ; i++) {
        const waiting = await pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
             AND application_name = 'risk-scorer-0'`,
        );
        if (waiting.rowCount === 1) break;
        if (i > 600) throw new Error('the backfill never reached the lock');
        await new Promise((r) => setTimeout(r, 100));
      }
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    expect(await snapshotRecords(pool)).toEqual(issued);

    const rerun = await runCli({ ...env, RUN_ID: 'bf-rerun' }, args);
    expect(rerun.code, rerun.stderr).toBe(0);
    const after = await snapshotRecords(pool);
    expect(after.slice(0, issued.length)).toEqual(issued);
    expect(after.length).toBe(issued.length + 1);
    const head = await pool.query(
      `SELECT application_id, decision, source, revision, run_id, supersede_reason FROM v_current_decision WHERE revision > 1`,
    );
    expect(head.rows).toEqual([
      {
        application_id: target,
        decision: 'decline',
        source: 'backfill',
        revision: 2,
        run_id: 'bf-rerun',
        supersede_reason: expect.stringMatching(/^late fraud alert \(decision, .*fraud_severity/),
      },
    ]);
    const run = await pool.query(
      `SELECT decisions_written, decisions_superseded, mode FROM scoring_run WHERE run_id = 'bf-rerun' AND role = 'champion'`,
    );
    expect(run.rows[0]).toEqual({ decisions_written: 1, decisions_superseded: 1, mode: 'backfill' });

    const third = await runCli({ ...env, RUN_ID: 'bf-third' }, args);
    expect(third.code, third.stderr).toBe(0);
    expect(await snapshotRecords(pool)).toEqual(after);
    expect(ids.length).toBe(N);
  }, 120_000);

  it('with a decision grace, a fresh application is scored but left to the stream; a later run decides what the stream did not', async () => {
    const fresh = syntheticApplication(rng(7), { applicationId: '00000000-0000-4000-8000-00000000f00d' });
    await writeBatch(
      pool,
      {
        groupId: 'fresh',
        topic: 'apps',
        partition: 0,
        kind: 'applications',
        fetchedOffset: '0',
        messages: [{ offset: '0', key: null, value: Buffer.from(JSON.stringify(fresh)) }],
      },
      PARSERS,
    );
    const records = await snapshotRecords(pool);
    const young = await runScoring(pool, {
      runId: 'grace-1',
      partition: { index: 0, count: 1 },
      models,
      decisionGraceSeconds: 3600,
    });
    expect(young).toMatchObject({ status: 'succeeded', applicationsSelected: 1, decisionsWritten: 0 });
    expect(young.models.map((m) => m.scoresWritten)).toEqual([1, 1]);
    expect(await snapshotRecords(pool)).toEqual(records);

    const later = await runScoring(pool, { runId: 'grace-2', partition: { index: 0, count: 1 }, models });
    expect(later).toMatchObject({ status: 'succeeded', applicationsSelected: 1, decisionsWritten: 1 });
    expect(later.models.map((m) => m.scoresWritten)).toEqual([0, 0]);
    const d = await pool.query(
      'SELECT source, run_id, revision FROM decision_record WHERE application_id = $1',
      [fresh.applicationId],
    );
    expect(d.rows).toEqual([{ source: 'batch', run_id: 'grace-2', revision: 1 }]);
    const again = await runScoring(pool, { runId: 'grace-3', partition: { index: 0, count: 1 }, models });
    expect(again).toMatchObject({ applicationsSelected: 0, decisionsWritten: 0 });
  });

  it('while a decision service runs, no scoring run or backfill issues a first decision, however old the application; once none runs, the batch decides', async () => {
    const id = '00000000-0000-4000-8000-0000000c1a1e';
    await loadNow(pool, 11, [id]);
    const log = createLogger('test');
    const claim = await claimStreamDecisions(db.url, log);
    const other = await claimStreamDecisions(db.url, log); // a second replica
    try {
      expect(await streamDecides(pool)).toBe(true);
      const before = await snapshotRecords(pool);
      const run = await runScoring(pool, { runId: 'claimed-1', partition: { index: 0, count: 1 }, models });
      expect(run).toMatchObject({ status: 'succeeded', firstDecisions: 'stream', applicationsSelected: 1 });
      expect(run.decisionsWritten).toBe(0);
      expect(run.models.map((m) => m.scoresWritten)).toEqual([1, 1]);
      // A backfill over its day supersedes decided applications only; the undecided one stays the stream's.
      const day = (
        await pool.query<{ d: string }>(
          `SELECT to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d FROM fact_application WHERE application_id = $1`,
          [id],
        )
      ).rows[0]?.d as string;
      const next = new Date(`${day}T00:00:00Z`);
      next.setUTCDate(next.getUTCDate() + 1);
      const backfill = await runScoring(pool, {
        runId: 'claimed-bf',
        partition: { index: 0, count: 1 },
        models,
        backfill: { from: `${day}T00:00:00Z`, to: next.toISOString() },
      });
      expect(backfill).toMatchObject({ status: 'succeeded', firstDecisions: 'stream' });
      const mine = await pool.query('SELECT 1 FROM decision_record WHERE application_id = $1', [id]);
      expect(mine.rowCount).toBe(0);
      expect((await snapshotRecords(pool)).slice(0, before.length)).toEqual(before);
      // One replica gone: the stream still runs.
      await other.close();
      const still = await runScoring(pool, { runId: 'claimed-2', partition: { index: 0, count: 1 }, models });
      expect(still).toMatchObject({ firstDecisions: 'stream', decisionsWritten: 0 });
    } finally {
      await claim.close();
      await other.close();
    }
    // No decision service (scaled to 0, down): the batch decides what the stream did not.
    expect(await streamDecides(pool)).toBe(false);
    const after = await runScoring(pool, { runId: 'unclaimed', partition: { index: 0, count: 1 }, models });
    expect(after).toMatchObject({ status: 'succeeded', firstDecisions: 'batch', decisionsWritten: 1 });
    const d = await pool.query('SELECT source, run_id FROM decision_record WHERE application_id = $1', [id]);
    expect(d.rows).toEqual([{ source: 'batch', run_id: 'unclaimed' }]);
  });

  it('a decision service whose claim connection is lost takes the claim again on a new connection', async () => {
    const claim = await claimStreamDecisions(db.url, createLogger('test'), { retryMs: 100 });
    const claimPid = async () =>
      (
        await pool.query<{ pid: number }>(
          `SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)
           WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'decision-service-claim'
             AND a.datname = current_database()`,
        )
      ).rows.map((r) => r.pid);
    try {
      const [before] = await claimPid();
      expect(before).toBeDefined();
      await pool.query('SELECT pg_terminate_backend($1)', [before]);
      for (let i = 0; ; i++) {
        const now = await claimPid();
        if (now.length === 1 && now[0] !== before && claim.holding) break;
        if (i > 200) throw new Error('the claim was not taken again');
        await new Promise((r) => setTimeout(r, 50));
      }
      await claim.held();
      expect(await streamDecides(pool)).toBe(true);
    } finally {
      await claim.close();
    }
    expect(await streamDecides(pool)).toBe(false);
  });

  it('a decision service starting while a scoring run issues waits for its commit, then finds the batch’s decision standing', async () => {
    const id = '00000000-0000-4000-8000-0000000c1a2e';
    await loadNow(pool, 12, [id]);
    const log = createLogger('test');
    // The run checks (no stream), then waits on a lock before writing its records.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE decision_record IN EXCLUSIVE MODE');
    const waitingOn = async (app: string, type: string) => {
      for (let i = 0; ; i++) {
        const r = await pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1
             AND wait_event_type = 'Lock' AND wait_event = $2`,
          [app, type],
        );
        if (r.rowCount === 1) return;
        if (i > 600) throw new Error(`${app} never waited on a ${type} lock`);
        await new Promise((res) => setTimeout(res, 50));
      }
    };
    let claimTaken = false;
    let claimPromise: ReturnType<typeof claimStreamDecisions> | undefined;
    const runPromise = runScoring(pool, { runId: 'raced', partition: { index: 0, count: 1 }, models });
    try {
      await waitingOn('credit-platform', 'relation');
      claimPromise = claimStreamDecisions(db.url, log);
      void claimPromise.then(() => {
        claimTaken = true;
      });
      await waitingOn('decision-service-claim', 'advisory');
      expect(claimTaken).toBe(false);
    } finally {
      await blocker.query('ROLLBACK');
      await blocker.end();
    }
    const run = await runPromise;
    expect(run).toMatchObject({ status: 'succeeded', firstDecisions: 'batch', decisionsWritten: 1 });
    const claim = await (claimPromise as ReturnType<typeof claimStreamDecisions>);
    try {
      expect(await streamDecides(pool)).toBe(true);
      // The stream's decision of the same application: the batch's stands, and is what gets published.
      const { standing, issued } = await decisionRecords(pool).issue([streamDecision(id, new Date())]);
      expect(issued.size).toBe(0);
      expect(standing.map((r) => [r.source, r.runId])).toEqual([['batch', 'raced']]);
    } finally {
      await claim.close();
    }
  });
});
