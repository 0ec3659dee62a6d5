import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FraudOpsSummary } from '../../../demo/fraud-ops.ts';
import { DEFAULT_PLAN } from '../../../demo/fraud-ops-plan.ts';
import { fraudOpsHtml, fraudOpsText } from '../../../demo/fraud-ops-report.ts';

const dir = mkdtempSync(join(tmpdir(), 'fraud-ops-report-'));
const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
writeFileSync(join(dir, 'q.png'), png);

const summary: FraudOpsSummary = {
  webhook: { endpoint: 'demo-receiver', url: 'http://127.0.0.1:4000/alerts', secret: 'demo-alert-webhook' },
  delivery: {
    liveAlerts: 10,
    enqueued: 10,
    delivered: 10,
    pending: 0,
    deadLettered: 0,
    retried: 2,
    attempts: 12,
    latencyMs: { p50: 120, p99: 900 },
  },
  receiver: {
    requests: 12,
    accepted: 10,
    duplicates: 0,
    signatureFailures: 0,
    refusedOnPurpose: 2,
    malformed: 0,
    byRule: { 'rule-<a>': 10 },
    missing: 0,
    unexpected: 0,
    duplicateKeys: 0,
    duplicatesWithoutRetry: 0,
  },
  cases: {
    opened: 8,
    applicationsWithLiveAlerts: 8,
    byStatus: [
      { label: 'open', count: 1 },
      { label: 'investigating', count: 1 },
      { label: 'confirmed_fraud', count: 5 },
      { label: 'legitimate', count: 0 },
      { label: 'inconclusive', count: 1 },
    ],
  },
  team: {
    cases: 8,
    resolved: { confirmed_fraud: 5, legitimate: 0, inconclusive: 1 },
    investigating: 1,
    notes: 2,
    leftOpen: 1,
    unlabelled: 0,
    requests: 20,
    seconds: 1.5,
    refusals: { noToken: 401, analystReassigns: 403 },
    analyst: 'system:serviceaccount:lending:fraud-analyst',
    lead: 'system:serviceaccount:lending:fraud-lead',
    plan: { seed: 1, ...DEFAULT_PLAN },
  },
  precision: [
    {
      ruleId: 'rule-<a>',
      alerts: 10,
      resolved: 6,
      confirmedFraud: 5,
      legitimate: 0,
      inconclusive: 1,
      precision: 5 / 6,
      expectedFromLabels: 5 / 6,
      consistent: true,
      labelPrecision: 1,
      mode: 'live',
    },
  ],
  screenshots: { queue: join(dir, 'q.png'), rules: join(dir, 'missing.png') },
  seconds: { waitingForCasesAndDeliveries: 1, working: 2, screenshots: 3, total: 6 },
  checks: [],
};

describe('the fraud-ops report section', () => {
  it('shows deliveries, cases and verdict precision beside the labels, escaped, with the screenshot embedded', () => {
    const html = fraudOpsHtml(summary);
    expect(html).toContain('rule-&lt;a&gt;');
    expect(html).not.toContain('rule-<a>');
    expect(html).toContain('<td>83.3%</td><td>83.3%</td><td>100.0%</td>');
    expect(html).toContain(`data:image/png;base64,${png.toString('base64')}`);
    expect(html).toContain('Screenshot');
    expect(html).toContain('missing.png is missing');
    expect(html).toMatch(/Signature failures<b class="ok">0<\/b>/);
  });

  it('prints the same numbers on the terminal', () => {
    const text = fraudOpsText(summary).join('\n');
    expect(text).toContain('10 live alerts → 10 delivered to demo-receiver (2 retried, 0 dead-lettered');
    expect(text).toContain('0 duplicates, 0 signature failures');
    expect(text).toContain('confirmed fraud 5');
    expect(text).toMatch(/rule-<a>\s+83\.3% \/ {2}83\.3% \/ 100\.0%/);
    expect(text).toContain('loop cost      6.0 s');
  });
});
