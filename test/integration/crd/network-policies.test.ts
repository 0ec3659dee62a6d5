/**
 * The NetworkPolicies on the real API server. The harness's bridge CNI does not enforce policies,
 * so the rendered policies (a pipeline with every workload, and the chart's) are applied with
 * server-side apply, read back as the API server stores them (its defaults filled in), and
 * evaluated (lib/network-policy-eval.ts): each workload reaches what it needs, and an unneeded
 * connection (ingestion → PostgreSQL, anything → 1.1.1.1:443) is denied.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { COMPONENT_LABEL } from '../../../api/labels.ts';
import { API_VERSION, KIND, withSpecDefaults } from '../../../api/v1alpha1.ts';
import { renderCreditPipeline } from '../../../cdk8s/render.ts';
import {
  type Endpoint,
  evaluate,
  type NetworkPolicy,
  type PodEndpoint,
} from '../../../lib/network-policy-eval.ts';
import { createNamespace, helm, installFixtureCrds, kubectl, kubectlOk } from '../operator/support.ts';

const ns = `netpol-test-${randomBytes(3).toString('hex')}`;
const chart = fileURLToPath(new URL('../../../charts/credit-platform', import.meta.url));

interface Obj {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
}

const pipelineObjects = renderCreditPipeline(
  {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'full', namespace: ns },
    spec: withSpecDefaults({
      kafka: { strimziCluster: 'credit-kafka' },
      cases: { enabled: true },
      monitoring: { grafanaDatasource: true },
      alerting: {
        webhooks: [
          { name: 'soc', url: 'https://203.0.113.20:8443/alerts', signingKeySecretRef: { name: 'k' } },
        ],
      },
    }),
  },
  {
    strimzi: true,
    monitoring: true,
    operatorImage: 'ghcr.io/creditplatform/credit-platform:0.1.0',
    dashboards: {},
  },
);

function applyAndReadBack(manifests: string, selector: string): NetworkPolicy[] {
  const r = kubectl(
    ['apply', '--server-side', '--field-manager', 'netpol-test', '-n', ns, '-f', '-'],
    manifests,
  );
  expect(r.status, r.stderr).toBe(0);
  const list = JSON.parse(kubectlOk(['get', 'networkpolicies', '-n', ns, '-l', selector, '-o', 'json'])) as {
    items: NetworkPolicy[];
  };
  return list.items;
}

function podsOf(objs: Obj[], namespace: string): Map<string, PodEndpoint> {
  const pods = new Map<string, PodEndpoint>();
  for (const o of objs) {
    const spec = o.spec as Record<string, unknown> | undefined;
    const template =
      o.kind === 'CronJob'
        ? (spec?.jobTemplate as { spec: { template: unknown } } | undefined)?.spec.template
        : ['Deployment', 'StatefulSet', 'Job'].includes(o.kind)
          ? spec?.template
          : undefined;
    if (template === undefined) continue;
    const t = template as {
      metadata: { labels: Record<string, string> };
      spec: { containers: { ports?: { name?: string; containerPort: number }[] }[] };
    };
    const namedPorts: Record<string, number> = {};
    for (const c of t.spec.containers)
      for (const p of c.ports ?? []) if (p.name) namedPorts[p.name] = p.containerPort;
    pods.set(t.metadata.labels[COMPONENT_LABEL] ?? t.metadata.labels['app.kubernetes.io/component'] ?? '', {
      kind: 'pod',
      namespace,
      labels: t.metadata.labels,
      namedPorts,
    });
  }
  return pods;
}

const ip = (address: string): Endpoint => ({ kind: 'address', ip: address });
const dns: PodEndpoint = { kind: 'pod', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };

beforeAll(() => {
  installFixtureCrds();
  createNamespace(ns);
});
afterAll(() => {
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('the pipeline’s NetworkPolicies as the API server stores them', () => {
  let policies: NetworkPolicy[] = [];
  const pods = podsOf(pipelineObjects as Obj[], ns);
  const pod = (c: string): PodEndpoint => {
    const p = pods.get(c);
    if (p === undefined) throw new Error(`no ${c}`);
    return p;
  };
  const kafka: PodEndpoint = {
    kind: 'pod',
    namespace: ns,
    labels: { 'strimzi.io/cluster': 'credit-kafka', 'strimzi.io/kind': 'Kafka' },
  };
  const allowed = (from: PodEndpoint, to: Endpoint, port: number, protocol: 'TCP' | 'UDP' = 'TCP') =>
    evaluate(policies, { from, to, port, protocol }).allowed;

  beforeAll(() => {
    const netpols = pipelineObjects.filter((o) => o.kind === 'NetworkPolicy');
    policies = applyAndReadBack(
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: netpols }),
      'creditplatform.dev/pipeline=full',
    );
  });

  it('accepts and stores every rendered policy', () => {
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(
      pipelineObjects
        .filter((o) => o.kind === 'NetworkPolicy')
        .map((o) => o.metadata.name)
        .sort(),
    );
    expect(policies.every((p) => p.spec.policyTypes?.includes('Egress'))).toBe(true);
  });

  it('lets each workload reach what it needs', () => {
    const needs: [string, Endpoint, number, ('TCP' | 'UDP')?][] = [
      ['ingestion-api', kafka, 9092],
      ['fraud-detector', kafka, 9092],
      ['fraud-detector', pod('mongo'), 27017],
      ['warehouse-loader', kafka, 9092],
      ['warehouse-loader', pod('postgres'), 5432],
      ['warehouse-migrate', pod('postgres'), 5432],
      ['risk-scorer', pod('postgres'), 5432],
      ['cases', kafka, 9092],
      ['cases', pod('postgres'), 5432],
      ['cases', ip('10.96.0.1'), 443],
      ['cases', ip('172.18.0.2'), 6443],
      ['alert-delivery', kafka, 9092],
      ['alert-delivery', pod('postgres'), 5432],
      ['alert-delivery', ip('203.0.113.20'), 8443],
    ];
    for (const w of [
      'ingestion-api',
      'fraud-detector',
      'warehouse-loader',
      'warehouse-migrate',
      'risk-scorer',
      'cases',
      'alert-delivery',
    ])
      needs.push([w, dns, 53, 'UDP'], [w, dns, 53, 'TCP']);
    for (const [from, to, port, protocol] of needs)
      expect(allowed(pod(from), to, port, protocol), `${from} → ${JSON.stringify(to)}:${port}`).toBe(true);
  });

  it('denies what no workload needs', () => {
    // The ingestion API may read PostgreSQL (issued decisions), never the alert store.
    expect(allowed(pod('ingestion-api'), pod('mongo'), 27017)).toBe(false);
    expect(allowed(pod('fraud-detector'), pod('postgres'), 5432)).toBe(false);
    expect(allowed(pod('risk-scorer'), kafka, 9092)).toBe(false);
    expect(allowed(pod('ingestion-api'), ip('10.96.0.1'), 443)).toBe(false);
    for (const c of pods.keys())
      expect(allowed(pod(c), ip('1.1.1.1'), 443), `${c} → 1.1.1.1:443`).toBe(false);
  });
});

describe('the chart’s NetworkPolicies as the API server stores them', () => {
  let policies: NetworkPolicy[] = [];
  let objs: Obj[] = [];
  const operator = (): PodEndpoint => ({
    kind: 'pod',
    namespace: ns,
    labels:
      (
        objs.find((o) => o.kind === 'Deployment')?.spec as
          | { template: { metadata: { labels: Record<string, string> } } }
          | undefined
      )?.template.metadata.labels ?? {},
    namedPorts: { metrics: 8080 },
  });
  const testPod = (): PodEndpoint => ({
    kind: 'pod',
    namespace: ns,
    labels: objs.find((o) => o.kind === 'Pod')?.metadata.labels ?? {},
  });
  const allowed = (from: PodEndpoint, to: Endpoint, port: number, protocol: 'TCP' | 'UDP' = 'TCP') =>
    evaluate(policies, { from, to, port, protocol }).allowed;

  beforeAll(() => {
    const r = helm([
      'template',
      'cp',
      chart,
      '--namespace',
      ns,
      '--show-only',
      'templates/networkpolicy.yaml',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const all = helm(['template', 'cp', chart, '--namespace', ns]);
    objs = parseAllDocuments(all.stdout)
      .map((d) => d.toJS() as Obj | null)
      .filter((o): o is Obj => o !== null);
    policies = applyAndReadBack(r.stdout, 'app.kubernetes.io/instance=cp');
  });

  it('stores a policy for the operator and one for the test pod, both directions', () => {
    expect(policies.map((p) => p.metadata.name).sort()).toEqual([
      'cp-credit-platform-operator',
      'cp-credit-platform-operator-test',
    ]);
    for (const p of policies) expect(p.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it('lets the operator reach DNS, the API server and direct-mode Kafka, and nothing else', () => {
    expect(allowed(operator(), dns, 53, 'UDP')).toBe(true);
    expect(allowed(operator(), ip('10.96.0.1'), 443)).toBe(true);
    expect(allowed(operator(), ip('172.18.0.2'), 6443)).toBe(true);
    expect(allowed(operator(), ip('192.0.2.10'), 9093)).toBe(true);
    expect(allowed(operator(), ip('1.1.1.1'), 443)).toBe(false);
    expect(allowed(operator(), ip('10.0.0.5'), 5432)).toBe(false);
  });

  it('lets the test pod reach the operator’s metrics port only, and Prometheus scrape it', () => {
    expect(allowed(testPod(), operator(), 8080)).toBe(true);
    expect(allowed(testPod(), dns, 53, 'UDP')).toBe(true);
    expect(allowed(testPod(), ip('1.1.1.1'), 443)).toBe(false);
    expect(allowed(testPod(), ip('10.96.0.1'), 443)).toBe(false);
    const prometheus: PodEndpoint = { kind: 'pod', namespace: 'monitoring', labels: { app: 'prometheus' } };
    expect(allowed(prometheus, operator(), 8080)).toBe(true);
    expect(allowed(prometheus, operator(), 9999)).toBe(false);
    // Nothing may connect to the test pod.
    expect(allowed(operator(), testPod(), 8080)).toBe(false);
  });
});
