/**
 * Builds the dashboards with @grafana/grafana-foundation-sdk (a build-time dependency): one builder
 * per area, panels numbered in layout order. `dashboards/build.ts` writes the result to
 * `dashboards/generated/`, which is what `buildDashboards()` serves at run time.
 */
import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { creditRiskDashboard } from './credit-risk.ts';
import { fraudOperationsDashboard } from './fraud-operations.ts';
import { DASHBOARD_NAMES, type DashboardJson, type DashboardName, type PanelJson } from './index.ts';
import { platformHealthDashboard } from './platform-health.ts';

const builders: Readonly<Record<DashboardName, () => DashboardBuilder>> = {
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

export function composeDashboards(): Record<DashboardName, DashboardJson> {
  return Object.fromEntries(
    DASHBOARD_NAMES.map((name) => [name, toDashboardJson(builders[name]())]),
  ) as Record<DashboardName, DashboardJson>;
}
