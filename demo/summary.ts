/** What one demo run produced: the numbers the terminal summary and the HTML report show. */
import type { DetectionQuality } from './detection-quality.ts';

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
  latencyMs: { p50: number | null; p99: number | null; source: string };
  deadLetters: { count: number; reasons: Count[] };
  scoring: { status: string; scored: number; psi: number | null; durationSeconds: number | null };
  /** Checks that decide the exit code: each with what was expected and what was seen. */
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}
