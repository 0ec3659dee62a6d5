/**
 * NetworkPolicies: deny all ingress to the pipeline's pods, then allow only what the pipeline needs.
 * Egress stays open (Kafka and external stores may live anywhere; DNS).
 */
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { PORTS } from '../api/env.ts';
import { type Component, NAME_LABEL, PART_OF, PART_OF_LABEL } from '../api/labels.ts';
import { PIPELINE_LABEL } from '../api/v1alpha1.ts';
import type { RenderContext } from './context.ts';
import { GRAFANA_NAME } from './monitoring.ts';
import { readerEnabled } from './secrets.ts';

type Peer = k8s.NetworkPolicyPeer;

export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext) {
    super(scope, id);
    if (!ctx.spec.networkPolicies) return;
    const labels = ctx.labels('network-policy');
    const tcp = (port: number | string) => ({
      protocol: 'TCP',
      port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port),
    });
    const pods = (...components: Component[]): Peer[] =>
      components.map((c) => ({ podSelector: { matchLabels: ctx.selector(c) } }));
    const policy = (
      name: string,
      podSelector: Record<string, string>,
      ingress: { from?: Peer[]; ports: ReturnType<typeof tcp>[] }[],
    ) =>
      new k8s.KubeNetworkPolicy(this, name, {
        metadata: { name: `${ctx.name}-${name}`, labels },
        spec: { podSelector: { matchLabels: podSelector }, policyTypes: ['Ingress'], ingress },
      });

    policy('default-deny', { [PIPELINE_LABEL]: ctx.name }, []);
    // Metrics and health of every workload, from anywhere (Prometheus lives in another namespace).
    policy('allow-metrics', { [PIPELINE_LABEL]: ctx.name, [PART_OF_LABEL]: PART_OF }, [
      { ports: [tcp(PORTS.ops), tcp(PORTS.ferretdbDebug)] },
    ]);
    // The ingestion API is the pipeline's front door.
    policy('allow-ingestion-api', ctx.selector('ingestion-api'), [{ ports: [tcp('http')] }]);
    // The analysts' page and API (authenticated by the service itself, reached through an Ingress).
    if (ctx.spec.cases.enabled) policy('allow-cases', ctx.selector('cases'), [{ ports: [tcp('http')] }]);
    if (ctx.spec.storage.postgres.managed !== undefined) {
      policy('allow-postgres', ctx.selector('postgres'), [
        {
          from: pods(
            'warehouse-loader',
            'risk-scorer',
            'warehouse-migrate',
            'decision-service',
            'ingestion-api',
            ...(ctx.spec.cases.enabled ? (['cases'] as const) : []),
            ...(ctx.spec.alerting.webhooks.length > 0 ? (['alert-delivery'] as const) : []),
          ),
          ports: [tcp(PORTS.postgres)],
        },
        // Grafana (any namespace) reads the warehouse through its datasource, as the read-only role.
        ...(readerEnabled(ctx)
          ? [
              {
                from: [
                  { namespaceSelector: {}, podSelector: { matchLabels: { [NAME_LABEL]: GRAFANA_NAME } } },
                ],
                ports: [tcp(PORTS.postgres)],
              },
            ]
          : []),
      ]);
    }
    if (ctx.spec.storage.mongo.managed !== undefined) {
      policy('allow-mongo', ctx.selector('mongo'), [
        { from: pods('fraud-detector'), ports: [tcp(PORTS.mongo)] },
      ]);
    }
  }
}
