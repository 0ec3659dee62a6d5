/**
 * One scoring run of one partition, in one transaction:
 *   select the partition's applications not yet scored by every active model (or, in backfill mode,
 *   every application submitted in the range) → score with the champion and the challengers → decide
 *   with the champion → page by page, COPY scores and decisions into temporary staging tables →
 *   scores: set-based upserts keyed by (application_id, model_key); decisions: records (decision-records.ts), never
 *   rewritten: an incremental run issues the first decision of applications nobody has decided yet
 *   (the decision service or an earlier run keeps its record), a backfill appends a superseding record,
 *   with its reason, where the champion's decision now differs from the current one → mark the
 *   partition's scoring_run rows succeeded, with counts, score histogram and PSI → COMMIT.
 * A failure rolls everything back (no partial scores or decisions are ever visible), marks the rows
 * failed, and the next run picks the same applications up again.
 */
import type pg from 'pg';
import type { EmploymentStatus } from '../contract/application.ts';
import { CopyText, copyText } from '../warehouse/copy.ts';
import type { Pool } from '../warehouse/db.ts';
import { batchMayIssue, releaseBatchIssue } from '../warehouse/decision-authority.ts';
import {
  DECISION_RECORD_COLUMNS,
  decisionRecordLine,
  issueStaged,
  STAGE_DECISION_RECORD_DDL,
  supersedeStaged,
} from '../warehouse/decision-records.ts';
import { decisionRecordInput } from './decision-record.ts';
import { type ActiveModel, type ModelSet, registerModels } from './models.ts';
import { type Partition, partitionPredicate, validatePartition } from './partition.ts';
import { SCORE_COLUMNS, scoreRowLine } from './score-rows.ts';
import type { ScoringInput } from './scorecard/characteristics.ts';
import { decide, type FraudAlertFact } from './scorecard/decision.ts';
import { histogram, psi } from './scorecard/psi.ts';
import type { Decision } from './scorecard/schema.ts';
import { scoreApplication } from './scorecard/score.ts';

export interface ScoringOptions {
  runId: string;
  partition: Partition;
  models: ModelSet;
  /**
   * Backfill: rescore every application submitted in [from, to) (UTC). Scores are recomputed in place;
   * decisions that now differ get a superseding record carrying `reason` (default
   * "backfill <from>..<to>"); issued records are never changed.
   */
  backfill?: { from: string; to: string; reason?: string };
  pageSize?: number;
  /**
   * Incremental runs issue a first decision only while no decision service runs (its claim,
   * warehouse/decision-authority.ts: then every undecided application is the stream's), and then only
   * for applications loaded at least this many seconds before the run started (default 0). The
   * operator sets it while spec.decisions.replicas > 0, so a service restarting keeps what it would
   * decide seconds later, and the batch decides what the stream could not (scaled to 0, down).
   */
  decisionGraceSeconds?: number;
  /** Lock timeout for the partition transaction (ms); 0 = wait forever. */
  lockTimeoutMs?: number;
  now?: () => Date;
}

export interface ModelRunSummary {
  modelKey: string;
  role: ActiveModel['role'];
  scoresWritten: number;
  histogram: number[];
  psi: number | null;
}

export interface RunSummary {
  runId: string;
  partition: Partition;
  mode: 'incremental' | 'backfill';
  status: 'succeeded' | 'failed';
  /**
   * Who issues first decisions of what this run selected: 'batch' when no decision service ran at its
   * check, else 'stream' (a backfill then only supersedes applications already decided).
   */
  firstDecisions: 'batch' | 'stream';
  applicationsSelected: number;
  /** Decision records written: first decisions plus (backfill) superseding records. */
  decisionsWritten: number;
  /** Of those, superseding records (backfill only). */
  decisionsSuperseded: number;
  decisions: Record<Decision, number>;
  models: ModelRunSummary[];
  durationMs: number;
  /**
   * What the run waited for (ms): reading pages, scoring them in TypeScript, and the writes (COPY to
   * staging and upserts, page by page) of earlier pages.
   */
  timings: { selectMs: number; scoreMs: number; writeMs: number };
  error?: string;
}

interface ApplicationRow {
  application_id: string;
  annual_income: string;
  monthly_debt_payments: string;
  loan_amount: string;
  term_months: number;
  bureau_score: number | null;
  delinquencies_24m: number;
  credit_history_months: number;
  months_in_job: number;
  bankruptcies: number;
  employment_status: EmploymentStatus;
  alerts: FraudAlertFact[] | null;
  /** Whether the champion's decision is to be issued (incremental: none issued yet, past the grace). */
  decide: boolean;
}

export { SCORE_COLUMNS } from './score-rows.ts';

const STAGING_DDL = `
CREATE TEMP TABLE IF NOT EXISTS stage_credit_score (LIKE fact_credit_score) ON COMMIT DELETE ROWS;
${STAGE_DECISION_RECORD_DDL}`;

function toInput(r: ApplicationRow): ScoringInput {
  return {
    annualIncome: Number(r.annual_income),
    monthlyDebtPayments: Number(r.monthly_debt_payments),
    loanAmount: Number(r.loan_amount),
    termMonths: r.term_months,
    bureauScore: r.bureau_score,
    delinquencies24m: r.delinquencies_24m,
    creditHistoryMonths: r.credit_history_months,
    monthsInJob: r.months_in_job,
    bankruptcies: r.bankruptcies,
    employmentStatus: r.employment_status,
  };
}

/**
 * Selection of one page (keyset on application_id) of the partition's applications: backfill, those
 * submitted in the range; incremental, those missing a score of an active model or, past the grace
 * ($6), without any decision record.
 */
function selectPageSql(backfill: boolean): string {
  const undecided = `NOT EXISTS (SELECT 1 FROM decision_record d WHERE d.application_id = a.application_id AND d.revision = 1)
         AND a.loaded_at <= $6`;
  const which = backfill
    ? 'a.submitted_at >= $4 AND a.submitted_at < $5'
    : `(EXISTS (SELECT 1 FROM unnest($4::text[]) AS m(model_key)
               WHERE NOT EXISTS (SELECT 1 FROM fact_credit_score s
                                 WHERE s.application_id = a.application_id AND s.model_key = m.model_key))
        OR (${undecided}))`;
  return `
SELECT a.application_id, a.annual_income, a.monthly_debt_payments, a.loan_amount, a.term_months, a.bureau_score,
       a.delinquencies_24m, a.credit_history_months, a.months_in_job, a.bankruptcies, a.employment_status,
       (SELECT json_agg(json_build_object('ruleId', f.rule_id, 'severity', f.severity, 'mode', f.mode))
          FROM fact_fraud_alert f WHERE f.application_id = a.application_id) AS alerts,
       ${backfill ? 'true' : `(${undecided})`} AS decide
FROM fact_application a
WHERE ${partitionPredicate(1)} AND a.application_id > $3 AND ${which}
ORDER BY a.application_id
LIMIT ${backfill ? '$6' : '$5'}`;
}

async function markRunning(
  pool: Pool,
  o: ScoringOptions,
  mode: RunSummary['mode'],
  startedAt: Date,
): Promise<void> {
  for (const m of o.models.all) {
    await pool.query(
      `INSERT INTO scoring_run (run_id, partition_index, model_key, role, partition_count, mode, status, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'running', $7)
       ON CONFLICT (run_id, partition_index, model_key) DO UPDATE SET
         status = 'running', started_at = excluded.started_at, finished_at = NULL, duration_ms = NULL, error = NULL`,
      [o.runId, o.partition.index, m.key, m.role, o.partition.count, mode, startedAt],
    );
  }
}

/** Applications scored between two yields to the event loop, so a COPY in flight keeps streaming. */
const SCORE_SLICE = 100;
/** Applications in the first page (later pages double, up to `pageSize`). */
const FIRST_PAGE = 500;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A promise whose rejection is reported where it is awaited, not as an unhandled rejection first. */
function awaitedLater<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/**
 * Scores one partition. Pipelined on two connections when the pool has two: while the writer's COPY
 * and upserts of page n run, the next page is read on the other connection and scored here (in
 * slices that let the COPY keep streaming). What the reads see does not depend on that: pages are
 * keyset-ordered, so what the run wrote for earlier pages (uncommitted, and visible only to the
 * writer's own connection) concerns applications no later page selects.
 */
async function scorePartition(
  pool: Pool,
  client: pg.PoolClient,
  o: ScoringOptions,
  summary: RunSummary,
  decidedAt: Date,
  issueFirst: boolean,
): Promise<void> {
  const backfill = o.backfill !== undefined;
  const pageSize = o.pageSize ?? 5000;
  const { champion } = o.models;
  const scores = new Map<string, number[]>(o.models.all.map((m) => [m.key, []]));
  const models = o.models.all.map((m) => ({
    active: m,
    model: m.model,
    scores: scores.get(m.key) as number[],
    line: scoreRowLine({ modelKey: m.key, role: m.role, runId: o.runId, scoredAt: decidedAt }),
  }));
  await client.query(STAGING_DDL);
  const sql = selectPageSql(backfill);
  // Reads on a second pooled connection when there is one (pg.Pool queues a query for a free client).
  const reader: Pick<pg.PoolClient, 'query'> = (pool.options.max ?? 10) >= 2 ? pool : client;
  const readPage = (last: string, size: number) => {
    const params: unknown[] = [o.partition.count, o.partition.index, last];
    if (backfill && o.backfill) params.push(o.backfill.from, o.backfill.to, size);
    else
      params.push(
        o.models.all.map((m) => m.key),
        size,
        // Loaded no later than this to be decided here; '-infinity' (the stream decides): none.
        issueFirst ? new Date(decidedAt.getTime() - (o.decisionGraceSeconds ?? 0) * 1000) : '-infinity',
      );
    return awaitedLater(reader.query<ApplicationRow>(sql, params).then((r) => r.rows));
  };
  const scorePage = async (rows: readonly ApplicationRow[]) => {
    // Formatted as COPY text here, while scoring: sending it later costs no work per row.
    const scoreText = new CopyText('stage_credit_score', SCORE_COLUMNS);
    const decisionText = new CopyText('stage_decision_record', DECISION_RECORD_COLUMNS);
    for (let i = 0; i < rows.length; i++) {
      if (i > 0 && i % SCORE_SLICE === 0) await yieldToEventLoop();
      const row = rows[i] as ApplicationRow;
      const input = toInput(row);
      for (const m of models) {
        const s = scoreApplication(m.model, input);
        m.scores.push(s.score);
        scoreText.addLine(m.line(row.application_id, s));
        if (m.active === champion && row.decide) {
          const d = decide(m.model, input, s, row.alerts ?? []);
          decisionText.addLine(
            decisionRecordLine(
              decisionRecordInput(d, input, m.active, {
                applicationId: row.application_id,
                source: backfill ? 'backfill' : 'batch',
                runId: o.runId,
                issuedAt: decidedAt,
              }),
            ),
          );
        }
      }
    }
    return { scoreText, decisionText };
  };
  const writtenByModel = new Map<string, number>();
  const written: Decision[] = [];
  const onConflictScore = backfill
    ? `DO UPDATE SET role = excluded.role, score = excluded.score, pd = excluded.pd, grade = excluded.grade,
         total_points = excluded.total_points, points = excluded.points, reason_codes = excluded.reason_codes,
         run_id = excluded.run_id, scored_at = excluded.scored_at`
    : 'DO NOTHING';
  // Every model's scores in one statement (one pass over staging); rows written counted per model.
  const upsertScoresSql = `WITH written AS (
       INSERT INTO fact_credit_score (${SCORE_COLUMNS.join(', ')})
       SELECT ${SCORE_COLUMNS.join(', ')} FROM stage_credit_score
       ON CONFLICT (application_id, model_key) ${onConflictScore}
       RETURNING model_key)
     SELECT model_key, count(*)::int AS written FROM written GROUP BY model_key`;
  const supersedeReason = o.backfill
    ? (o.backfill.reason ?? `backfill ${o.backfill.from.slice(0, 10)}..${o.backfill.to.slice(0, 10)}`)
    : '';
  /**
   * Writes one page on the writer's connection: COPY into staging, the scores' upsert, the decision
   * records (decisions are records, never overwritten: see decision-records.ts), staging emptied for
   * the next page. Pages hold disjoint applications (keyset order), so writing page by page writes
   * exactly what one set-based statement over every page would. `copied` settles when PostgreSQL has
   * taken the page's rows: the caller scores nothing meanwhile, because a COPY is fed by this event
   * loop and scoring between its pieces left PostgreSQL waiting for them (the COPY took 40 % longer
   * than alone). The set-based statements that follow need nothing from this process, so the next
   * page is read and scored while they run.
   */
  const writePage = (page: { scoreText: CopyText; decisionText: CopyText }) => {
    const copied = awaitedLater(
      (async () => {
        await copyText(client, page.scoreText);
        if (page.decisionText.rows > 0) await copyText(client, page.decisionText);
      })(),
    );
    const done = awaitedLater(
      (async () => {
        await copied;
        const counts = await client.query<{ model_key: string; written: number }>(upsertScoresSql);
        for (const r of counts.rows)
          writtenByModel.set(r.model_key, (writtenByModel.get(r.model_key) ?? 0) + r.written);
        if (page.decisionText.rows > 0) {
          if (o.backfill !== undefined) {
            const r = await supersedeStaged(client, supersedeReason, { issueFirst });
            written.push(...r.issued, ...r.superseded);
            summary.decisionsSuperseded += r.superseded.length;
          } else if (issueFirst) written.push(...(await issueStaged(client)));
        }
        await client.query('TRUNCATE stage_credit_score, stage_decision_record');
      })(),
    );
    return { copied, done };
  };

  // Timings are what the run waited for: reading a page, scoring it, the writes of earlier pages.
  // A small first page starts the pipeline sooner: only its reading and scoring wait alone. Pages then
  // double up to `pageSize`: writing a page takes longer than reading and scoring one of the same
  // size, so the writer, busy with page n, is not left waiting while a much larger page n+1 is scored.
  let size = Math.min(pageSize, FIRST_PAGE);
  let next: Promise<ApplicationRow[]> | undefined = readPage('00000000-0000-0000-0000-000000000000', size);
  let writing: Promise<void> | undefined;
  try {
    while (next !== undefined) {
      let t = performance.now();
      const rows = await next;
      next = undefined;
      summary.timings.selectMs += performance.now() - t;
      if (rows.length === 0) break;
      if (rows.length === size) {
        size = Math.min(pageSize, size * 2);
        next = readPage(rows[rows.length - 1]?.application_id as string, size);
      }
      t = performance.now();
      const page = await scorePage(rows);
      summary.timings.scoreMs += performance.now() - t;
      t = performance.now();
      await writing; // the previous page's statements, run while this page was read and scored
      const w = writePage(page);
      writing = w.done;
      await w.copied; // nothing scored while PostgreSQL takes this page's rows (see writePage)
      summary.timings.writeMs += performance.now() - t;
      summary.applicationsSelected += rows.length;
    }
    const t = performance.now();
    await writing;
    summary.timings.writeMs += performance.now() - t;
  } finally {
    // On failure, let a read or write still in flight finish before the caller rolls back and releases.
    await Promise.allSettled([next, writing]);
  }

  for (const m of o.models.all) {
    const h = histogram(scores.get(m.key) ?? [], m.model.baseline.edges);
    summary.models.push({
      modelKey: m.key,
      role: m.role,
      scoresWritten: writtenByModel.get(m.key) ?? 0,
      histogram: h,
      psi: psi(h, m.model.baseline.proportions),
    });
  }
  summary.decisionsWritten = written.length;
  for (const d of written) summary.decisions[d]++;
}

async function markFinished(
  db: Pool | pg.PoolClient,
  o: ScoringOptions,
  s: RunSummary,
  finishedAt: Date,
): Promise<void> {
  for (const m of o.models.all) {
    const ms = s.models.find((x) => x.modelKey === m.key);
    const isChampion = m.role === 'champion';
    await db.query(
      `UPDATE scoring_run SET status = $4, finished_at = $5, duration_ms = $6, applications_selected = $7,
         scores_written = $8, decisions_written = $9, approved = $10, referred = $11, declined = $12,
         score_histogram = $13, psi = $14, error = $15, decisions_superseded = $16
       WHERE run_id = $1 AND partition_index = $2 AND model_key = $3`,
      [
        o.runId,
        o.partition.index,
        m.key,
        s.status,
        finishedAt,
        Math.round(s.durationMs),
        s.applicationsSelected,
        ms?.scoresWritten ?? 0,
        isChampion ? s.decisionsWritten : 0,
        isChampion ? s.decisions.approve : 0,
        isChampion ? s.decisions.refer : 0,
        isChampion ? s.decisions.decline : 0,
        ms?.histogram ?? null,
        ms?.psi ?? null,
        s.error ?? null,
        isChampion ? s.decisionsSuperseded : 0,
      ],
    );
  }
}

/** Scores one partition; resolves with the summary (status failed included) and never half-writes. */
export async function runScoring(pool: Pool, options: ScoringOptions): Promise<RunSummary> {
  validatePartition(options.partition);
  const now = options.now ?? (() => new Date());
  const mode = options.backfill === undefined ? 'incremental' : 'backfill';
  const startedAt = now();
  const t0 = performance.now();
  await registerModels(pool, options.models);
  await markRunning(pool, options, mode, startedAt);
  const fresh = (): RunSummary => ({
    runId: options.runId,
    partition: options.partition,
    mode,
    status: 'succeeded',
    firstDecisions: 'batch',
    applicationsSelected: 0,
    decisionsWritten: 0,
    decisionsSuperseded: 0,
    decisions: { approve: 0, refer: 0, decline: 0 },
    models: [],
    durationMs: 0,
    timings: { selectMs: 0, scoreMs: 0, writeMs: 0 },
  });
  let summary = fresh();
  const client = await pool.connect();
  let issuing = false;
  /** Whether ISSUE may be held on this connection (from the check until the end). */
  let holdsIssue = false;
  try {
    await client.query('BEGIN');
    if (options.lockTimeoutMs !== undefined)
      await client.query(`SET LOCAL lock_timeout = ${Math.max(0, Math.floor(options.lockTimeoutMs))}`);
    // First decisions: ours only while no decision service runs (held until the transaction ends).
    holdsIssue = true;
    issuing = await batchMayIssue(client);
    holdsIssue = issuing;
    summary.firstDecisions = issuing ? 'batch' : 'stream';
    await scorePartition(pool, client, options, summary, startedAt, issuing);
    summary.durationMs = performance.now() - t0;
    await markFinished(client, options, summary, now());
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    summary = { ...fresh(), status: 'failed', error: err instanceof Error ? err.message : String(err) };
    summary.durationMs = performance.now() - t0;
    await markFinished(pool, options, summary, now()).catch(() => undefined);
  } finally {
    // A connection whose lock cannot be released is not returned to the pool for reuse.
    const unlocked = holdsIssue
      ? await releaseBatchIssue(client).then(
          () => true,
          () => false,
        )
      : true;
    client.release(unlocked ? undefined : true);
  }
  return summary;
}
