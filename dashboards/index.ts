/**
 * The platform's observability as code: Grafana dashboards and Prometheus alert rule groups.
 *
 * - `buildDashboards()` gives each dashboard's JSON (Grafana 12.x, dashboard schemaVersion 42, as
 *   modelled by @grafana/grafana-foundation-sdk 0.0.21), keyed by a stable name; the operator and
 *   the chart ship them in ConfigMaps for the Grafana sidecar. The JSON is built from the TypeScript
 *   in this folder by `dashboards/build.ts` into `dashboards/generated/<name>.json`.
 * - `alertRuleGroups(opts)` gives the `spec.groups` of a PrometheusRule.
 */
import { readFileSync } from 'node:fs';

export type { AlertingRule, AlertRuleOptions, RuleGroup } from './alerts/rules.ts';
export { alertRuleGroups, operatorAlertRuleGroups } from './alerts/rules.ts';
export { renderRulesFile, rulesFile } from './alerts/rules-file.ts';

/** A query of a panel as it appears in the dashboard JSON. */
export interface TargetJson {
  refId: string;
  datasource?: { type?: string; uid?: string };
  /** PromQL (Prometheus datasource). */
  expr?: string;
  instant?: boolean;
  range?: boolean;
  /** SQL (PostgreSQL datasource). */
  rawSql?: string;
  format?: string;
  [key: string]: unknown;
}

export interface PanelJson {
  id: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: TargetJson[];
  /** Panels of a collapsed row. */
  panels?: PanelJson[];
  [key: string]: unknown;
}

export interface DashboardJson {
  uid: string;
  title: string;
  tags: string[];
  schemaVersion: number;
  templating: { list: Array<{ name: string; type: string; query?: unknown; [key: string]: unknown }> };
  panels: PanelJson[];
  [key: string]: unknown;
}

/** Stable names (file names and ConfigMap keys without `.json`) of the dashboards. */
export const DASHBOARD_NAMES = ['fraud-operations', 'credit-risk-lending', 'platform-health'] as const;
export type DashboardName = (typeof DASHBOARD_NAMES)[number];

/**
 * The dashboards' JSON, keyed by name: the committed `dashboards/generated/<name>.json` that
 * `dashboards/build.ts` builds with the SDK (`compose.ts`; a unit test fails when they differ). Reading
 * the built JSON keeps the SDK, a build-time dependency, out of the running operator and its image.
 */
export function buildDashboards(): Record<DashboardName, DashboardJson> {
  return Object.fromEntries(
    DASHBOARD_NAMES.map((name) => [
      name,
      JSON.parse(readFileSync(new URL(`./generated/${name}.json`, import.meta.url), 'utf8')) as DashboardJson,
    ]),
  ) as Record<DashboardName, DashboardJson>;
}

/** Every panel of a dashboard, rows' children included, rows themselves excluded. */
export function panelsOf(dashboard: DashboardJson): PanelJson[] {
  const out: PanelJson[] = [];
  const walk = (panels: readonly PanelJson[]): void => {
    for (const p of panels) {
      if (p.type !== 'row') out.push(p);
      if (p.panels !== undefined) walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}
