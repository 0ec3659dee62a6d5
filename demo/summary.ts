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
