/**
 * Prometheus and Grafana integration: a ServiceMonitor and a PrometheusRule (prometheus-operator
 * kinds, only when those CRDs exist) and the Grafana dashboard ConfigMaps (plain ConfigMaps, picked
 * up by the Grafana sidecar through their label).
 */
import { ApiObject } from 'cdk8s';
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import type { RenderContext } from './context.ts';

export const MONITORING_API_VERSION = 'monitoring.coreos.com/v1';

export class Monitoring extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext) {
    super(scope, id);
    const m = ctx.spec.monitoring;
    const labels = { ...ctx.labels('monitoring'), ...m.labels };
    if (ctx.opts.monitoring && m.serviceMonitor) {
      new ApiObject(this, 'servicemonitor', {
        apiVersion: MONITORING_API_VERSION,
        kind: 'ServiceMonitor',
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
          endpoints: [{ port: 'metrics', path: '/metrics', interval: m.scrapeInterval, scheme: 'http' }],
        },
      });
    }
    if (ctx.opts.monitoring && m.prometheusRule) {
      new ApiObject(this, 'prometheusrule', {
        apiVersion: MONITORING_API_VERSION,
        kind: 'PrometheusRule',
        metadata: { name: ctx.names.monitoring, labels },
        spec: { groups: [alertGroup(ctx)] },
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

/** Alerts on what every platform workload exposes (`up`, prom-client process metrics). */
function alertGroup(ctx: RenderContext) {
  const sel = `namespace="${ctx.namespace ?? 'default'}",service=~"${ctx.name}-.*"`;
  return {
    name: `credit-platform.${ctx.name}`,
    rules: [
      {
        alert: 'CreditPipelineTargetDown',
        expr: `up{${sel}} == 0`,
        for: '5m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'A credit pipeline workload is not scraped',
          description: '{{ $labels.service }} ({{ $labels.pod }}) has been down for 5 minutes.',
        },
      },
      {
        alert: 'CreditPipelineEventLoopLag',
        expr: `max by (service) (nodejs_eventloop_lag_p99_seconds{${sel}}) > 0.5`,
        for: '10m',
        labels: { severity: 'warning' },
        annotations: {
          summary: 'A credit pipeline workload is overloaded',
          description: '{{ $labels.service }} event-loop lag p99 above 500ms for 10 minutes.',
        },
      },
      {
        alert: 'CreditPipelineRestarting',
        expr: `changes(process_start_time_seconds{${sel}}[15m]) > 2`,
        labels: { severity: 'warning' },
        annotations: {
          summary: 'A credit pipeline workload restarts repeatedly',
          description: '{{ $labels.pod }} restarted more than twice in 15 minutes.',
        },
      },
    ],
  };
}
