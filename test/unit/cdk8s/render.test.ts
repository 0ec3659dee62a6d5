import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DETECTOR_ENV, ENV } from '../../../api/env.ts';
import { IMAGE_ENTRYPOINT } from '../../../api/image.ts';
import { childNames, generatedSecretNames } from '../../../api/names.ts';
import { repartitionTopicName } from '../../../api/topics.ts';
import { PIPELINE_LABEL } from '../../../api/v1alpha1.ts';
import type { KubeObject } from '../../../cdk8s/options.ts';
import { PROBE_TIMEOUT_SECONDS } from '../../../cdk8s/pod.ts';
import { buildPipeline, renderCreditPipeline } from '../../../cdk8s/render.ts';
import { loadConfig } from '../../../lib/config.ts';
import { DetectorConfig } from '../../../workloads/fraud-detector/config.ts';
import { example, options, pipeline } from './fixtures.ts';

type Pod = {
  securityContext?: Record<string, unknown>;
  containers: Array<Record<string, unknown> & { name: string; securityContext?: Record<string, unknown> }>;
  initContainers?: Array<Record<string, unknown>>;
  automountServiceAccountToken?: boolean;
};

/** Every pod template in a rendered object, with where it was found. */
function podTemplates(obj: KubeObject): Pod[] {
  const spec = obj.spec as unknown;
  if (spec === undefined) return [];
  switch (obj.kind) {
    case 'Deployment':
    case 'StatefulSet':
    case 'Job':
      return [(spec as { template: { spec: Pod } }).template.spec];
    case 'CronJob':
      return [
        (spec as { jobTemplate: { spec: { template: { spec: Pod } } } }).jobTemplate.spec.template.spec,
      ];
    default:
      return [];
  }
}

const byKind = (objs: KubeObject[], kind: string) => objs.filter((o) => o.kind === kind);
const find = (objs: KubeObject[], kind: string, name: string): KubeObject => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (o === undefined)
    throw new Error(`no ${kind} ${name} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`)}`);
  return o;
};

describe('renderCreditPipeline', () => {
  const demo = example('creditpipeline.yaml');

  it('matches the snapshot of the demo pipeline (Testing.synth)', () => {
    const chart = Testing.chart();
    buildPipeline(chart, demo, options());
    // The alert rules belong to dashboards/alerts/rules.ts (asserted below, not snapshotted here).
    const synth = Testing.synth(chart).map((o: KubeObject) =>
      o.kind === 'PrometheusRule' ? { ...o, spec: { groups: '<dashboards/alerts/rules.ts>' } } : o,
    );
    expect(synth).toMatchSnapshot();
  });

  it('renders every part of the demo pipeline', () => {
    const objs = renderCreditPipeline(demo, options());
    const names = childNames('demo');
    expect(byKind(objs, 'Deployment').map((o) => o.metadata.name)).toEqual([
      names.ingestionApi,
      names.fraudDetector,
      names.warehouseLoader,
      names.decisionService,
    ]);
    expect(byKind(objs, 'StatefulSet').map((o) => o.metadata.name)).toEqual([names.postgres, names.mongo]);
    expect(byKind(objs, 'KafkaTopic').map((o) => (o.spec as { topicName: string }).topicName)).toEqual([
      'credit_apps',
      'credit_apps_dlq',
      'fraud_alerts',
      'credit_verdicts',
      'credit_decisions',
      'lending.demo.fraud-detector-repartition',
    ]);
    // The detector, configured by its rendered env, uses exactly the repartition topic declared.
    const detectorSpec = byKind(objs, 'Deployment').find((o) => o.metadata.name === names.fraudDetector)
      ?.spec as
      | { template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } } }
      | undefined;
    const detectorEnv = Object.fromEntries(
      (detectorSpec?.template.spec.containers ?? [])
        .flatMap((c) => c.env ?? [])
        .map((e) => [e.name, e.value]),
    );
    const detector = loadConfig(DetectorConfig, DETECTOR_ENV, {
      MONGO_URL: 'mongodb://x/db',
      ...detectorEnv,
    });
    expect(repartitionTopicName(detector)).toBe('lending.demo.fraud-detector-repartition');
    expect(detector.verdictsTopic).toBe('credit_verdicts');
    for (const kind of [
      'CronJob',
      'Job',
      'ServiceMonitor',
      'PrometheusRule',
      'PodDisruptionBudget',
      'NetworkPolicy',
    ])
      expect(byKind(objs, kind).length, kind).toBeGreaterThan(0);
    // Unique kind/name pairs: the operator keys children by them.
    const keys = objs.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('labels every child with the pipeline label and app.kubernetes.io/*, in the pipeline namespace', () => {
    for (const o of renderCreditPipeline(demo, options())) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('lending');
      const labels = o.metadata.labels ?? {};
      expect(labels[PIPELINE_LABEL], `${o.kind}/${o.metadata.name}`).toBe('demo');
      expect(labels['app.kubernetes.io/instance']).toBe('demo');
      expect(labels['app.kubernetes.io/part-of']).toBe('credit-platform');
      expect(labels['app.kubernetes.io/managed-by']).toBe('credit-platform-operator');
      expect(labels['app.kubernetes.io/name']).toMatch(/^[a-z-]+$/);
      expect(o.metadata.name.length).toBeLessThanOrEqual(63);
    }
  });

  it('puts the pipeline label on the CronJob job template (the operator reads the last run by it)', () => {
    const cron = find(renderCreditPipeline(demo, options()), 'CronJob', 'demo-risk-scorer');
    const jt = (cron.spec as { jobTemplate: { metadata: { labels: Record<string, string> } } }).jobTemplate;
    expect(jt.metadata.labels[PIPELINE_LABEL]).toBe('demo');
  });

  it('makes every pod template pass the restricted Pod Security profile, with requests, limits and probes', () => {
    for (const obj of renderCreditPipeline(demo, options())) {
      for (const pod of podTemplates(obj)) {
        const where = `${obj.kind}/${obj.metadata.name}`;
        expect(pod.securityContext?.runAsNonRoot, where).toBe(true);
        expect(pod.securityContext?.seccompProfile, where).toEqual({ type: 'RuntimeDefault' });
        expect(pod.automountServiceAccountToken, where).toBe(false);
        for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
          const sc = c.securityContext as Record<string, unknown>;
          expect(sc.allowPrivilegeEscalation, `${where} ${c.name}`).toBe(false);
          expect(sc.capabilities, `${where} ${c.name}`).toEqual({ drop: ['ALL'] });
          expect(sc.seccompProfile, `${where} ${c.name}`).toEqual({ type: 'RuntimeDefault' });
          expect(sc.runAsNonRoot).toBe(true);
          expect(sc.readOnlyRootFilesystem, `${where} ${c.name}`).toBe(true);
          expect(sc.privileged).not.toBe(true);
          const res = c.resources as { requests: Record<string, string>; limits: Record<string, string> };
          const kinds = ['cpu', 'ephemeral-storage', 'memory'];
          expect(Object.keys(res.requests).sort(), `${where} requests`).toEqual(kinds);
          expect(Object.keys(res.limits).sort(), `${where} limits`).toEqual(kinds);
          const runsToCompletion = obj.kind === 'Job' || obj.kind === 'CronJob';
          if (!runsToCompletion) {
            expect(c.readinessProbe, `${where} readiness`).toBeDefined();
            expect(c.livenessProbe, `${where} liveness`).toBeDefined();
            // A slow container leaves rotation (readiness) before it is restarted (liveness).
            expect(c.readinessProbe, `${where} readiness is not liveness`).not.toEqual(c.livenessProbe);
          }
          // A busy node answers probes late: none may keep the kubelet's 1 s default timeout.
          for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe].filter(Boolean))
            expect(
              (probe as { timeoutSeconds?: number }).timeoutSeconds,
              `${where} ${c.name} probe timeout`,
            ).toBe(PROBE_TIMEOUT_SECONDS);
        }
      }
    }
  });

  it('runs every platform container as the one image with its subcommand', () => {
    const objs = renderCreditPipeline(demo, options());
    const commands = objs
      .flatMap(podTemplates)
      .flatMap((p) =>
        p.containers
          .filter((c) => c.image === 'ghcr.io/creditplatform/credit-platform:0.1.0')
          .map((c) => c.command),
      );
    expect(commands).toEqual(
      expect.arrayContaining([
        [...IMAGE_ENTRYPOINT, 'ingestion-api'],
        [...IMAGE_ENTRYPOINT, 'fraud-detector'],
        [...IMAGE_ENTRYPOINT, 'warehouse-loader'],
        [...IMAGE_ENTRYPOINT, 'risk-scorer'],
        [...IMAGE_ENTRYPOINT, 'migrate'],
        [...IMAGE_ENTRYPOINT, 'decision-service'],
      ]),
    );
    expect(commands).toHaveLength(6);
  });

  it('follows the operator image unless spec.images.platform is set', () => {
    const pinned = pipeline('pinned', {
      kafka: { strimziCluster: 'k' },
      images: { platform: 'registry.example/cp', version: '9.9.9' },
    });
    const images = renderCreditPipeline(pinned, options())
      .flatMap(podTemplates)
      .flatMap((p) => p.containers.map((c) => c.image as string))
      .filter((i) => i.includes('cp'));
    expect(new Set(images)).toEqual(new Set(['registry.example/cp:9.9.9']));
  });

  it('schedules scoring as Indexed Jobs with completions = parallelism', () => {
    const cron = find(renderCreditPipeline(demo, options()), 'CronJob', 'demo-risk-scorer');
    const spec = cron.spec as { schedule: string; jobTemplate: { spec: Record<string, unknown> } };
    expect(spec.schedule).toBe('*/15 * * * *');
    expect(spec.jobTemplate.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 2,
      parallelism: 2,
    });
  });

  it('leaves first decisions to the decision service while it is enabled: the CronJob decides only past spec.decisions.batchFallbackAfter', () => {
    const graceOf = (p: typeof demo) => {
      const cron = find(renderCreditPipeline(p, options()), 'CronJob', 'demo-risk-scorer');
      const [pod] = podTemplates(cron);
      const env = (pod?.containers[0]?.env ?? []) as Array<{ name: string; value?: string }>;
      return env.find((e) => e.name === ENV.scorerDecisionGraceSeconds)?.value;
    };
    const withDecisions = (decisions: unknown) =>
      pipeline('demo', { ...(demo.spec as Record<string, unknown>), decisions }, demo.metadata.namespace);
    expect(graceOf(demo)).toBe('600');
    expect(graceOf(withDecisions({ replicas: 2, batchFallbackAfter: '90s' }))).toBe('90');
    // Stream decisions off: the CronJob issues every first decision, at once.
    expect(graceOf(withDecisions({ replicas: 0 }))).toBeUndefined();
  });

  it('keeps generated secrets stable: existing values are reused, missing ones generated', () => {
    const first = renderCreditPipeline(demo, options());
    const decoded = (objs: KubeObject[]) =>
      Object.fromEntries(
        byKind(objs, 'Secret').map((s) => [
          s.metadata.name,
          Object.fromEntries(
            Object.entries(s.data as Record<string, string>).map(([k, v]) => [
              k,
              Buffer.from(v, 'base64').toString(),
            ]),
          ),
        ]),
      );
    const existing = decoded(first);
    expect(Object.keys(existing).sort()).toEqual([...generatedSecretNames('demo')].sort());
    const second = renderCreditPipeline(
      demo,
      options({ existingSecrets: existing, randomSecret: () => 'fresh' }),
    );
    expect(decoded(second)).toEqual(existing);
    // Without existing values, fresh ones are generated.
    const third = renderCreditPipeline(demo, options({ randomSecret: () => 'fresh' }));
    expect(decoded(third)['demo-pseudonymization']?.key).toBe('fresh');
    // The URL embeds the (stable) password.
    const pg = existing['demo-postgres-credentials'] as Record<string, string>;
    expect(pg.url).toBe(`postgres://credit:${pg.password}@demo-postgres:5432/credit`);
  });

  it('generates a different secret value per key by default', () => {
    const objs = renderCreditPipeline(demo, { ...options(), randomSecret: undefined });
    const pseudo = find(objs, 'Secret', 'demo-pseudonymization').data as Record<string, string>;
    const pg = find(objs, 'Secret', 'demo-postgres-credentials').data as Record<string, string>;
    expect(Buffer.from(pseudo.key as string, 'base64').length).toBeGreaterThanOrEqual(32);
    expect(Buffer.from(pg.password as string, 'base64').length).toBeGreaterThanOrEqual(32);
    expect(pseudo.key).not.toBe(pg.password);
  });

  it('skips prometheus-operator kinds without the CRDs but still renders dashboards with the label from spec', () => {
    const objs = renderCreditPipeline(demo, options({ monitoring: false }));
    expect(byKind(objs, 'ServiceMonitor')).toEqual([]);
    expect(byKind(objs, 'PrometheusRule')).toEqual([]);
    const dash = find(objs, 'ConfigMap', 'demo-dashboard-fraud-operations');
    expect(dash.metadata.labels?.grafana_dashboard).toBe('1');
    expect((dash.data as Record<string, string>)['fraud-operations.json']).toContain('fraud-operations');
  });

  it('puts the release-selector labels from spec on ServiceMonitor and PrometheusRule', () => {
    const objs = renderCreditPipeline(demo, options());
    for (const kind of ['ServiceMonitor', 'PrometheusRule'])
      expect(find(objs, kind, 'demo-platform').metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it('scopes the platform alert rules to the pipeline’s namespace and scrape jobs', () => {
    const rule = find(renderCreditPipeline(demo, options()), 'PrometheusRule', 'demo-platform');
    const rules = (
      rule.spec as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }
    ).groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(3);
    for (const r of rules) expect(r.expr, r.alert).toContain('namespace="lending"');
    expect(rules.map((r) => r.expr).join('\n')).toContain('demo-fraud-detector');
  });

  it('uses the alert thresholds of spec.monitoring.alerts, the platform defaults otherwise', () => {
    const rules = (cp: ReturnType<typeof pipeline>) =>
      (
        find(renderCreditPipeline(cp, options()), 'PrometheusRule', `${cp.metadata.name}-platform`).spec as {
          groups: Array<{ rules: Array<{ alert: string; expr: string; for?: string }> }>;
        }
      ).groups.flatMap((g) => g.rules);
    const rule = (cp: ReturnType<typeof pipeline>, alert: string) => rules(cp).find((r) => r.alert === alert);
    const spec = { kafka: { strimziCluster: 'k' } };
    const plain = pipeline('plain', spec);
    expect(rule(plain, 'ConsumerLagHigh')).toMatchObject({
      expr: expect.stringMatching(/> 1000$/),
      for: '10m',
    });
    expect(rule(plain, 'ScorecardPopulationShift')?.expr).toMatch(/> 0\.25$/);
    const tuned = pipeline('tuned', {
      ...spec,
      monitoring: { alerts: { consumerLagThreshold: 50_000, consumerLagFor: '30m', psiThreshold: 0.1 } },
    });
    expect(rule(tuned, 'ConsumerLagHigh')).toMatchObject({
      expr: expect.stringMatching(/> 50000$/),
      for: '30m',
    });
    expect(rule(tuned, 'ScorecardPopulationShift')?.expr).toMatch(/> 0\.1$/);
    expect(rule(tuned, 'FraudDetectorDown')?.for).toBe(rule(plain, 'FraudDetectorDown')?.for);
  });

  it('renders the warehouse’s Grafana datasource, as a read-only role, only when asked for', () => {
    const spec = { kafka: { strimziCluster: 'k' } };
    const plain = renderCreditPipeline(pipeline('plain', spec), options());
    expect(plain.find((o) => o.metadata.name === 'plain-grafana-datasource')).toBeUndefined();
    expect(Object.keys(find(plain, 'Secret', 'plain-postgres-credentials').data as object)).not.toContain(
      'readerPassword',
    );

    const objs = renderCreditPipeline(
      pipeline('bi', { ...spec, monitoring: { grafanaDatasource: true } }),
      options(),
    );
    const decode = (v: string) => Buffer.from(v, 'base64').toString('utf8');
    const credentials = find(objs, 'Secret', 'bi-postgres-credentials').data as Record<string, string>;
    const readerPassword = decode(credentials.readerPassword as string);
    expect(readerPassword.length).toBeGreaterThan(0);
    expect(readerPassword).not.toBe(decode(credentials.password as string));

    const datasource = find(objs, 'Secret', 'bi-grafana-datasource');
    expect(datasource.metadata.labels?.grafana_datasource).toBe('1');
    const provisioning = parse(
      decode((datasource.data as Record<string, string>)['warehouse-datasource.yaml'] as string),
    );
    expect(provisioning.datasources).toEqual([
      expect.objectContaining({
        type: 'grafana-postgresql-datasource',
        url: 'bi-postgres.lending.svc:5432',
        user: 'credit_reader',
        jsonData: expect.objectContaining({ database: 'credit' }),
        secureJsonData: { password: readerPassword },
      }),
    ]);

    const migrate = byKind(objs, 'Job')[0] as KubeObject;
    const env = (migrate.spec as { template: { spec: Pod } }).template.spec.containers[0]?.env as Array<{
      name: string;
      valueFrom?: unknown;
    }>;
    expect(env.find((e) => e.name === 'WAREHOUSE_READER_PASSWORD')?.valueFrom).toEqual({
      secretKeyRef: { name: 'bi-postgres-credentials', key: 'readerPassword' },
    });
    const ingress = (find(objs, 'NetworkPolicy', 'bi-postgres').spec as { ingress: unknown[] }).ingress;
    expect(ingress).toContainEqual({
      from: [
        { namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'grafana' } } },
      ],
      ports: [{ protocol: 'TCP', port: 5432 }],
    });
  });

  it('renders no KafkaTopics without Strimzi or in direct mode', () => {
    expect(byKind(renderCreditPipeline(demo, options({ strimzi: false })), 'KafkaTopic')).toEqual([]);
    const external = example('creditpipeline-external.yaml');
    expect(byKind(renderCreditPipeline(external, options()), 'KafkaTopic')).toEqual([]);
  });

  it('wires external Kafka (SASL + TLS) and external PostgreSQL from the user’s Secrets, without managed stores', () => {
    const objs = renderCreditPipeline(example('creditpipeline-external.yaml'), options());
    expect(byKind(objs, 'StatefulSet').map((o) => o.metadata.name)).toEqual(['external-mongo']);
    expect(objs.some((o) => o.kind === 'Secret' && o.metadata.name === 'external-postgres-credentials')).toBe(
      false,
    );
    const loader = podTemplates(find(objs, 'Deployment', 'external-warehouse-loader'))[0]?.containers[0];
    const env = loader?.env as Array<{ name: string; value?: string; valueFrom?: unknown }>;
    const get = (n: string) => env.find((e) => e.name === n);
    expect(get(ENV.kafkaBrokers)?.value).toBe('kafka-1.example.net:9093,kafka-2.example.net:9093');
    expect(get(ENV.kafkaSaslMechanism)?.value).toBe('scram-sha-512');
    expect(get(ENV.kafkaSaslPassword)?.valueFrom).toEqual({
      secretKeyRef: { name: 'kafka-client', key: 'password' },
    });
    expect(get(ENV.databaseUrl)?.valueFrom).toEqual({ secretKeyRef: { name: 'warehouse-db', key: 'url' } });
  });

  it('has the ingestion API read decisions as the decision reader role, whose password only the migration Job gets', () => {
    const objs = renderCreditPipeline(demo, options({ randomSecret: () => 'generated' }));
    const envOf = (kind: string, name: string) =>
      (podTemplates(find(objs, kind, name))[0]?.containers[0]?.env ?? []) as Array<{
        name: string;
        valueFrom?: { secretKeyRef?: { name: string; key: string } };
      }>;
    const ref = (kind: string, name: string, env: string) =>
      envOf(kind, name).find((e) => e.name === env)?.valueFrom?.secretKeyRef;
    expect(ref('Deployment', 'demo-ingestion-api', ENV.databaseUrl)).toEqual({
      name: 'demo-postgres-credentials',
      key: 'decisionReaderUrl',
    });
    const migrate = objs.find(
      (o) => o.kind === 'Job' && o.metadata.name.startsWith('demo-warehouse-migrate'),
    );
    expect(ref('Job', migrate?.metadata.name ?? '', ENV.decisionReaderPassword)).toEqual({
      name: 'demo-postgres-credentials',
      key: 'decisionReaderPassword',
    });
    // Nobody else holds the decision reader's credentials; the owner's URL stays with the writers.
    const holders = objs
      .flatMap((o) => podTemplates(o).map((p) => ({ o, p })))
      .filter(({ p }) =>
        p.containers.some((c) =>
          ((c.env ?? []) as Array<{ valueFrom?: { secretKeyRef?: { key: string } } }>).some((e) =>
            e.valueFrom?.secretKeyRef?.key.startsWith('decisionReader'),
          ),
        ),
      )
      .map(({ o }) => o.metadata.name.replace(/-[0-9a-f]{8,}$/, ''));
    expect(holders.sort()).toEqual(['demo-ingestion-api', 'demo-warehouse-migrate']);
    const secret = find(objs, 'Secret', 'demo-postgres-credentials').data as Record<string, string>;
    const url = new URL(Buffer.from(secret.decisionReaderUrl as string, 'base64').toString());
    expect([url.username, url.password, url.host, url.pathname]).toEqual([
      'credit_decision_reader',
      'generated',
      'demo-postgres:5432',
      '/credit',
    ]);
    // External PostgreSQL: the user's URL (no role the operator could create).
    const external = renderCreditPipeline(example('creditpipeline-external.yaml'), options());
    const api = podTemplates(find(external, 'Deployment', 'external-ingestion-api'))[0]?.containers[0]
      ?.env as Array<{
      name: string;
      valueFrom?: unknown;
    }>;
    expect(api.find((e) => e.name === ENV.databaseUrl)?.valueFrom).toEqual({
      secretKeyRef: { name: 'warehouse-db', key: 'url' },
    });
  });

  it('connects Strimzi clients to the cluster’s bootstrap Service and names topics from spec', () => {
    const objs = renderCreditPipeline(demo, options());
    const env = podTemplates(find(objs, 'Deployment', 'demo-ingestion-api'))[0]?.containers[0]?.env as Array<{
      name: string;
      value?: string;
    }>;
    expect(env.find((e) => e.name === ENV.kafkaBrokers)?.value).toBe('credit-kafka-kafka-bootstrap:9092');
    expect(env.find((e) => e.name === ENV.applicationsTopic)?.value).toBe('credit_apps');
    expect(env.find((e) => e.name === ENV.pseudonymizationKey)).toMatchObject({
      valueFrom: { secretKeyRef: { name: 'demo-pseudonymization', key: 'key' } },
    });
  });

  it('puts inline rules in a ConfigMap and rolls the detector when they change', () => {
    const external = example('creditpipeline-external.yaml');
    const objs = renderCreditPipeline(external, options());
    const cm = find(objs, 'ConfigMap', 'external-fraud-rules');
    expect(JSON.parse((cm.data as Record<string, string>)['rules.json'] as string)).toMatchObject({
      version: 'demo-1',
    });
    const annotation = (o: KubeObject[]) =>
      (
        find(o, 'Deployment', 'external-fraud-detector').spec as {
          template: { metadata: { annotations: object } };
        }
      ).template.metadata.annotations;
    const changed = structuredClone(external);
    (changed.spec.fraudDetector.rules.inline as { version: string }).version = 'demo-2';
    expect(annotation(renderCreditPipeline(changed, options()))).not.toEqual(annotation(objs));
  });

  it('omits PodDisruptionBudgets for single-replica workloads and NetworkPolicies when disabled', () => {
    const small = pipeline('small', {
      kafka: { strimziCluster: 'k' },
      ingestionApi: { replicas: 1 },
      fraudDetector: { replicas: 1 },
      networkPolicies: false,
    });
    const objs = renderCreditPipeline(small, options());
    expect(byKind(objs, 'PodDisruptionBudget')).toEqual([]);
    expect(byKind(objs, 'NetworkPolicy')).toEqual([]);
  });

  it('names the migration Job after its image, so a new version gets a new Job', () => {
    const job = (image: string) =>
      byKind(renderCreditPipeline(demo, options({ operatorImage: image })), 'Job').map(
        (j) => j.metadata.name,
      );
    expect(job('x/cp:1')).toHaveLength(1);
    expect(job('x/cp:1')).toEqual(job('x/cp:1'));
    expect(job('x/cp:1')).not.toEqual(job('x/cp:2'));
  });

  it('is deterministic', () => {
    expect(renderCreditPipeline(demo, options())).toEqual(renderCreditPipeline(demo, options()));
  });
});
