/**
 * Prometheus and Grafana integration: a ServiceMonitor and a PrometheusRule (prometheus-operator
 * kinds, only when those CRDs exist), the Grafana dashboard ConfigMaps (plain ConfigMaps, picked up
 * by the Grafana sidecar through their label) and, when asked for, the warehouse's Grafana datasource
 * (a Secret, also picked up by the sidecar).
 */
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { PORTS } from '../api/env.ts';
import { COMPONENT_LABEL, INSTANCE_LABEL, PART_OF, PART_OF_LABEL } from '../api/labels.ts';
import { GRAFANA_POSTGRES_PLUGIN, WAREHOUSE_DATABASE, WAREHOUSE_READER } from '../api/warehouse.ts';
import { alertRuleGroups, type RuleGroup } from '../dashboards/alerts/rules.ts';
import { type RenderContext, shortHash } from './context.ts';
import {
  PrometheusRule,
  PrometheusRuleSpecGroupsRulesExpr,
  ServiceMonitor,
  ServiceMonitorSpecEndpointsScheme,
} from './imports/monitoring.coreos.com.ts';
import { markPart } from './parts.ts';
import type { PipelineSecrets } from './secrets.ts';

/** The alert group about the operator itself (charts/credit-platform/files/operator-alert-rules.yaml). */
export const OPERATOR_ALERT_GROUP = 'credit-platform.operator';

/** `app.kubernetes.io/name` of Grafana's pods (kube-prometheus-stack, the Grafana chart). */
export const GRAFANA_NAME = 'grafana';

export class Monitoring extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext, secrets: PipelineSecrets) {
    super(scope, id);
    const m = ctx.spec.monitoring;
    const labels = { ...ctx.labels('monitoring'), ...m.labels };
    if (ctx.opts.monitoring && m.serviceMonitor) {
      const serviceMonitor = new ServiceMonitor(this, 'servicemonitor', {
        metadata: { name: ctx.names.monitoring, labels },
        spec: {
          selector: {
            matchLabels: {
              [INSTANCE_LABEL]: ctx.name,
              [PART_OF_LABEL]: PART_OF,
            },
            matchExpressions: [
              {
                key: COMPONENT_LABEL,
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
      markPart(serviceMonitor, 'monitoring');
    }
    if (ctx.opts.monitoring && m.prometheusRule) {
      const prometheusRule = new PrometheusRule(this, 'prometheusrule', {
        metadata: { name: ctx.names.monitoring, labels },
        spec: {
          groups: pipelineAlertGroups(ctx).map((g) => ({
            ...g,
            rules: g.rules.map((r) => ({ ...r, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(r.expr) })),
          })),
        },
      });
      markPart(prometheusRule, 'monitoring');
    }
    const readerPassword = secrets.readerPassword;
    if (m.grafanaDatasource && readerPassword !== undefined) {
      new k8s.KubeSecret(this, 'grafana-datasource', {
        metadata: {
          name: ctx.names.grafanaDatasource,
          labels: { ...ctx.labels('monitoring'), [m.datasourceLabelKey]: m.datasourceLabelValue },
        },
        type: 'Opaque',
        data: {
          'warehouse-datasource.yaml': Buffer.from(warehouseDatasource(ctx, readerPassword), 'utf8').toString(
            'base64',
          ),
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
    ...ctx.spec.monitoring.alerts,
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

/**
 * Grafana datasource provisioning (apiVersion 1) for the pipeline's managed warehouse, as the
 * read-only role. The name says which pipeline; the uid is short and stable (Grafana allows 40 chars).
 */
function warehouseDatasource(ctx: RenderContext, password: string): string {
  const namespace = ctx.namespace ?? 'default';
  return stringify({
    apiVersion: 1,
    datasources: [
      {
        name: `Warehouse ${namespace}/${ctx.name}`,
        uid: `warehouse-${shortHash(namespace, ctx.name)}`,
        type: GRAFANA_POSTGRES_PLUGIN,
        access: 'proxy',
        url: `${ctx.names.postgres}.${namespace}.svc:${PORTS.postgres}`,
        user: WAREHOUSE_READER,
        jsonData: { database: WAREHOUSE_DATABASE, sslmode: 'disable', postgresVersion: 1500 },
        secureJsonData: { password },
        editable: false,
      },
    ],
  });
}
