/**
 * The CreditPipeline CRD against the real kube-apiserver: invalid pipelines are rejected with the
 * schema's and the CEL rules' messages, valid ones are accepted with the schema defaults applied,
 * transition rules guard immutable fields, and the scale subresource drives the detector replicas.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { API_VERSION, CRD_NAME, KIND } from '../../../api/v1alpha1.ts';
import { CRD_PATHS } from '../../../cdk8s/crd.ts';
import { requireInfra } from '../../../infra/lib/state.ts';
import { waitCrdsEstablished } from '../operator/support.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const ns = `crd-test-${randomBytes(3).toString('hex')}`;

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], input?: string): Result {
  const { kubeconfig } = requireInfra('kube');
  const { kubectl: bin } = requireInfra('tools');
  const r = spawnSync(bin, ['--kubeconfig', kubeconfig, ...args], {
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function mustKubectl(args: string[], input?: string): string {
  const r = kubectl(args, input);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

type Spec = Record<string, unknown>;
const doc = (name: string, spec: Spec) => ({
  apiVersion: API_VERSION,
  kind: KIND,
  metadata: { name, namespace: ns },
  spec,
});
const create = (name: string, spec: Spec) =>
  kubectl(['create', '-o', 'json', '-f', '-'], JSON.stringify(doc(name, spec)));
const apply = (name: string, spec: Spec) =>
  kubectl(
    ['apply', '--server-side', '--field-manager', 'crd-test', '-o', 'json', '-f', '-'],
    JSON.stringify(doc(name, spec)),
  );
const get = (name: string) =>
  JSON.parse(mustKubectl(['-n', ns, 'get', 'creditpipeline', name, '-o', 'json'])) as {
    spec: Spec;
    status?: Spec;
  };

const strimzi = { strimziCluster: 'kafka' };

beforeAll(() => {
  mustKubectl([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager',
    'crd-test',
    '-f',
    `${root}${CRD_PATHS[0]}`,
  ]);
  waitCrdsEstablished([CRD_NAME]);
  mustKubectl(['create', 'namespace', ns]);
});

afterAll(() => {
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('CreditPipeline CRD on the real API server', () => {
  const invalid: Array<[string, Spec, string]> = [
    [
      'both Strimzi and external Kafka',
      { kafka: { strimziCluster: 'k', bootstrapServers: 'b:9092' } },
      'exactly one of strimziCluster and bootstrapServers must be set',
    ],
    ['no Kafka at all', { kafka: {} }, 'exactly one of strimziCluster and bootstrapServers must be set'],
    [
      'Strimzi topics without a Strimzi cluster',
      { kafka: { bootstrapServers: 'b:9092' } },
      'topicManagement strimzi requires strimziCluster',
    ],
    [
      'external TLS Kafka without an auth Secret',
      { kafka: { bootstrapServers: 'b:9093', tls: true, topicManagement: 'direct' } },
      'external bootstrapServers with tls or sasl requires authSecretRef',
    ],
    [
      'SASL without an auth Secret',
      { kafka: { strimziCluster: 'k', sasl: 'plain' } },
      'sasl requires authSecretRef',
    ],
    [
      'topic deletion in Strimzi mode',
      { kafka: { strimziCluster: 'k', deletionPolicy: 'Delete' } },
      'deletionPolicy Delete applies only to topicManagement: direct',
    ],
    [
      'unknown topic management',
      { kafka: { strimziCluster: 'k', topicManagement: 'manual' } },
      'Unsupported value: "manual"',
    ],
    [
      'malformed bootstrap servers',
      { kafka: { bootstrapServers: 'no port here', topicManagement: 'direct' } },
      'spec.kafka.bootstrapServers',
    ],
    [
      'retention that is not a duration',
      { kafka: strimzi, topics: { retention: 'forever' } },
      'must be a duration such as 30s, 15m or 168h',
    ],
    ['zero retention', { kafka: strimzi, topics: { retention: '0s' } }, 'must be greater than 0'],
    [
      'more in-sync replicas than replicas',
      { kafka: strimzi, topics: { replicas: 1, minInSyncReplicas: 2 } },
      'minInSyncReplicas must not exceed replicas',
    ],
    [
      'the same topic twice',
      { kafka: strimzi, topics: { applications: 'x', alerts: 'x' } },
      'must be three different topics',
    ],
    [
      'a cron schedule with three fields',
      { kafka: strimzi, scoring: { schedule: '* * *' } },
      'must be a cron schedule with five fields',
    ],
    [
      'a cron schedule with words',
      { kafka: strimzi, scoring: { schedule: 'every day at noon' } },
      'must be a cron schedule with five fields',
    ],
    ['scoring deadline beyond a day', { kafka: strimzi, scoring: { activeDeadline: '48h' } }, 'at most 24h'],
    [
      'detector replicas above the bound',
      { kafka: strimzi, fraudDetector: { replicas: 100 } },
      'spec.fraudDetector.replicas: Invalid value: 100',
    ],
    [
      'more detectors than partitions',
      { kafka: strimzi, topics: { partitions: 2 }, fraudDetector: { replicas: 3 } },
      'fraudDetector.replicas must not exceed topics.partitions',
    ],
    [
      'no ingestion replicas',
      { kafka: strimzi, ingestionApi: { replicas: 0 } },
      'spec.ingestionApi.replicas: Invalid value: 0',
    ],
    [
      'requests above limits',
      { kafka: strimzi, ingestionApi: { resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } } },
      'requests must not exceed limits',
    ],
    [
      'an ephemeral-storage request above its limit',
      {
        kafka: strimzi,
        fraudDetector: {
          resources: { requests: { ephemeralStorage: '1Gi' }, limits: { ephemeralStorage: '512Mi' } },
        },
      },
      'requests must not exceed limits',
    ],
    [
      'a managed store run as root',
      { kafka: strimzi, storage: { postgres: { managed: { securityContext: { runAsUser: 0 } } } } },
      'spec.storage.postgres.managed.securityContext.runAsUser',
    ],
    [
      'an unknown anti-affinity mode',
      { kafka: strimzi, scheduling: { podAntiAffinity: 'sometimes' } },
      'spec.scheduling.podAntiAffinity',
    ],
    [
      'an API server CIDR that is not one',
      { kafka: strimzi, network: { apiServer: { cidrs: ['kubernetes.default'] } } },
      'spec.network.apiServer.cidrs[0]',
    ],
    [
      'an external store endpoint without a port',
      {
        kafka: strimzi,
        storage: { postgres: { external: { secretRef: { name: 'db' }, endpoint: 'db.example.net' } } },
      },
      'spec.storage.postgres.external.endpoint',
    ],
    [
      'a size that is not a quantity',
      { kafka: strimzi, storage: { postgres: { managed: { size: 'ten gigs' } } } },
      'must be a Kubernetes quantity',
    ],
    [
      'managed and external PostgreSQL',
      { kafka: strimzi, storage: { postgres: { managed: {}, external: { secretRef: { name: 'db' } } } } },
      'exactly one of managed and external must be set',
    ],
    [
      'inline rules and a rules ConfigMap',
      {
        kafka: strimzi,
        fraudDetector: { rules: { inline: { version: 'v1', rules: [] }, configMapRef: { name: 'r' } } },
      },
      'set at most one of rules.inline and rules.configMapRef',
    ],
    [
      'an inline velocity rule without its window (the fraud detector’s rule schema)',
      {
        kafka: strimzi,
        fraudDetector: {
          rules: {
            inline: {
              version: 'v1',
              rules: [
                {
                  id: 'v',
                  version: 1,
                  kind: 'velocity',
                  key: 'deviceId',
                  threshold: 3,
                  severity: 'high',
                  reasonCode: 'VELOCITY',
                  mode: 'live',
                },
              ],
            },
          },
        },
      },
      'velocity and distinctCount rules need key, window and threshold',
    ],
    [
      'an inline rule of an unknown kind',
      {
        kafka: strimzi,
        fraudDetector: {
          rules: {
            inline: {
              version: 'v1',
              rules: [
                { id: 'x', version: 1, kind: 'magic', severity: 'high', reasonCode: 'X1', mode: 'live' },
              ],
            },
          },
        },
      },
      'Unsupported value: "magic"',
    ],
    [
      'a challenger named like the champion',
      {
        kafka: strimzi,
        scoring: { model: { name: 'm1' }, challenger: { name: 'm1', configMapRef: { name: 'c' } } },
      },
      'challenger.name must differ from model.name',
    ],
    [
      'an unsigned json webhook',
      { kafka: strimzi, alerting: { webhooks: [{ name: 'team', url: 'https://hooks.example.com/x' }] } },
      'json webhooks are signed: set signingKeySecretRef',
    ],
    [
      'two webhooks with one name',
      {
        kafka: strimzi,
        alerting: {
          webhooks: [
            { name: 'chat', url: 'https://hooks.example.com/a', format: 'slack' },
            { name: 'chat', url: 'https://hooks.example.com/b', format: 'slack' },
          ],
        },
      },
      'Duplicate value',
    ],
    [
      'a precision floor above 1',
      { kafka: strimzi, monitoring: { alerts: { rulePrecisionFloor: 1.5 } } },
      'spec.monitoring.alerts.rulePrecisionFloor',
    ],
    [
      'a Grafana datasource for an external warehouse',
      {
        kafka: strimzi,
        storage: { postgres: { external: { secretRef: { name: 'db' } } } },
        monitoring: { grafanaDatasource: true },
      },
      'monitoring.grafanaDatasource needs managed PostgreSQL',
    ],
    [
      'an alert threshold of zero',
      { kafka: strimzi, monitoring: { alerts: { psiThreshold: 0 } } },
      'must be greater than 0',
    ],
    [
      'an alert window that is not a Prometheus duration',
      { kafka: strimzi, monitoring: { alerts: { consumerLagFor: '10 minutes' } } },
      'spec.monitoring.alerts.consumerLagFor',
    ],
  ];

  it.each(invalid)('rejects %s', (_what, spec, message) => {
    const r = create(`bad-${randomBytes(3).toString('hex')}`, spec);
    expect(r.status, r.stdout).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('rejects a name too long for its children', () => {
    const r = create('a-pipeline-name-that-is-far-too-long', { kafka: strimzi });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('metadata.name must be a DNS label of at most 30 characters');
  });

  it('accepts a minimal pipeline and applies the schema defaults', () => {
    const r = create('minimal', { kafka: strimzi });
    expect(r.status, r.stderr).toBe(0);
    const spec = get('minimal').spec as Record<string, Record<string, unknown>>;
    expect(spec.kafka).toEqual({
      strimziCluster: 'kafka',
      tls: false,
      topicManagement: 'strimzi',
      deletionPolicy: 'Retain',
    });
    expect(spec.topics).toMatchObject({ applications: 'credit_apps', partitions: 6, retention: '168h' });
    expect(spec.fraudDetector).toMatchObject({
      replicas: 2,
      resources: { requests: { cpu: '100m' }, limits: { memory: '512Mi' } },
    });
    expect(spec.scoring).toMatchObject({
      schedule: '*/15 * * * *',
      parallelism: 2,
      model: { name: 'retail-scorecard-1.0.0' },
    });
    expect(spec.storage).toMatchObject({
      postgres: { managed: { size: '10Gi' } },
      mongo: { managed: { size: '5Gi' } },
    });
    expect(spec.monitoring).toMatchObject({
      dashboardLabelKey: 'grafana_dashboard',
      dashboardLabelValue: '1',
      labels: {},
    });
    expect(spec.suspend).toBe(false);
  });

  it.each(['creditpipeline.yaml', 'creditpipeline-minimal.yaml', 'creditpipeline-external.yaml'])(
    'accepts examples/%s',
    (file) => {
      const example = parse(readFileSync(`${root}examples/${file}`, 'utf8')) as {
        metadata: { name: string };
        spec: Spec;
      };
      const r = create(`ex-${example.metadata.name}`, example.spec);
      expect(r.status, r.stderr).toBe(0);
    },
  );

  it('keeps an external store external (no managed default next to it)', () => {
    const spec = get('ex-external').spec as { storage: { postgres: Record<string, unknown> } };
    expect(Object.keys(spec.storage.postgres)).toEqual(['external']);
  });

  describe('transition rules', () => {
    const base = {
      kafka: strimzi,
      storage: { postgres: { managed: { size: '10Gi', storageClassName: 'fast' } } },
    };
    beforeAll(() => {
      const r = apply('evolving', base);
      if (r.status !== 0) throw new Error(r.stderr);
    });

    const updates: Array<[string, Spec, string]> = [
      [
        'changing the storage class',
        { ...base, storage: { postgres: { managed: { size: '10Gi', storageClassName: 'slow' } } } },
        'storageClassName is immutable',
      ],
      [
        'removing the storage class',
        { ...base, storage: { postgres: { managed: { size: '10Gi' } } } },
        'storageClassName is immutable',
      ],
      [
        'shrinking the volume',
        { ...base, storage: { postgres: { managed: { size: '5Gi', storageClassName: 'fast' } } } },
        'size may grow but never shrink',
      ],
      [
        'switching to external storage',
        { ...base, storage: { postgres: { external: { secretRef: { name: 'db' } } } } },
        'cannot switch between managed and external storage',
      ],
      ['removing partitions', { ...base, topics: { partitions: 3 } }, 'partitions can only grow'],
      [
        'moving to another Kafka cluster',
        { ...base, kafka: { strimziCluster: 'other' } },
        'strimziCluster is immutable',
      ],
    ];

    it.each(updates)('rejects %s', (_what, spec, message) => {
      const r = apply('evolving', spec);
      expect(r.status, r.stdout).not.toBe(0);
      expect(r.stderr).toContain(message);
    });

    it('accepts growing the volume and the partitions', () => {
      const r = apply('evolving', {
        ...base,
        topics: { partitions: 12 },
        storage: { postgres: { managed: { size: '20Gi', storageClassName: 'fast' } } },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(get('evolving').spec).toMatchObject({
        topics: { partitions: 12 },
        storage: { postgres: { managed: { size: '20Gi' } } },
      });
    });
  });

  it('scales the fraud detector through the scale subresource', () => {
    mustKubectl(['-n', ns, 'scale', 'creditpipeline', 'minimal', '--replicas', '4']);
    expect((get('minimal').spec as { fraudDetector: { replicas: number } }).fraudDetector.replicas).toBe(4);
  });

  it('ignores status written through the main resource and accepts it through /status', () => {
    const obj = get('minimal');
    const status = {
      observedGeneration: 1,
      conditions: [
        {
          type: 'Ready',
          status: 'Unknown',
          reason: 'Reconciling',
          message: 'first sight',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
      fraudDetector: { replicas: 4, readyReplicas: 0, selector: 'app.kubernetes.io/name=fraud-detector' },
    };
    const body = stringify({ ...obj, status });
    mustKubectl(['replace', '-f', '-'], body);
    expect(get('minimal').status).toBeUndefined();
    mustKubectl(['replace', '--subresource', 'status', '-f', '-'], stringify({ ...get('minimal'), status }));
    expect(get('minimal').status).toMatchObject({ conditions: [{ type: 'Ready', status: 'Unknown' }] });
    const printed = mustKubectl(['-n', ns, 'get', 'creditpipeline', 'minimal']);
    expect(printed.split('\n')[0]).toMatch(/NAME\s+READY\s+DETECTOR\s+LAST SCORING\s+AGE/);
  });

  it('rejects a condition without the metav1.Condition fields through /status', () => {
    const bad = { ...get('minimal'), status: { conditions: [{ type: 'Ready', status: 'Maybe' }] } };
    const r = kubectl(['replace', '--subresource', 'status', '-f', '-'], stringify(bad));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('Unsupported value: "Maybe"');
  });
});
