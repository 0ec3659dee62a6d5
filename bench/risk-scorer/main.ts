/**
 * Risk-scorer benchmark on the harness's PostgreSQL.
 *
 * Seeds BENCH_APPS applications (default 20 000) through the loader's writer, then measures
 * applications scored and written per second (champion + challenger scores and the champion's
 * decision: 3 rows per application, one transaction per partition) with 1 partition and with
 * 2 partitions in parallel. Next to it, on the same rows in the same run, three ceilings:
 *   A. raw COPY into unindexed tables (the fastest PostgreSQL takes the bytes),
 *   B. COPY into a temporary staging table + one set-based INSERT … ON CONFLICT into primary-keyed
 *      copies of the tables (indexes and checks, no foreign keys or triggers), and
 *   C. B's statements into the warehouse's own tables, foreign keys and trigger included (the
 *      ceiling for an idempotent writer of these rows into this schema).
 * Writes bench/results/risk-scorer.md. Bounded: BENCH_APPS rows, BENCH_REPEATS (default 3) repeats (the first pays the scorer's JIT warm-up, so best of 3 leaves it two warm samples).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../infra/lib/paths.ts';
import { createTestDatabase, rng } from '../../test/integration/warehouse/support.ts';
import { runScoring, SCORE_COLUMNS } from '../../workloads/risk-scorer/batch.ts';
import { BUILT_IN_CHALLENGER, BUILT_IN_CHAMPION, loadModelSet } from '../../workloads/risk-scorer/models.ts';
import { CopyText, type CopyValue, copyText, json } from '../../workloads/warehouse/copy.ts';
import { createPool, inTransaction, type Pool } from '../../workloads/warehouse/db.ts';
import { DECISION_RECORD_COLUMNS } from '../../workloads/warehouse/decision-records.ts';
import { loadApplications } from './load.ts';

const APPS = Number(process.env.BENCH_APPS ?? 20_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const models = loadModelSet(BUILT_IN_CHAMPION, BUILT_IN_CHALLENGER);
/** The decision record's columns the ceilings write (the writer's columns and revision 1). */
const DECISION_COLUMNS = [...DECISION_RECORD_COLUMNS, 'revision'] as const;

async function seed(pool: Pool): Promise<number> {
  const t0 = performance.now();
  await loadApplications(pool, rng(2026), APPS);
  return performance.now() - t0;
}

async function reset(pool: Pool): Promise<void> {
  // Decision records are append-only for every role: only the owner's deliberate DDL (switching the
  // trigger off, in this throwaway database) lets the bench start over.
  await inTransaction(pool, async (c) => {
    await c.query('ALTER TABLE decision_record DISABLE TRIGGER decision_record_no_truncate');
    await c.query('TRUNCATE decision_record, fact_credit_score, scoring_run');
    await c.query('ALTER TABLE decision_record ENABLE TRIGGER decision_record_no_truncate');
  });
  await pool.query('VACUUM ANALYZE fact_application');
}

/** Scores everything with `partitions` partitions in parallel (one pool each, like separate pods). */
let lastTimings = '';

async function scoreAll(url: string, partitions: number, runId: string): Promise<number> {
  const pools = Array.from({ length: partitions }, () => createPool(url, 2, 'bench-scorer'));
  // Connections are opened before the clock starts, as the ceilings' are (a pod opens them once).
  await Promise.all(
    pools.map(async (p) => {
      for (const c of await Promise.all([p.connect(), p.connect()])) c.release();
    }),
  );
  const t0 = performance.now();
  try {
    const summaries = await Promise.all(
      pools.map((p, index) => runScoring(p, { runId, partition: { index, count: partitions }, models })),
    );
    const failed = summaries.find((s) => s.status !== 'succeeded');
    if (failed) throw new Error(`scoring failed: ${failed.error}`);
    const scored = summaries.reduce((n, s) => n + s.applicationsSelected, 0);
    if (scored !== APPS) throw new Error(`scored ${scored} of ${APPS}`);
    const ms = performance.now() - t0;
    lastTimings = summaries
      .map(
        (s) =>
          `select ${Math.round(s.timings.selectMs)}, score ${Math.round(s.timings.scoreMs)}, writes ${Math.round(s.timings.writeMs)}`,
      )
      .join(' | ');
    return ms;
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
}

type Rows = { scores: CopyValue[][]; decisions: CopyValue[][] };

/** The rows the scorer wrote, as COPY values, so the ceilings write exactly the same data. */
async function producedRows(pool: Pool): Promise<Rows> {
  const s = await pool.query({
    text: `SELECT ${SCORE_COLUMNS.join(', ')} FROM fact_credit_score`,
    rowMode: 'array',
  });
  const d = await pool.query({
    text: `SELECT ${DECISION_COLUMNS.join(', ')} FROM decision_record`,
    rowMode: 'array',
  });
  const fix = (row: unknown[]): CopyValue[] =>
    row.map((v) =>
      v instanceof Date
        ? v.toISOString()
        : v !== null && typeof v === 'object' && !Array.isArray(v)
          ? json(v)
          : (v as CopyValue),
    );
  return { scores: s.rows.map(fix), decisions: d.rows.map(fix) };
}

/**
 * The rows as COPY text for `scores`/`decisions` tables, formatted before any ceiling's clock starts:
 * the ceilings time PostgreSQL taking the rows, not JavaScript formatting them (the scorer formats its
 * rows while it scores, inside its timed run).
 */
function formatted(
  rows: Rows,
  into: { scores: string; decisions: string },
): { scores: CopyText; decisions: CopyText } {
  const scores = new CopyText(into.scores, SCORE_COLUMNS);
  for (const r of rows.scores) scores.add(r);
  const decisions = new CopyText(into.decisions, DECISION_COLUMNS);
  for (const r of rows.decisions) decisions.add(r);
  return { scores, decisions };
}

async function ceilingRawCopy(pool: Pool, rows: Rows): Promise<number> {
  await pool.query('DROP TABLE IF EXISTS bench_raw_score, bench_raw_decision');
  await pool.query('CREATE TABLE bench_raw_score (LIKE fact_credit_score)');
  await pool.query(
    'CREATE TABLE bench_raw_decision (LIKE decision_record INCLUDING IDENTITY INCLUDING DEFAULTS)',
  );
  const text = formatted(rows, { scores: 'bench_raw_score', decisions: 'bench_raw_decision' });
  const t0 = performance.now();
  await inTransaction(pool, async (c) => {
    await copyText(c, text.scores);
    await copyText(c, text.decisions);
  });
  return performance.now() - t0;
}
/** COPY into staging tables, then one set-based idempotent upsert into the given tables (ms). */
async function stagedUpsert(
  pool: Pool,
  rows: Rows,
  into: { scores: string; decisions: string },
): Promise<number> {
  const text = formatted(rows, { scores: 'stage_s', decisions: 'stage_d' });
  const t0 = performance.now();
  await inTransaction(pool, async (c) => {
    await c.query('CREATE TEMP TABLE stage_s (LIKE fact_credit_score) ON COMMIT DROP');
    await c.query(
      `CREATE TEMP TABLE stage_d ON COMMIT DROP AS SELECT ${DECISION_COLUMNS.join(', ')} FROM decision_record WITH NO DATA`,
    );
    await copyText(c, text.scores);
    await copyText(c, text.decisions);
    await c.query(
      `INSERT INTO ${into.scores} (${SCORE_COLUMNS.join(', ')}) SELECT ${SCORE_COLUMNS.join(', ')} FROM stage_s
       ON CONFLICT (application_id, model_key) DO NOTHING`,
    );
    await c.query(
      `INSERT INTO ${into.decisions} (${DECISION_COLUMNS.join(', ')}) SELECT * FROM stage_d
       ON CONFLICT (application_id, revision) DO NOTHING`,
    );
  });
  return performance.now() - t0;
}

async function ceilingStagedUpsert(pool: Pool, rows: Rows): Promise<number> {
  await pool.query('DROP TABLE IF EXISTS bench_pk_score, bench_pk_decision');
  await pool.query('CREATE TABLE bench_pk_score (LIKE fact_credit_score INCLUDING ALL)');
  await pool.query('CREATE TABLE bench_pk_decision (LIKE decision_record INCLUDING ALL)');
  return stagedUpsert(pool, rows, { scores: 'bench_pk_score', decisions: 'bench_pk_decision' });
}

/**
 * Ceiling C: ceiling B's statements aimed at the warehouse's own tables (emptied first), so with
 * their foreign keys (scores → fact_application and dim_model, decisions → dim_model), the decision
 * record's chain trigger and every index: the least any idempotent writer of these rows into this
 * schema pays. The scorer writes the same tables.
 */
async function ceilingStagedUpsertIntoWarehouse(pool: Pool, rows: Rows): Promise<number> {
  await reset(pool);
  return stagedUpsert(pool, rows, { scores: 'fact_credit_score', decisions: 'decision_record' });
}

const best = (xs: number[]) => Math.min(...xs);
const rate = (ms: number) => Math.round(APPS / (ms / 1000));

async function main(): Promise<void> {
  const db = await createTestDatabase('bench_scorer');
  const pool = createPool(db.url, 4, 'bench');
  try {
    const seedMs = await seed(pool);
    await pool.query('VACUUM ANALYZE');
    const oneTimings: string[] = [];
    const one: number[] = [];
    const two: number[] = [];
    const raw: number[] = [];
    const staged: number[] = [];
    const stagedWarehouse: number[] = [];
    let rows: Rows | undefined;
    for (let i = 0; i < REPEATS; i++) {
      await reset(pool);
      one.push(await scoreAll(db.url, 1, `bench-1-${i}`));
      oneTimings.push(lastTimings);
      rows ??= await producedRows(pool);
      await reset(pool);
      two.push(await scoreAll(db.url, 2, `bench-2-${i}`));
      raw.push(await ceilingRawCopy(pool, rows));
      staged.push(await ceilingStagedUpsert(pool, rows));
      stagedWarehouse.push(await ceilingStagedUpsertIntoWarehouse(pool, rows));
    }
    const rssMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
    const row = (what: string, ms: number[]) =>
      `| ${what} | ${(best(ms) / 1000).toFixed(2)} | ${rate(best(ms))} | ${(best(staged) / best(ms)).toFixed(2)} | ${(best(stagedWarehouse) / best(ms)).toFixed(2)} |`;
    const lines = [
      '# risk-scorer benchmark',
      '',
      `${APPS} applications, champion + challenger scores and the champion decision per application`,
      `(${rows?.scores.length} score rows + ${rows?.decisions.length} decision rows), best of ${REPEATS}, on the harness PostgreSQL`,
      `(loopback, shared 2-core machine). Seeding through the loader's writer took ${(seedMs / 1000).toFixed(1)} s`,
      `(${rate(seedMs)} applications/s).`,
      '',
      '| what | seconds | applications/s | vs ceiling B | vs ceiling C |',
      '|---|---:|---:|---:|---:|',
      row('scorer, 1 partition (select + score + COPY staging + upsert + decide, one transaction)', one),
      row('scorer, 2 partitions in parallel', two),
      row('ceiling A: raw COPY of the same rows into unindexed tables', raw),
      row(
        'ceiling B: COPY into staging + set-based upsert into PK tables (indexes, no foreign keys or triggers)',
        staged,
      ),
      row(
        "ceiling C: ceiling B into the warehouse's own tables (their foreign keys, trigger, indexes)",
        stagedWarehouse,
      ),
      '',
      `All runs (ms): 1 partition ${one.map(Math.round).join(', ')}; 2 partitions ${two.map(Math.round).join(', ')};`,
      `raw COPY ${raw.map(Math.round).join(', ')}; staged upsert ${staged.map(Math.round).join(', ')}; staged upsert into the warehouse tables ${stagedWarehouse.map(Math.round).join(', ')}. Bench process RSS ${rssMiB} MiB.`,
      `Where the 1-partition scorer's time went (ms, per run): ${oneTimings.join('; ')}.`,
      '',
      '"vs ceiling B/C" is the ceiling\'s time divided by the row\'s time (1.00 = as fast as that idempotent-writer ceiling).',
      'Ceiling C writes the same rows into the same tables under the same constraints as the scorer: it is the',
      "scorer's ceiling (issue 15: ≥ 0.80). The ceilings' COPY text is formatted before their clock starts, and the",
      "scorer's connections are opened before its clock starts, as the ceilings' are.",
      'The scorer does more than the ceilings: it selects the unscored applications (anti-join), reads their fraud',
      'alerts, computes two scorecards and a decision per application, checks foreign keys and records scoring_run.',
      '',
    ];
    const text = lines.join('\n');
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench', 'results', 'risk-scorer.md'), text);
    process.stdout.write(text);
  } finally {
    await pool.end();
    await db.drop();
  }
}

await main();
