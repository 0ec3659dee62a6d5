/**
 * NetworkPolicies: deny all ingress and egress of the pipeline's pods, then one policy per component
 * allowing exactly what it needs, expressed from the CreditPipeline's endpoints:
 * - egress to cluster DNS (spec.network.dnsNamespace, UDP/TCP 53) for every workload;
 * - Kafka: the Strimzi cluster's pods (strimzi.io labels, same namespace), or the bootstrap servers
 *   (an IP as its own address, a host name by port only unless spec.network.kafkaBrokerCidrs);
 * - PostgreSQL and the Mongo-wire store: the managed StatefulSet's pods, or the external endpoint;
 * - the API server for the cases service (TokenReview, SubjectAccessReview);
 * - webhook hosts (spec.alerting.webhooks[].url) for alert delivery;
 * - ingress: the ingestion API's and the cases service's HTTP port, the stores from their clients
 *   (and Grafana's datasource), metrics ports from Prometheus.
 * The managed stores get no egress at all. Which component needs what is the table `NEEDS`.
 */
import { k8s } from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { PORTS } from '../api/env.ts';
import { type Component, NAME_LABEL } from '../api/labels.ts';
import { PIPELINE_LABEL } from '../api/v1alpha1.ts';
import type { RenderContext } from './context.ts';
import { type EgressEndpoint, egressEndpoints, parseHostPort, urlHostPort } from './endpoints.ts';
import { GRAFANA_NAME } from './monitoring.ts';
import { readerEnabled } from './secrets.ts';

type Peer = k8s.NetworkPolicyPeer;
type Port = k8s.NetworkPolicyPort;
type EgressRule = k8s.NetworkPolicyEgressRule;
type IngressRule = k8s.NetworkPolicyIngressRule;

/** What each workload connects to. */
export type Need = 'kafka' | 'postgres' | 'mongo' | 'apiServer' | 'webhooks';

/** The connections each pipeline workload opens (one fact: tests check the policies against it). */
export const NEEDS: Readonly<Partial<Record<Component, readonly Need[]>>> = {
  // PostgreSQL: GET /v1/applications/{id}/decision reads the issued decision from the warehouse.
  'ingestion-api': ['kafka', 'postgres'],
  'fraud-detector': ['kafka', 'mongo'],
  'decision-service': ['kafka', 'postgres'],
  'warehouse-loader': ['kafka', 'postgres'],
  'warehouse-migrate': ['postgres'],
  'risk-scorer': ['postgres'],
  cases: ['kafka', 'postgres', 'apiServer'],
  'alert-delivery': ['kafka', 'postgres', 'webhooks'],
};

/** Labels of the pods of a Strimzi `Kafka` resource (brokers and controllers). */
export function strimziKafkaPodLabels(cluster: string): Record<string, string> {
  return { 'strimzi.io/cluster': cluster, 'strimzi.io/kind': 'Kafka' };
}

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const tcp = (port: number | string): Port => ({
  protocol: 'TCP',
  port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port),
});
const inNamespace = (ns: string): Peer => ({
  namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: ns } },
});
const toEndpoints = (endpoints: EgressEndpoint[]): EgressRule[] =>
  endpoints.map((e) => ({
    ports: [tcp(e.port)],
    ...(e.cidrs.length === 0 ? {} : { to: e.cidrs.map((cidr) => ({ ipBlock: { cidr } })) }),
  }));

/** Components whose pods this pipeline runs. */
function presentWorkloads(ctx: RenderContext): Component[] {
  return (Object.keys(NEEDS) as Component[]).filter((c) =>
    c === 'cases'
      ? ctx.spec.cases.enabled
      : c === 'alert-delivery'
        ? ctx.spec.alerting.webhooks.length > 0
        : true,
  );
}

/** Egress rules of one need, from the CreditPipeline's endpoints. */
function egressFor(ctx: RenderContext, need: Need): EgressRule[] {
  const net = ctx.spec.network;
  const pod = (c: Component, port: number): EgressRule[] => [
    { to: [{ podSelector: { matchLabels: ctx.selector(c) } }], ports: [tcp(port)] },
  ];
  const external = (endpoint: string | undefined, defaultPort: number): EgressRule[] =>
    toEndpoints(
      endpoint === undefined
        ? [{ port: defaultPort, cidrs: [...net.externalCidrs] }]
        : egressEndpoints([parseHostPort(endpoint)], net.externalCidrs),
    );
  switch (need) {
    case 'kafka': {
      const k = ctx.spec.kafka;
      if (k.strimziCluster !== undefined) {
        return [
          {
            to: [{ podSelector: { matchLabels: strimziKafkaPodLabels(k.strimziCluster) } }],
            ports: [tcp(k.tls ? 9093 : 9092)],
          },
        ];
      }
      const bootstrap = (k.bootstrapServers ?? '').split(',').map(parseHostPort);
      // Brokers are reached at the addresses they advertise: the broker CIDRs join every port.
      const endpoints = egressEndpoints(bootstrap, net.kafkaBrokerCidrs).map((e) =>
        e.cidrs.length === 0
          ? e
          : { ...e, cidrs: [...new Set([...e.cidrs, ...net.kafkaBrokerCidrs])].sort() },
      );
      return toEndpoints(endpoints);
    }
    case 'postgres': {
      const pg = ctx.spec.storage.postgres;
      return pg.managed !== undefined
        ? pod('postgres', PORTS.postgres)
        : external(pg.external?.endpoint, PORTS.postgres);
    }
    case 'mongo': {
      const m = ctx.spec.storage.mongo;
      return m.managed !== undefined
        ? pod('mongo', PORTS.mongo)
        : external(m.external?.endpoint, PORTS.mongo);
    }
    case 'apiServer':
      return [
        {
          ports: net.apiServer.ports.map((p) => tcp(p)),
          ...(net.apiServer.cidrs.length === 0
            ? {}
            : { to: net.apiServer.cidrs.map((cidr) => ({ ipBlock: { cidr } })) }),
        },
      ];
    case 'webhooks':
      return toEndpoints(
        egressEndpoints(
          ctx.spec.alerting.webhooks.map((w) => urlHostPort(w.url)),
          net.externalCidrs,
        ),
      );
  }
}

export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, ctx: RenderContext) {
    super(scope, id);
    if (!ctx.spec.networkPolicies) return;
    const labels = ctx.labels('network-policy');
    const net = ctx.spec.network;
    const policy = (
      name: string,
      podSelector: Record<string, string>,
      ingress: IngressRule[],
      egress: EgressRule[],
    ) =>
      new k8s.KubeNetworkPolicy(this, name, {
        metadata: { name: `${ctx.name}-${name}`, labels },
        spec: {
          podSelector: { matchLabels: podSelector },
          policyTypes: ['Ingress', 'Egress'],
          ingress,
          egress,
        },
      });
    const dns: EgressRule = {
      to: [inNamespace(net.dnsNamespace)],
      ports: [{ ...tcp(53), protocol: 'UDP' }, tcp(53)],
    };
    const metricsFrom: Peer[] = [
      net.metricsNamespace === undefined ? { namespaceSelector: {} } : inNamespace(net.metricsNamespace),
    ];
    const workloads = presentWorkloads(ctx);
    const clientsOf = (need: Need): Component[] => workloads.filter((c) => NEEDS[c]?.includes(need));
    const fromPods = (components: Component[]): Peer[] =>
      components.map((c) => ({ podSelector: { matchLabels: ctx.selector(c) } }));

    // Everything not allowed below is denied, both ways, for every pod of the pipeline.
    policy('default-deny', { [PIPELINE_LABEL]: ctx.name }, [], []);

    for (const component of workloads) {
      const ingress: IngressRule[] = [{ from: metricsFrom, ports: [tcp('ops')] }];
      // The ingestion API is the pipeline's front door; the cases page is reached through an Ingress.
      if (component === 'ingestion-api' || component === 'cases') ingress.push({ ports: [tcp('http')] });
      const egress = [dns, ...(NEEDS[component] ?? []).flatMap((need) => egressFor(ctx, need))];
      policy(component, ctx.selector(component), ingress, egress);
    }

    if (ctx.spec.storage.postgres.managed !== undefined) {
      const ingress: IngressRule[] = [
        { from: fromPods(clientsOf('postgres')), ports: [tcp(PORTS.postgres)] },
      ];
      // Grafana (any namespace) reads the warehouse through its datasource, as the read-only role.
      if (readerEnabled(ctx)) {
        ingress.push({
          from: [{ namespaceSelector: {}, podSelector: { matchLabels: { [NAME_LABEL]: GRAFANA_NAME } } }],
          ports: [tcp(PORTS.postgres)],
        });
      }
      policy('postgres', ctx.selector('postgres'), ingress, []);
    }
    if (ctx.spec.storage.mongo.managed !== undefined) {
      policy(
        'mongo',
        ctx.selector('mongo'),
        [
          { from: fromPods(clientsOf('mongo')), ports: [tcp(PORTS.mongo)] },
          { from: metricsFrom, ports: [tcp(PORTS.ferretdbDebug)] },
        ],
        [],
      );
    }
  }
}
