/**
 * The scorer's Prometheus metrics. The Job serves them on OPS_PORT while it runs and for
 * METRICS_LINGER_SECONDS after it finishes (one more scrape); the figures that must outlive the pod
 * are also stored in scoring_run and exported by the loader (see README.md, "Metrics").
 * Labels: model (name@version), role, outcome, decision: no personal data.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RunSummary } from './batch.ts';

export interface ScorerMetrics {
  registry: Registry;
  record(summary: RunSummary): void;
}

export function createScorerMetrics(registry = new Registry()): ScorerMetrics {
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'risk_scorer_run_duration_seconds',
    help: 'Duration of a scoring run of one partition (shard) in seconds',
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
    registers: [registry],
  });
  const runs = new Counter({
    name: 'risk_scorer_runs_total',
    help: 'Scoring runs (one partition) finished, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: 'risk_scorer_last_success_timestamp_seconds',
    help: 'Unix time the last successful scoring run of this process finished',
    registers: [registry],
  });
  const psiGauge = new Gauge({
    name: 'risk_scorer_psi',
    help: "Population stability index of this run's score distribution against the model baseline",
    labelNames: ['model', 'role'],
    registers: [registry],
  });
  const scores = new Counter({
    name: 'risk_scorer_scores_written_total',
    help: 'Scores written to the warehouse, by model',
    labelNames: ['model', 'role'],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'risk_scorer_decisions_total',
    help: 'Champion decisions written, by decision',
    labelNames: ['decision'],
    registers: [registry],
  });
  for (const outcome of ['success', 'failure']) runs.inc({ outcome }, 0);
  return {
    registry,
    record(s) {
      duration.observe(s.durationMs / 1000);
      runs.inc({ outcome: s.status === 'succeeded' ? 'success' : 'failure' });
      if (s.status !== 'succeeded') return;
      lastSuccess.set(Date.now() / 1000);
      for (const m of s.models) {
        scores.inc({ model: m.modelKey, role: m.role }, m.scoresWritten);
        if (m.psi !== null) psiGauge.set({ model: m.modelKey, role: m.role }, m.psi);
      }
      for (const [decision, n] of Object.entries(s.decisions)) decisions.inc({ decision }, n);
    },
  };
}
