import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { alertRuleGroups } from '../../../dashboards/alerts/rules.ts';
import { buildDashboards } from '../../../dashboards/index.ts';
import { alertExpressions, promQueries } from '../../../dashboards/inspect.ts';
import * as names from '../../../dashboards/metric-names.ts';

const root = join(import.meta.dirname, '..', '..', '..');

/** Each group of metric-names.ts and the source file of the program that registers it. */
const producers: ReadonlyArray<readonly [string, Readonly<Record<string, string>>, string]> = [
  ['ingestion', names.ingestion, 'workloads/ingestion-api/metrics.ts'],
  ['detector', names.detector, 'workloads/fraud-detector/metrics.ts'],
  ['loader', names.loader, 'workloads/warehouse-loader/metrics.ts'],
  ['scoring', names.scoring, 'workloads/warehouse/scoring-run-metrics.ts'],
  ['operator', names.operator, 'operator/metrics.ts'],
  ['cases', names.cases, 'workloads/cases/metrics.ts'],
  ['delivery', names.delivery, 'workloads/alert-delivery/metrics.ts'],
];

describe('metric names', () => {
  it.each(producers)('%s: every name is registered by its program (%s)', (_group, metrics, file) => {
    const source = readFileSync(join(root, file), 'utf8');
    for (const metric of Object.values(metrics)) {
      expect(source, `${metric} in ${file}`).toContain(`name: '${metric}'`);
    }
  });

  it('process metrics are prom-client default metrics', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const exported = (await registry.getMetricsAsJSON()).map((m) => m.name);
    for (const suffix of Object.values(names.process_)) expect(exported, suffix).toContain(suffix);
  });

  it('every selector in the dashboards and alert rules names a metric listed here', () => {
    const known = new Set<string>([
      'up',
      ...producers.flatMap(([, m]) => Object.values(m)),
      ...Object.values(names.kubeStateMetrics),
    ]);
    const exprs = [
      ...promQueries(buildDashboards()).map((q) => q.query),
      ...alertExpressions(alertRuleGroups({ matchers: { namespace: 'x' } })).map((a) => a.expr),
    ];
    const used = new Set(
      exprs.flatMap((e) => [...e.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!)),
    );
    const base = (m: string) => m.replace(/_(bucket|sum|count)$/, '');
    for (const m of used) expect(known.has(m) || known.has(base(m)), m).toBe(true);
    expect(used.size).toBeGreaterThan(15);
  });
});
