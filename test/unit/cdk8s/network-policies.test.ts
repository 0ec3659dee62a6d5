/**
 * The pipeline's NetworkPolicies, checked with the policy evaluator (lib/network-policy-eval.ts)
 * against a model of the cluster built from the rendered pod templates: each workload reaches what
 * it needs (written out here, independently of the renderer's NEEDS table) and nothing else.
 */
import { describe, expect, it } from 'vitest';
import { COMPONENT_LABEL } from '../../../api/labels.ts';
import type { KubeObject } from '../../../cdk8s/options.ts';
import { renderCreditPipeline } from '../../../cdk8s/render.ts';
import {
  type Connection,
  type Endpoint,
  evaluate,
  type NetworkPolicy,
  type PodEndpoint,
} from '../../../lib/network-policy-eval.ts';
import { example, options, pipeline } from './fixtures.ts';

type Template = {
  metadata: { labels: Record<string, string> };
  spec: { containers: { ports?: { name?: string; containerPort: number }[] }[] };
};

function template(o: KubeObject): Template | undefined {
  const spec = o.spec as Record<string, unknown>;
  if (o.kind === 'CronJob') return (spec.jobTemplate as { spec: { template: Template } }).spec.template;
  return ['Deployment', 'StatefulSet', 'Job'].includes(o.kind) ? (spec.template as Template) : undefined;
}

/** The pipeline's pods by component, as the evaluator sees them. */
function cluster(objs: KubeObject[], namespace: string) {
  const pods = new Map<string, PodEndpoint>();
  for (const o of objs) {
    const t = template(o);
    if (t === undefined) continue;
    const namedPorts: Record<string, number> = {};
    for (const c of t.spec.containers)
      for (const p of c.ports ?? []) if (p.name) namedPorts[p.name] = p.containerPort;
    pods.set(t.metadata.labels[COMPONENT_LABEL] as string, {
      kind: 'pod',
      namespace,
      labels: t.metadata.labels,
      namedPorts,
    });
  }
  const policies = objs.filter((o) => o.kind === 'NetworkPolicy') as unknown as NetworkPolicy[];
  const podOf = (component: string): PodEndpoint => {
    const p = pods.get(component);
    if (p === undefined) throw new Error(`no ${component} pod in ${[...pods.keys()]}`);
    return p;
  };
  const allowed = (from: PodEndpoint, to: Endpoint, port: number, protocol: Connection['protocol'] = 'TCP') =>
    evaluate(policies, { from, to, port, protocol }).allowed;
  return { pods, policies, podOf, allowed };
}

const ip = (address: string): Endpoint => ({ kind: 'address', ip: address });
const dns: PodEndpoint = { kind: 'pod', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
const strimziBroker = (clusterName: string, namespace: string): PodEndpoint => ({
  kind: 'pod',
  namespace,
  labels: {
    'strimzi.io/cluster': clusterName,
    'strimzi.io/kind': 'Kafka',
    'strimzi.io/name': `${clusterName}-kafka`,
  },
});
const prometheus: PodEndpoint = {
  kind: 'pod',
  namespace: 'monitoring',
  labels: { 'app.kubernetes.io/name': 'prometheus' },
};
const grafana: PodEndpoint = {
  kind: 'pod',
  namespace: 'monitoring',
  labels: { 'app.kubernetes.io/name': 'grafana' },
};
const stranger: PodEndpoint = { kind: 'pod', namespace: 'elsewhere', labels: { app: 'curious' } };
const apiServer = ip('10.0.0.1');
const internet = ip('1.1.1.1');

describe('NetworkPolicies of the demo pipeline (Strimzi Kafka, managed stores, cases, a webhook)', () => {
  const cp = pipeline('demo', {
    ...example('creditpipeline.yaml').spec,
    cases: { enabled: true },
    monitoring: { grafanaDatasource: true },
    // hooks.example.com resolves into this range; without it a named host is reachable at any address.
    network: { externalCidrs: ['198.51.100.0/26'] },
    alerting: {
      webhooks: [
        { name: 'soc', url: 'https://203.0.113.20:8443/alerts', signingKeySecretRef: { name: 'k' } },
        { name: 'chat', url: 'https://hooks.example.com/x', format: 'slack' },
      ],
    },
  });
  const objs = renderCreditPipeline(cp, options());
  const { pods, podOf, allowed } = cluster(objs, 'lending');
  const kafka = strimziBroker('credit-kafka', 'lending');
  const workloads = [
    'ingestion-api',
    'fraud-detector',
    'decision-service',
    'warehouse-loader',
    'warehouse-migrate',
    'risk-scorer',
    'cases',
    'alert-delivery',
  ];

  /** What each workload must reach: [destination, port]. */
  const needs: Record<string, [Endpoint, number][]> = {
    // PostgreSQL: the decision API reads issued decisions from the warehouse.
    'ingestion-api': [
      [kafka, 9092],
      [podOf('postgres'), 5432],
    ],
    'decision-service': [
      [kafka, 9092],
      [podOf('postgres'), 5432],
    ],
    'fraud-detector': [
      [kafka, 9092],
      [podOf('mongo'), 27017],
    ],
    'warehouse-loader': [
      [kafka, 9092],
      [podOf('postgres'), 5432],
    ],
    'warehouse-migrate': [[podOf('postgres'), 5432]],
    'risk-scorer': [[podOf('postgres'), 5432]],
    cases: [
      [kafka, 9092],
      [podOf('postgres'), 5432],
      [apiServer, 443],
      [apiServer, 6443],
    ],
    'alert-delivery': [
      [kafka, 9092],
      [podOf('postgres'), 5432],
      [ip('203.0.113.20'), 8443],
      [ip('198.51.100.7'), 443],
    ],
  };

  it('renders a policy for every pod the pipeline runs, and a default deny of both directions', () => {
    expect([...pods.keys()].sort()).toEqual([...workloads, 'mongo', 'postgres'].sort());
    const deny = objs.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'demo-default-deny');
    expect(deny?.spec).toEqual({
      podSelector: { matchLabels: { 'creditplatform.dev/pipeline': 'demo' } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [],
    });
  });

  it.each(workloads)(
    'lets %s resolve names through cluster DNS (UDP and TCP 53), and nothing else in kube-system',
    (w) => {
      expect(allowed(podOf(w), dns, 53, 'UDP')).toBe(true);
      expect(allowed(podOf(w), dns, 53, 'TCP')).toBe(true);
      expect(allowed(podOf(w), dns, 443)).toBe(false);
    },
  );

  it.each(workloads)('lets %s reach exactly what it needs', (w) => {
    const from = podOf(w);
    for (const [to, port] of needs[w] ?? [])
      expect(allowed(from, to, port), `${w} → ${JSON.stringify(to)}:${port}`).toBe(true);
    const reaches = (to: Endpoint, port: number) => (needs[w] ?? []).some(([t, p]) => t === to && p === port);
    const candidates: [Endpoint, number][] = [
      [kafka, 9092],
      [podOf('postgres'), 5432],
      [podOf('mongo'), 27017],
      [apiServer, 6443],
      [internet, 443],
      [internet, 80],
      [stranger, 8080],
      [podOf('ingestion-api'), 8080],
      [podOf('fraud-detector'), 9090],
    ];
    for (const [to, port] of candidates) {
      if (!reaches(to, port))
        expect(allowed(from, to, port), `${w} must not reach ${JSON.stringify(to)}:${port}`).toBe(false);
    }
  });

  it('denies the connections a compromised pod would try', () => {
    expect(allowed(podOf('ingestion-api'), podOf('mongo'), 27017)).toBe(false);
    expect(allowed(podOf('decision-service'), podOf('mongo'), 27017)).toBe(false);
    expect(allowed(podOf('fraud-detector'), podOf('postgres'), 5432)).toBe(false);
    expect(allowed(podOf('risk-scorer'), kafka, 9092)).toBe(false);
    expect(allowed(podOf('ingestion-api'), apiServer, 6443)).toBe(false);
    for (const w of workloads) expect(allowed(podOf(w), internet, 443), `${w} → 1.1.1.1:443`).toBe(false);
    // The stores open no connection at all, not even DNS.
    for (const store of ['postgres', 'mongo']) {
      expect(allowed(podOf(store), internet, 443)).toBe(false);
      expect(allowed(podOf(store), dns, 53, 'UDP')).toBe(false);
    }
    // Pods outside the pipeline reach neither store.
    expect(allowed(stranger, podOf('postgres'), 5432)).toBe(false);
    expect(allowed(stranger, podOf('mongo'), 27017)).toBe(false);
  });

  it('lets the world reach the front doors, Prometheus the metrics ports and Grafana the warehouse', () => {
    expect(allowed(stranger, podOf('ingestion-api'), 8080)).toBe(true);
    expect(allowed(stranger, podOf('cases'), 8080)).toBe(true);
    expect(allowed(stranger, podOf('warehouse-loader'), 8080)).toBe(false);
    for (const w of workloads) expect(allowed(prometheus, podOf(w), 9090), `${w} metrics`).toBe(true);
    expect(allowed(prometheus, podOf('mongo'), 8088)).toBe(true);
    expect(allowed(grafana, podOf('postgres'), 5432)).toBe(true);
    expect(allowed(grafana, podOf('mongo'), 27017)).toBe(false);
  });

  it('limits scraping to spec.network.metricsNamespace when it is set', () => {
    const scoped = cluster(
      renderCreditPipeline(
        pipeline('demo', { ...cp.spec, network: { metricsNamespace: 'monitoring' } }),
        options(),
      ),
      'lending',
    );
    expect(scoped.allowed(prometheus, scoped.podOf('fraud-detector'), 9090)).toBe(true);
    expect(scoped.allowed({ ...stranger }, scoped.podOf('fraud-detector'), 9090)).toBe(false);
  });

  it('narrows the API server and named webhook hosts to spec.network CIDRs when they are set', () => {
    const narrowed = cluster(
      renderCreditPipeline(
        pipeline('demo', {
          ...cp.spec,
          network: { apiServer: { cidrs: ['10.0.0.0/30'] }, externalCidrs: ['198.51.100.0/26'] },
        }),
        options(),
      ),
      'lending',
    );
    expect(narrowed.allowed(narrowed.podOf('cases'), apiServer, 6443)).toBe(true);
    expect(narrowed.allowed(narrowed.podOf('cases'), ip('10.9.9.9'), 6443)).toBe(false);
    expect(narrowed.allowed(narrowed.podOf('alert-delivery'), ip('198.51.100.7'), 443)).toBe(true);
    expect(narrowed.allowed(narrowed.podOf('alert-delivery'), ip('198.51.100.70'), 443)).toBe(false);
    // The IP-literal webhook stays reachable at its own address only.
    expect(narrowed.allowed(narrowed.podOf('alert-delivery'), ip('203.0.113.20'), 8443)).toBe(true);
    expect(narrowed.allowed(narrowed.podOf('alert-delivery'), ip('203.0.113.21'), 8443)).toBe(false);
  });

  it('allows a webhook given by host name on its port to any address when no externalCidrs are set (the trade-off)', () => {
    const open = cluster(
      renderCreditPipeline(pipeline('demo', { ...cp.spec, network: {} }), options()),
      'lending',
    );
    expect(open.allowed(open.podOf('alert-delivery'), internet, 443)).toBe(true);
    expect(open.allowed(open.podOf('alert-delivery'), internet, 80)).toBe(false);
    // Only the delivery pod: the others still reach nothing outside.
    for (const w of workloads.filter((x) => x !== 'alert-delivery'))
      expect(open.allowed(open.podOf(w), internet, 443), w).toBe(false);
  });

  it('keeps the API server rule to the private ranges by default', () => {
    expect(allowed(podOf('cases'), ip('172.20.0.1'), 443)).toBe(true);
    expect(allowed(podOf('cases'), ip('192.168.10.2'), 6443)).toBe(true);
    expect(allowed(podOf('cases'), ip('34.1.2.3'), 443)).toBe(false);
  });

  it('renders no policies when spec.networkPolicies is false', () => {
    const off = renderCreditPipeline(pipeline('demo', { ...cp.spec, networkPolicies: false }), options());
    expect(off.some((o) => o.kind === 'NetworkPolicy')).toBe(false);
  });
});

describe('NetworkPolicies with external Kafka and stores (examples/creditpipeline-external.yaml)', () => {
  const ext = example('creditpipeline-external.yaml');

  it('allows the bootstrap host names by port only (policies match addresses, not names)', () => {
    const { podOf, allowed } = cluster(renderCreditPipeline(ext, options()), 'default');
    expect(allowed(podOf('ingestion-api'), ip('192.0.2.44'), 9093)).toBe(true);
    expect(allowed(podOf('ingestion-api'), ip('192.0.2.44'), 9092)).toBe(false);
    expect(allowed(podOf('ingestion-api'), internet, 443)).toBe(false);
    // External PostgreSQL without an endpoint: its default port, any address.
    expect(allowed(podOf('warehouse-loader'), ip('192.0.2.50'), 5432)).toBe(true);
    expect(allowed(podOf('fraud-detector'), ip('192.0.2.50'), 5432)).toBe(false);
  });

  it('uses ipBlocks for IP bootstrap servers and endpoints, plus the broker CIDRs', () => {
    const spec = {
      ...ext.spec,
      kafka: { ...ext.spec.kafka, bootstrapServers: '192.0.2.10:9093,192.0.2.11:9093' },
      storage: {
        postgres: { external: { secretRef: { name: 'db', key: 'url' }, endpoint: '192.0.2.30:6432' } },
        mongo: { external: { secretRef: { name: 'm', key: 'url' }, endpoint: 'mongo.example.net:27017' } },
      },
      network: { kafkaBrokerCidrs: ['198.51.100.0/28'] },
    };
    const { podOf, allowed } = cluster(renderCreditPipeline(pipeline('ext', spec), options()), 'lending');
    const detector = podOf('fraud-detector');
    expect(allowed(detector, ip('192.0.2.10'), 9093)).toBe(true);
    expect(allowed(detector, ip('198.51.100.5'), 9093)).toBe(true);
    expect(allowed(detector, ip('192.0.2.12'), 9093)).toBe(false);
    expect(allowed(detector, ip('192.0.2.88'), 27017)).toBe(true);
    expect(allowed(detector, ip('192.0.2.30'), 6432)).toBe(false);
    expect(allowed(podOf('warehouse-loader'), ip('192.0.2.30'), 6432)).toBe(true);
    expect(allowed(podOf('warehouse-loader'), ip('192.0.2.31'), 6432)).toBe(false);
    expect(allowed(podOf('warehouse-loader'), ip('192.0.2.30'), 5432)).toBe(false);
  });
});

describe('NetworkPolicies of a Strimzi pipeline with TLS', () => {
  it('allows the TLS listener port of the Strimzi cluster’s pods only', () => {
    const cp = pipeline('tls', {
      kafka: { strimziCluster: 'secure', tls: true, authSecretRef: { name: 'c' } },
    });
    const { podOf, allowed } = cluster(renderCreditPipeline(cp, options()), 'lending');
    expect(allowed(podOf('ingestion-api'), strimziBroker('secure', 'lending'), 9093)).toBe(true);
    expect(allowed(podOf('ingestion-api'), strimziBroker('secure', 'lending'), 9092)).toBe(false);
    expect(allowed(podOf('ingestion-api'), strimziBroker('other', 'lending'), 9093)).toBe(false);
    expect(allowed(podOf('ingestion-api'), strimziBroker('secure', 'elsewhere'), 9093)).toBe(false);
  });
});
