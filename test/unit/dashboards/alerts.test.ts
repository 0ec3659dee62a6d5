import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertDefaults } from '../../../api/alert-thresholds.ts';
import { selector } from '../../../dashboards/alerts/promql.ts';
import { alertRuleGroups, operatorAlertRuleGroups, runbookAnchor } from '../../../dashboards/alerts/rules.ts';
import { alertExpressions } from '../../../dashboards/inspect.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const runbooks = readFileSync(join(root, 'docs', 'runbooks.md'), 'utf8');
const alerts = alertRuleGroups().flatMap((g) => g.rules);

describe('alert rules', () => {
  it('cover every condition the issue lists', () => {
    expect([...new Set(alerts.map((a) => a.alert))].sort()).toEqual(
      [
        'DeadLetterSpike',
        'EndToEndLatencyP99High',
        'FraudAlertRateAnomaly',
        'ConsumerLagHigh',
        'CreditPipelineDegraded',
        'CreditPipelinePartNotReady',
        'FraudDetectorDown',
        'FraudDetectorNotConsuming',
        'OperatorReconcileErrors',
        'RiskScoringRunFailed',
        'RiskScoringRunMissing',
        'ScorecardPopulationShift',
        'FraudRulePrecisionLow',
        'AlertDeliveryDeadLetters',
        'AlertDeliveryBacklogHigh',
      ].sort(),
    );
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    '%s has a severity, a summary and a runbook section',
    (name, a) => {
      expect(['critical', 'warning']).toContain(a.labels.severity);
      expect(a.annotations.summary?.length).toBeGreaterThan(0);
      expect(a.annotations.runbook_url).toMatch(new RegExp(`/docs/runbooks\\.md#${runbookAnchor(name)}$`));
      expect(runbooks).toMatch(new RegExp(`^## ${name}$`, 'm'));
    },
  );

  it('has no runbook section without an alert', () => {
    const sections = [...runbooks.matchAll(/^## (\w+)$/gm)].map((m) => m[1]);
    expect(sections.sort()).toEqual([...new Set(alerts.map((a) => a.alert))].sort());
  });

  it('scopes every metric selector to the given matchers, and labels the alerts with them', () => {
    const scoped = alertRuleGroups({ matchers: { namespace: 'risk-eu' }, includeOperator: false });
    for (const { alert, expr } of alertExpressions(scoped)) {
      const selectors =
        expr.match(/[a-zA-Z0-9_:]+(\{[^}]*\})?(?=\s*(\[|\)|$| ==| >| or| and| offset))/g) ?? [];
      const metrics = selectors.filter((s) =>
        /_(total|seconds|lag|bucket|psi|failed|precision|resolved_alerts|backlog)\b|^up\b/.test(
          s.replace(/\{.*/, ''),
        ),
      );
      expect(metrics.length, alert).toBeGreaterThan(0);
      for (const m of metrics) expect(m, `${alert}: ${m}`).toContain('namespace="risk-eu"');
    }
    for (const g of scoped) for (const r of g.rules) expect(r.labels.namespace).toBe('risk-eu');
  });

  it('scopes the operator group by its own matchers, and leaves it out of per-pipeline groups on request', () => {
    const all = alertRuleGroups({
      matchers: { namespace: 'risk-eu' },
      operatorMatchers: { namespace: 'ops' },
    });
    const op = all.find((g) => g.name === 'credit-platform.operator')!;
    expect(op.rules[0]!.expr).toBe(
      'sum(rate(credit_operator_reconcile_errors_total{namespace="ops"}[5m])) > 0',
    );
    expect(op.rules[0]!.labels).toEqual({ severity: 'warning', namespace: 'ops' });
    const pipeline = alertRuleGroups({ matchers: { namespace: 'risk-eu' }, includeOperator: false });
    expect(pipeline.map((g) => g.name)).not.toContain('credit-platform.operator');
    expect(operatorAlertRuleGroups({ operatorMatchers: { namespace: 'ops' } })).toEqual([op]);
  });

  it('uses the thresholds it is given, and the documented defaults otherwise', () => {
    const find = (groups: ReturnType<typeof alertRuleGroups>, name: string) =>
      groups.flatMap((g) => g.rules).find((r) => r.alert === name)!;
    const defaults = alertRuleGroups();
    expect(find(defaults, 'ScorecardPopulationShift').expr).toMatch(/> 0\.25$/);
    expect(find(defaults, 'ConsumerLagHigh')).toMatchObject({
      expr: expect.stringMatching(new RegExp(`> ${alertDefaults.consumerLagThreshold}$`)),
      for: alertDefaults.consumerLagFor,
    });
    const custom = alertRuleGroups({
      psiThreshold: 0.1,
      consumerLagThreshold: 50,
      consumerLagFor: '3m',
      e2eLatencyP99Seconds: 0.5,
      scoringMaxAgeSeconds: 7200,
      evaluationInterval: '15s',
      jobs: { fraudDetector: 'pipeline-a-fraud-detector' },
      runbookBaseUrl: 'https://runbooks.example/credit',
      labels: { team: 'credit-risk', severity: 'info' },
    });
    expect(find(custom, 'ScorecardPopulationShift').expr).toMatch(/> 0\.1$/);
    expect(find(custom, 'ConsumerLagHigh')).toMatchObject({
      expr: expect.stringMatching(/> 50$/),
      for: '3m',
    });
    expect(find(custom, 'EndToEndLatencyP99High').expr).toMatch(/> 0\.5$/);
    expect(find(custom, 'RiskScoringRunMissing').expr).toContain('> 7200');
    expect(find(custom, 'FraudDetectorDown').expr).toContain('job=~"pipeline-a-fraud-detector"');
    expect(find(custom, 'FraudDetectorDown').annotations.runbook_url).toBe(
      'https://runbooks.example/credit#frauddetectordown',
    );
    expect(custom.every((g) => g.interval === '15s')).toBe(true);
    for (const r of custom.flatMap((g) => g.rules)) {
      expect(r.labels.team, r.alert).toBe('credit-risk');
      expect(['critical', 'warning'], 'extra labels cannot change the severity').toContain(r.labels.severity);
    }
    expect(defaults.every((g) => g.interval === undefined)).toBe(true);
  });

  it('rejects settings that would make a broken rule, naming the setting', () => {
    expect(() => alertRuleGroups({ consumerLagFor: '10 minutes' })).toThrow(/consumerLagFor: '10 minutes'/);
    expect(() => alertRuleGroups({ psiThreshold: -1 })).toThrow(/psiThreshold: must be a positive number/);
    expect(() => alertRuleGroups({ psiThreshold: Number.NaN })).toThrow(/psiThreshold/);
    expect(() => alertRuleGroups({ matchers: { 'bad-label': 'x' } })).toThrow(
      /invalid Prometheus label name 'bad-label'/,
    );
  });
});

describe('selector', () => {
  it('escapes label values so a matcher cannot break out of its quotes', () => {
    expect(selector('up', { namespace: 'a"b\\c' }, { job: 'x' })).toBe('up{namespace="a\\"b\\\\c",job="x"}');
    expect(selector('up', {})).toBe('up');
  });
});
