/**
 * The platform's observability as code: Grafana dashboards and Prometheus alert rule groups.
 *
 * - `buildDashboards()` gives each dashboard's JSON (Grafana 12.x, dashboard schemaVersion 42, as
 *   modelled by @grafana/grafana-foundation-sdk 0.0.21), keyed by a stable name; the operator and
 *   the chart ship them in ConfigMaps for the Grafana sidecar, and `dashboards/build.ts` writes them
 *   to `dashboards/generated/<name>.json`.
 * - `alertRuleGroups(opts)` gives the `spec.groups` of a PrometheusRule.
 */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { creditRiskDashboard } from './credit-risk.ts';
import { fraudOperationsDashboard } from './fraud-operations.ts';
import { platformHealthDashboard } from './platform-health.ts';

export type { AlertingRule, AlertRuleOptions, RuleGroup } from './alerts/rules.ts';
export { alertDefaults, alertRuleGroups } from './alerts/rules.ts';
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
export const dashboardBuilders: Readonly<Record<string, () => DashboardBuilder>> = {
  'fraud-operations': fraudOperationsDashboard,
  'credit-risk-lending': creditRiskDashboard,
  'platform-health': platformHealthDashboard,
};

/** Numbers every panel (rows and their children included) 1, 2, 3… in layout order. */
function numberPanels(panels: PanelJson[], next: { id: number }): void {
  for (const panel of panels) {
    panel.id = next.id++;
    if (panel.panels !== undefined) numberPanels(panel.panels, next);
  }
}

export function toDashboardJson(builder: DashboardBuilder): DashboardJson {
  // The JSON round trip drops the SDK's marker methods and undefined fields.
  const json = JSON.parse(JSON.stringify(builder.build())) as DashboardJson;
  numberPanels(json.panels, { id: 1 });
  return json;
}

export function buildDashboards(): Record<string, DashboardJson> {
  return Object.fromEntries(
    Object.entries(dashboardBuilders).map(([name, make]) => [name, toDashboardJson(make())]),
  );
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
