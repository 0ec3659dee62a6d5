import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiException,
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { requireInfra } from '../../../infra/lib/state.ts';
import { waitCrdsEstablished } from '../operator/support.ts';

const kube = requireInfra('kube');
const tools = requireInfra('tools');
const dir = join(repoRoot, 'test', 'fixtures', 'crds');
const namespace = `smoke-crds-${randomBytes(4).toString('hex')}`;

function kubectl(args: string[]): string {
  const r = spawnSync(tools.kubectl, ['--kubeconfig', kube.kubeconfig, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function statusOf(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
    return { code: 200, message: '' };
  } catch (err) {
    if (err instanceof ApiException) return { code: err.code, message: String(err.body) };
    throw err;
  }
}

describe('generated third-party CRDs (test/fixtures/crds)', () => {
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);

  beforeAll(async () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
    // Server-side apply: the Kafka CRD is too large for the last-applied annotation.
    for (const f of files) kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(dir, f)]);
    waitCrdsEstablished([
      'kafkas.kafka.strimzi.io',
      'kafkatopics.kafka.strimzi.io',
      'kafkanodepools.kafka.strimzi.io',
      'servicemonitors.monitoring.coreos.com',
      'podmonitors.monitoring.coreos.com',
      'prometheusrules.monitoring.coreos.com',
    ]);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });

  afterAll(async () => {
    await statusOf(core.deleteNamespace({ name: namespace }));
  });

  it('records the generator versions on the installed CRDs', async () => {
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const sm = await ext.readCustomResourceDefinition({ name: 'servicemonitors.monitoring.coreos.com' });
    expect(sm.metadata?.annotations?.['operator.prometheus.io/version']).toBe('0.88.0');
    expect(sm.metadata?.annotations?.['controller-gen.kubebuilder.io/version']).toBe('v0.19.0');
    const topic = await ext.readCustomResourceDefinition({ name: 'kafkatopics.kafka.strimzi.io' });
    expect(topic.spec.versions.find((v) => v.storage)?.name).toBe('v1beta2');
    expect(topic.metadata?.labels?.['strimzi.io/crd-install']).toBe('true');
  });

  it('accepts a KafkaTopic and rejects one whose partitions is not a number', async () => {
    const target = { group: 'kafka.strimzi.io', version: 'v1beta2', namespace, plural: 'kafkatopics' };
    const topic = (name: string, partitions: unknown) => ({
      apiVersion: 'kafka.strimzi.io/v1beta2',
      kind: 'KafkaTopic',
      metadata: { name, labels: { 'strimzi.io/cluster': 'events' } },
      spec: { partitions, replicas: 1, config: { 'retention.ms': 604800000 } },
    });
    expect(
      (await statusOf(custom.createNamespacedCustomObject({ ...target, body: topic('ok', 6) }))).code,
    ).toBe(200);
    const bad = await statusOf(custom.createNamespacedCustomObject({ ...target, body: topic('bad', 'six') }));
    expect(bad.code).toBe(422);
    expect(bad.message).toMatch(/spec\.partitions/);
  });

  it('accepts a ServiceMonitor and a PrometheusRule, and rejects a rule group without rules', async () => {
    const monitoring = { group: 'monitoring.coreos.com', version: 'v1', namespace };
    const sm = await statusOf(
      custom.createNamespacedCustomObject({
        ...monitoring,
        plural: 'servicemonitors',
        body: {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'ServiceMonitor',
          metadata: { name: 'scorer' },
          spec: {
            selector: { matchLabels: { app: 'scorer' } },
            endpoints: [{ port: 'metrics', interval: '15s', path: '/metrics' }],
          },
        },
      }),
    );
    expect(sm.code).toBe(200);
    const rule = (groups: unknown) =>
      custom.createNamespacedCustomObject({
        ...monitoring,
        plural: 'prometheusrules',
        body: {
          apiVersion: 'monitoring.coreos.com/v1',
          kind: 'PrometheusRule',
          metadata: { name: `rules-${randomBytes(3).toString('hex')}` },
          spec: { groups },
        },
      });
    expect(
      (await statusOf(rule([{ name: 'g', rules: [{ alert: 'Down', expr: 'up == 0', for: '1m' }] }]))).code,
    ).toBe(200);
    expect((await statusOf(rule([{ rules: [{ alert: 'NoGroupName', expr: 'up == 0' }] }]))).code).toBe(422);
  });
});
