import { describe, expect, it } from 'vitest';
import {
  buildDashboards,
  type DashboardJson,
  type DashboardName,
  type PanelJson,
  panelsOf,
} from '../../../dashboards/index.ts';
import { promQueries, sqlQueries } from '../../../dashboards/inspect.ts';
import { POSTGRES_PLUGIN, PROMETHEUS_PLUGIN } from '../../../dashboards/queries.ts';

const dashboards = buildDashboards();
const entries = Object.entries(dashboards);

function gridOverlaps(panels: readonly PanelJson[]): string[] {
  const clashes: string[] = [];
  const boxes = panels.filter((p) => p.gridPos !== undefined);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i]!.gridPos!;
      const b = boxes[j]!.gridPos!;
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) {
        clashes.push(`${boxes[i]!.title} / ${boxes[j]!.title}`);
      }
    }
  }
  return clashes;
}

describe('dashboards', () => {
  it('are the three areas, with stable uids that do not depend on anything but the code', () => {
    expect(Object.fromEntries(entries.map(([name, d]) => [name, d.uid]))).toEqual({
      'fraud-operations': 'credit-fraud-operations',
      'credit-risk-lending': 'credit-risk-lending',
      'platform-health': 'credit-platform-health',
    });
    expect(buildDashboards()).toEqual(dashboards);
  });

  it.each(entries)(
    '%s has a $datasource variable of its plugin, and every query uses a variable',
    (name, d) => {
      const plugin = name === 'credit-risk-lending' ? POSTGRES_PLUGIN : PROMETHEUS_PLUGIN;
      const variables = new Map(d.templating.list.map((v) => [v.name, v]));
      expect(variables.get('datasource')).toMatchObject({ type: 'datasource', query: plugin });
      for (const panel of panelsOf(d)) {
        expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          const where = `${panel.title} ${target.refId}`;
          const kind = target.expr !== undefined ? PROMETHEUS_PLUGIN : POSTGRES_PLUGIN;
          expect(target.datasource?.type, where).toBe(kind);
          // The uid is a reference to a datasource variable of the dashboard, of the query's plugin.
          const ref = target.datasource?.uid?.match(/^\$\{(\w+)\}$/)?.[1];
          expect(ref, where).toBeDefined();
          expect(variables.get(ref!), where).toMatchObject({ type: 'datasource', query: kind });
        }
      }
    },
  );

  it('give the warehouse panels of Platform health their own $warehouse variable', () => {
    const d = dashboards['platform-health']!;
    expect(d.templating.list.find((v) => v.name === 'warehouse')).toMatchObject({ query: POSTGRES_PLUGIN });
    const sqlPanels = panelsOf(d).filter((p) => p.targets?.some((t) => t.rawSql !== undefined));
    expect(sqlPanels.map((p) => p.title)).toEqual(['Scoring run duration', 'Scoring runs by outcome']);
  });

  it.each(entries)(
    '%s numbers panels uniquely and lays them out inside 24 columns without overlap',
    (_n, d) => {
      const all: PanelJson[] = [];
      const walk = (ps: readonly PanelJson[]): void => {
        for (const p of ps) {
          all.push(p);
          walk(p.panels ?? []);
        }
      };
      walk(d.panels);
      const ids = all.map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const p of all) expect(p.gridPos!.x + p.gridPos!.w, p.title).toBeLessThanOrEqual(24);
      expect(gridOverlaps(all)).toEqual([]);
    },
  );

  it.each(entries)('%s gives every panel a title and a description', (_n, d: DashboardJson) => {
    for (const p of panelsOf(d)) {
      expect(p.title?.length, JSON.stringify(p.gridPos)).toBeGreaterThan(0);
      expect(p.description?.length, p.title).toBeGreaterThan(0);
    }
  });

  it('query PromQL for operations and SQL for credit risk (and the scoring-run history)', () => {
    const prom = promQueries(dashboards);
    const sql = sqlQueries(dashboards);
    expect(new Set(prom.map((q) => q.dashboard))).toEqual(new Set(['fraud-operations', 'platform-health']));
    expect(new Set(sql.map((q) => q.dashboard))).toEqual(new Set(['credit-risk-lending', 'platform-health']));
  });

  it('cover the panels the issue lists', () => {
    const titles = (name: DashboardName): string[] => panelsOf(dashboards[name]!).map((p) => p.title ?? '');
    const has = (name: DashboardName, pattern: RegExp): void =>
      expect(
        titles(name).some((t) => pattern.test(t)),
        `${name}: ${pattern}`,
      ).toBe(true);
    for (const p of [
      /ingestion rate/i,
      /HTTP responses/i,
      /detector throughput/i,
      /end-to-end latency/i,
      /consumer lag per partition/i,
      /alerts by rule and severity/i,
      /shadow-rule/i,
      /dead-letter/i,
      /rule-set version/i,
    ])
      has('fraud-operations', p);
    for (const p of [
      /applications per day/i,
      /approve \/ refer \/ decline/i,
      /score distribution/i,
      /grade distribution/i,
      /adverse-action/i,
      /exposure by grade and purpose/i,
      /PSI/,
      /champion vs challenger/i,
    ])
      has('credit-risk-lending', p);
    for (const p of [
      /reconciles/i,
      /reconcile errors/i,
      /queue depth/i,
      /scoring run duration/i,
      /scoring runs by outcome/i,
      /CPU per pod/i,
      /memory per pod/i,
    ])
      has('platform-health', p);
  });

  it('show latency as p50, p95 and p99 of the end-to-end histogram', () => {
    const latency = promQueries(dashboards).filter((q) => q.panel === 'End-to-end latency');
    expect(latency.map((q) => q.query.match(/histogram_quantile\(([0-9.]+)/)?.[1])).toEqual([
      '0.5',
      '0.95',
      '0.99',
    ]);
  });
});
