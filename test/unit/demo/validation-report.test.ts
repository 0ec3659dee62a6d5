import { describe, expect, it } from 'vitest';
import { renderReport } from '../../../demo/report-html.ts';
import { formatSummary } from '../../../demo/report-text.ts';
import type { DemoSummary } from '../../../demo/summary.ts';
import {
  type ValidationSummary,
  validationChecks,
  validationLines,
  validationTables,
} from '../../../demo/validation-report.ts';

const validation: ValidationSummary = {
  load: {
    sourceFile: 'outcomes.csv',
    rowsRead: 100,
    valid: 100,
    rejected: 0,
    inserted: 100,
    updated: 0,
    unchanged: 0,
  },
  horizonMonths: 12,
  models: [
    {
      modelKey: 'm@1',
      role: 'champion',
      applications: 100,
      defaults: 10,
      badRate: 0.1,
      meanPd: 0.05,
      auc: 0.8,
      gini: 0.6,
      ks: 0.45,
      ksScore: 620,
    },
    {
      modelKey: 'm@2',
      role: 'challenger',
      applications: 100,
      defaults: 10,
      badRate: 0.1,
      meanPd: 0.06,
      auc: 0.82,
      gini: 0.64,
      ks: 0.5,
      ksScore: 630,
    },
  ],
  grades: [{ modelKey: 'm@1', grade: 'A', applications: 20, badRate: 0.01, meanPd: 0.02 }],
  championChallenger: [
    {
      championModel: 'm@1',
      challengerModel: 'm@2',
      applications: 100,
      championGini: 0.6,
      challengerGini: 0.64,
      giniDelta: 0.04,
      championKs: 0.45,
      challengerKs: 0.5,
      championApproveRate: 0.6,
      challengerApproveRate: 0.55,
      championApprovedBadRate: 0.04,
      challengerApprovedBadRate: 0.03,
    },
  ],
  stability: [
    {
      modelKey: 'm@1',
      characteristic: 'bureauScore',
      label: 'Credit bureau score <b>',
      referenceApplications: 80,
      recentApplications: 20,
      psi: 0.012,
    },
    {
      modelKey: 'm@2',
      characteristic: 'bureauScore',
      label: 'Credit bureau score',
      referenceApplications: 80,
      recentApplications: 20,
      psi: 0.011,
    },
  ],
};

describe('the demo report on loan outcomes', () => {
  it('passes its checks on a loaded, ranked, stable run and fails them otherwise', () => {
    expect(validationChecks(validation).every((c) => c.ok)).toBe(true);
    const rejected = { ...validation, load: { ...validation.load, rejected: 1, inserted: 0 } };
    expect(validationChecks(rejected)[0]?.ok).toBe(false);
    const flat = { ...validation, models: validation.models.map((m) => ({ ...m, gini: 0 })) };
    expect(validationChecks(flat)[1]?.ok).toBe(false);
    const noStability = { ...validation, stability: validation.stability.slice(0, 1) };
    expect(validationChecks(noStability)[2]?.ok).toBe(false);
  });

  it('shows every view, in the terminal and in the HTML report (escaped)', () => {
    expect(validationTables(validation).map((t) => t.title)).toEqual([
      'Discrimination per model (rpt_model_performance)',
      'Champion vs challenger on the same outcomes (rpt_champion_challenger_outcomes)',
      'Bad rate by grade (rpt_bad_rate_by_grade)',
      'Stability per characteristic (rpt_characteristic_stability)',
    ]);
    const lines = validationLines(validation).join('\n');
    expect(lines).toContain('m@1 (champion): Gini 0.600, KS 0.450');
    expect(lines).toContain('challenger m@2 vs champion: Gini +0.040');
    const summary = {
      startedAt: '2026-12-03T00:00:00Z',
      durationSeconds: 1,
      pipeline: { namespace: 'ns', name: 'demo', conditions: [] },
      applications: { generated: 1, accepted: 1, inWarehouse: 1, rejectedByApi: 0 },
      alerts: { total: 0, byRule: [] },
      quality: {
        overall: { applications: 0, fraudulent: 0, flagged: 0, precision: 0, recall: 0 },
        scenarios: [],
        rules: [],
      },
      decisions: [],
      grades: [],
      scoreHistogram: [],
      topReasons: [],
      latencyMs: { p50: null, p99: null, source: '' },
      deadLetters: { count: 0, reasons: [] },
      scoring: { status: 'succeeded', scored: 1, psi: null, durationSeconds: null },
      checks: [],
      validation,
    } as unknown as DemoSummary;
    const html = renderReport(summary);
    expect(html).toContain('<h2>Model validation on loan outcomes</h2>');
    expect(html).toContain('Credit bureau score &lt;b&gt;');
    expect(formatSummary(summary, 'r.html')).toContain('outcomes       100 loaded from outcomes.csv');
  });
});
