/**
 * Scoring-run metrics read from the warehouse at scrape time: the risk scorer is a short-lived Job, so
 * the figures that must outlive its pods (last success, PSI, rows scored) are stored in `scoring_run`
 * and exported by the long-running warehouse loader. See workloads/risk-scorer/README.md.
 * Labels: model (name@version) and role only: no personal data.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Pool } from './db.ts';

interface LastRunRow {
  model_key: string;
  role: string;
  finished_epoch: number;
  duration_seconds: number;
  psi: number | null;
  scores_written: string;
  partitions: string;
}

/** Runs (run_id groups) per model and status: failed if any partition failed, running if any still runs. */
const RUN_COUNTS_SQL = `
WITH runs AS (
  SELECT run_id, model_key, min(role) AS role,
         CASE WHEN bool_or(status = 'failed') THEN 'failed'
              WHEN bool_or(status = 'running') THEN 'running' ELSE 'succeeded' END AS status
  FROM scoring_run GROUP BY run_id, model_key
)
SELECT model_key, role, status, count(*)::double precision AS runs FROM runs GROUP BY model_key, role, status`;

interface RunCountRow {
  model_key: string;
  role: string;
  status: string;
  runs: number;
}

/** Aggregates the latest run of each model whose partitions all succeeded. */
const LAST_RUN_SQL = `
WITH runs AS (
  SELECT run_id, model_key, min(role) AS role, min(started_at) AS started_at, max(finished_at) AS finished_at,
         bool_and(status = 'succeeded') AS ok, sum(scores_written) AS scores_written, count(*) AS partitions
  FROM scoring_run GROUP BY run_id, model_key
), latest AS (
  SELECT DISTINCT ON (model_key) * FROM runs WHERE ok ORDER BY model_key, finished_at DESC
)
SELECT l.model_key, l.role, extract(epoch FROM l.finished_at)::double precision AS finished_epoch,
       extract(epoch FROM l.finished_at - l.started_at)::double precision AS duration_seconds,
       d.psi, l.scores_written::text, l.partitions::text
FROM latest l LEFT JOIN rpt_score_drift d ON d.run_id = l.run_id AND d.model_key = l.model_key`;

export function registerScoringRunMetrics(registry: Registry, pool: Pool): void {
  let cache: { at: number; rows: Promise<LastRunRow[]> } | undefined;
  // One query per scrape even though three gauges collect.
  const rows = (): Promise<LastRunRow[]> => {
    const now = Date.now();
    if (cache === undefined || now - cache.at > 1000) {
      cache = {
        at: now,
        rows: pool.query<LastRunRow>(LAST_RUN_SQL).then(
          (r) => r.rows,
          () => [],
        ),
      };
    }
    return cache.rows;
  };
  new Gauge({
    name: 'warehouse_scoring_last_success_timestamp_seconds',
    help: 'Unix time the last scoring run of the model finished with every partition succeeded (from scoring_run)',
    labelNames: ['model', 'role'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await rows()) this.set({ model: r.model_key, role: r.role }, r.finished_epoch);
    },
  });
  new Gauge({
    name: 'warehouse_scoring_last_run_duration_seconds',
    help: 'Wall time of the last successful scoring run of the model (first partition start to last partition end)',
    labelNames: ['model', 'role'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await rows()) this.set({ model: r.model_key, role: r.role }, r.duration_seconds);
    },
  });
  new Gauge({
    name: 'warehouse_scoring_runs',
    help: 'Scoring runs recorded in the warehouse, by model, role and status (succeeded, failed, running)',
    labelNames: ['model', 'role', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await pool.query<RunCountRow>(RUN_COUNTS_SQL).then(
        (r) => r.rows,
        () => [],
      );
      for (const r of counts) this.set({ model: r.model_key, role: r.role, status: r.status }, r.runs);
    },
  });
  new Gauge({
    name: 'warehouse_scoring_last_run_psi',
    help: 'Population stability index of the last successful scoring run against the model baseline',
    labelNames: ['model', 'role'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await rows()) if (r.psi !== null) this.set({ model: r.model_key, role: r.role }, r.psi);
    },
  });
  new Gauge({
    name: 'warehouse_scoring_last_run_scores',
    help: 'Scores written by the last successful scoring run of the model',
    labelNames: ['model', 'role'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await rows()) this.set({ model: r.model_key, role: r.role }, Number(r.scores_written));
    },
  });
}
