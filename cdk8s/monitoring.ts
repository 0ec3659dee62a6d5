/**
 * Prometheus and Grafana integration: a ServiceMonitor and a PrometheusRule (prometheus-operator
 * kinds, only when those CRDs exist) and the Grafana dashboard ConfigMaps (plain ConfigMaps, picked
 * up by the Grafana sidecar through their label).
 */
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { alertRuleGroups, type RuleGroup } from '../dashboards/alerts/rules.ts';
import type { RenderContext } from './context.ts';
import {
  PrometheusRule,
  PrometheusRuleSpecGroupsRulesExpr,
  ServiceMonitor,
  ServiceMonitorSpecEndpointsScheme,
} from './imports/monitoring.coreos.com.ts';

/** The alert group about the operator itself (charts/credit-platform/files/operator-alert-rules.yaml). */
export const OPERATOR_ALERT_GROUP = 'credit-platform.operator';

export class Monitoring extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext) {
    super(scope, id);
    const m = ctx.spec.monitoring;
    const labels = { ...ctx.labels('monitoring'), ...m.labels };
    if (ctx.opts.monitoring && m.serviceMonitor) {
      new ServiceMonitor(this, 'servicemonitor', {
        metadata: { name: ctx.names.monitoring, labels },
        spec: {
          selector: {
            matchLabels: {
              'app.kubernetes.io/instance': ctx.name,
              'app.kubernetes.io/part-of': 'credit-platform',
            },
            matchExpressions: [
              {
                key: 'app.kubernetes.io/component',
                operator: 'In',
                values: ['ingestion-api', 'fraud-detector', 'warehouse-loader'],
              },
            ],
          },
          endpoints: [
            {
              port: 'metrics',
              path: '/metrics',
              interval: m.scrapeInterval,
              scheme: ServiceMonitorSpecEndpointsScheme.HTTP,
            },
          ],
        },
      });
    }
    if (ctx.opts.monitoring && m.prometheusRule) {
      new PrometheusRule(this, 'prometheusrule', {
        metadata: { name: ctx.names.monitoring, labels },
        spec: {
          groups: pipelineAlertGroups(ctx).map((g) => ({
            ...g,
            rules: g.rules.map((r) => ({ ...r, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr) })),
          })),
        },
      });
    }
    if (m.dashboards) {
      for (const [file, json] of Object.entries(ctx.opts.dashboards ?? {}).sort(([a], [b]) =>
        a.localeCompare(b),
      )) {
        const slug = file
          .replace(/\.json$/, '')
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-');
        new k8s.KubeConfigMap(this, `dashboard-${slug}`, {
          metadata: {
            name: `${ctx.name}-dashboard-${slug}`,
            labels: { ...ctx.labels('monitoring'), [m.dashboardLabelKey]: m.dashboardLabelValue },
          },
          data: { [file]: json },
        });
      }
    }
  }
}

/**
 * The platform's alert rules (dashboards/alerts/rules.ts, written once), scoped to this pipeline:
 * its namespace, and the scrape jobs of its Services (prometheus-operator names a job after the Service).
 */
function pipelineAlertGroups(ctx: RenderContext): RuleGroup[] {
  const n = ctx.names;
  const groups = alertRuleGroups({
    matchers: { namespace: ctx.namespace ?? 'default' },
    jobs: {
      ingestionApi: n.ingestionApi,
      fraudDetector: n.fraudDetector,
      warehouseLoader: n.warehouseLoader,
      riskScorerJobs: `${n.riskScorer}-.+`,
    },
  });
  // The operator runs once per cluster: its alerts ship with the chart, not with every pipeline.
  return groups.filter((g) => g.name !== OPERATOR_ALERT_GROUP);
}
