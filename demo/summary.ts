/** What one demo run produced: the numbers the terminal summary and the HTML report show. */
import { alertDefaults } from '../api/alert-thresholds.ts';
import type { StreamDecisions } from './decision-latency.ts';
import type { DetectionQuality } from './detection-quality.ts';
import type { FraudOpsSummary } from './fraud-ops.ts';
import type { ValidationSummary } from './validation-report.ts';

export interface Count {
  label: string;
  count: number;
}

export interface DemoSummary {
  startedAt: string;
  durationSeconds: number;
  /** What the run's latencies were measured under (see `conditionsLine`). */
  conditions?: RunConditions;
  pipeline: {
    namespace: string;
    name: string;
    conditions: Array<{ type: string; status: string; reason: string; message: string }>;
  };
  applications: { generated: number; accepted: number; inWarehouse: number; rejectedByApi: number };
  alerts: { total: number; byRule: Array<{ ruleId: string; severity: string; mode: string; count: number }> };
  quality: DetectionQuality;
  decisions: Count[];
  grades: Count[];
  scoreHistogram: Count[];
  topReasons: Count[];
  latencyMs: {
    p50: number | null;
    p99: number | null;
    /** Applications received before the demo killed a detector process (the whole run includes the restart). */
    beforeKill?: { applications: number; p50: number | null; p99: number | null };
    source: string;
  };
  /** Decisions issued in the stream by the decision service (demo/decision-latency.ts). */
  streamDecisions?: StreamDecisions;
  deadLetters: { count: number; reasons: Count[] };
  scoring: { status: string; scored: number; psi: number | null; durationSeconds: number | null };
  /** The fraud-operations loop: webhook deliveries, cases worked by analysts, precision from verdicts. */
  fraudOps?: FraudOpsSummary;
  /** Model validation on the generated loan outcomes (demo/validation-report.ts). */
  validation?: ValidationSummary;
  /** Checks that decide the exit code: each with what was expected and what was seen. */
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

/**
 * What a population stability index says, in the usual bands (< 0.1 stable, 0.1 to the alert
 * threshold moderate, above it a shift that fires ScorecardPopulationShift).
 */
export function psiReading(psi: number | null): string {
  if (psi === null) return 'PSI n/a';
  const threshold = alertDefaults.psiThreshold;
  const band =
    psi < 0.1
      ? 'stable'
      : psi <= threshold
        ? 'moderate shift'
        : `population shift, above the ${threshold} alert threshold: the synthetic applicants differ from the scorecard's development sample, which in production would fire ScorecardPopulationShift`;
  return `PSI ${psi.toFixed(3)} (${band})`;
}

/** The traffic and the machine a demo run's figures come from. */
export interface RunConditions {
  /** Applications posted per second by the demo's generator (its target rate). */
  ratePerSecond: number;
  /** CPU cores of this machine, shared by everything the demo runs. */
  cores: number;
}

/**
 * How to read the run's latencies: every part of the demo shares the machine's cores, so they include
 * waiting for a core; the latency of the decision path alone at fixed rates is what bench/decisions
 * measures.
 */
export function conditionsLine(c: RunConditions): string {
  return `Traffic posted at up to ${c.ratePerSecond} applications/s; the node (kubelet, containerd), the control plane, Kafka, PostgreSQL, the Mongo-wire store, Prometheus, the operator and every pod of the pipeline share this machine's ${c.cores} CPU core${c.cores === 1 ? '' : 's'}, so the latencies include waiting for a core. The decision path's own latency at fixed rates: bench/decisions (workloads/decision-service/README.md, "Latency").`;
}
