/**
 * The operator against the real control plane (kube-apiserver + etcd + controller-manager v1.34):
 * the chart is installed with `helm install`, the operator runs as a process with the chart's
 * ServiceAccount token (so the chart's RBAC is what it gets), and reconciles the example pipeline.
 * The namespace enforces Pod Security "restricted", so the ReplicaSet controller can only create
 * the workloads' pods if their templates pass it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Condition, CreditPipeline } from '../../../api/v1alpha1.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { isNotFound } from '../../../operator/kube/client.ts';
import { HASH_ANNOTATION } from '../../../operator/reconcile/ownership.ts';
import {
  adminClient,
  counterSum,
  createNamespace,
  helm,
  installFixtureCrds,
  kubectl,
  kubectlOk,
  nonLeaseWrites,
  type OperatorProcess,
  serviceAccountKubeconfig,
  sleep,
  startOperator,
  uniqueName,
  waitFor,
} from './support.ts';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }>;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

const ns = uniqueName('op-it');
const release = 'cp';
const fullname = `${release}-credit-platform-operator`;
const client = adminClient();
let operator: OperatorProcess | undefined;
let saKubeconfig = '';

function runOperator(id: string): Promise<OperatorProcess> {
  return startOperator(`operator-it-${ns}-${id}`, {
    KUBECONFIG: saKubeconfig,
    WATCH_NAMESPACES: ns,
    LEASE_NAMESPACE: ns,
    LEASE_NAME: fullname,
    POD_NAME: `operator-it-${id}`,
    READINESS_MODE: 'applied',
    WORKERS: '2',
  });
}

const CHILD_RESOURCES = [
  '/api/v1/namespaces/NS/configmaps',
  '/api/v1/namespaces/NS/secrets',
  '/api/v1/namespaces/NS/services',
  '/apis/apps/v1/namespaces/NS/deployments',
  '/apis/apps/v1/namespaces/NS/statefulsets',
  '/apis/batch/v1/namespaces/NS/cronjobs',
  '/apis/batch/v1/namespaces/NS/jobs',
  '/apis/networking.k8s.io/v1/namespaces/NS/networkpolicies',
  '/apis/policy/v1/namespaces/NS/poddisruptionbudgets',
  '/apis/kafka.strimzi.io/v1beta2/namespaces/NS/kafkatopics',
  '/apis/monitoring.coreos.com/v1/namespaces/NS/servicemonitors',
  '/apis/monitoring.coreos.com/v1/namespaces/NS/prometheusrules',
];

async function children(): Promise<Obj[]> {
  const lists = await Promise.all(
    CHILD_RESOURCES.map((p) =>
      client.list<never>(p.replace('NS', ns), { labelSelector: 'creditplatform.dev/pipeline=demo' }),
    ),
  );
  // List items carry no apiVersion/kind: take them from the list.
  return lists.flatMap((l) =>
    (l.items as unknown as Obj[]).map((i) => ({
      ...i,
      apiVersion: l.apiVersion ?? '',
      kind: (l.kind ?? '').replace(/List$/, ''),
    })),
  );
}

const cpPath = () => `/apis/creditplatform.dev/v1alpha1/namespaces/${ns}/creditpipelines/demo`;
const getCp = () => client.get<CreditPipeline>(cpPath());
const condition = (cp: CreditPipeline, type: string): Condition | undefined =>
  cp.status?.conditions?.find((c) => c.type === type);

async function waitReady(minGeneration = 1): Promise<CreditPipeline> {
  return waitFor(
    `CreditPipeline demo Ready for generation ${minGeneration}`,
    async () => {
      const cp = await getCp();
      const ready = condition(cp, 'Ready');
      return (cp.status?.observedGeneration ?? 0) >= minGeneration &&
        ready?.status === 'True' &&
        ready.observedGeneration === cp.metadata.generation
        ? cp
        : undefined;
    },
    90_000,
  );
}

beforeAll(async () => {
  installFixtureCrds();
  createNamespace(ns, {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
  });
  const install = helm([
    'install',
    release,
    join(repoRoot, 'charts', 'credit-platform'),
    '--namespace',
    ns,
    '--set',
    `watchNamespaces={${ns}}`,
    '--set',
    'readinessMode=applied',
    '--set',
    'replicaCount=1',
  ]);
  if (install.status !== 0) throw new Error(`helm install failed: ${install.stderr}`);
  saKubeconfig = serviceAccountKubeconfig(ns, fullname);
  operator = await runOperator('1');
  await waitFor('operator /readyz', () => operator?.ready() ?? Promise.resolve(false), 60_000);
  const example = parse(
    readFileSync(join(repoRoot, 'examples', 'creditpipeline.yaml'), 'utf8'),
  ) as CreditPipeline;
  example.metadata.namespace = ns;
  kubectlOk(['apply', '--server-side', '-f', '-'], JSON.stringify(example));
}, 300_000);

afterAll(async () => {
  await operator?.stop();
  kubectl(['delete', 'namespace', ns, '--wait=false']);
  helm(['uninstall', release, '--namespace', ns]);
});

describe('the operator on a real control plane', () => {
  it('was installed by helm', () => {
    const st = helm(['status', release, '--namespace', ns, '-o', 'json']);
    expect(st.status).toBe(0);
    expect((JSON.parse(st.stdout) as { info: { status: string } }).info.status).toBe('deployed');
  });

  it('creates every child of the example with the expected spec, owned by the pipeline', async () => {
    const cp = await waitReady();
    const objs = await children();
    const byKind = (k: string) =>
      objs
        .filter((o) => o.kind === k)
        .map((o) => o.metadata.name)
        .sort();
    expect(byKind('Deployment')).toEqual([
      'demo-decision-service',
      'demo-fraud-detector',
      'demo-ingestion-api',
      'demo-warehouse-loader',
    ]);
    expect(byKind('StatefulSet')).toEqual(['demo-mongo', 'demo-postgres']);
    expect(byKind('CronJob')).toEqual(['demo-risk-scorer']);
    expect(byKind('KafkaTopic')).toEqual([
      'demo-alerts',
      'demo-applications',
      'demo-dead-letter',
      'demo-decisions',
      'demo-detector-repartition',
      'demo-verdicts',
    ]);
    expect(byKind('ServiceMonitor')).toEqual(['demo-platform']);
    expect(byKind('PrometheusRule')).toEqual(['demo-platform']);
    expect(byKind('Secret')).toEqual(['demo-postgres-credentials', 'demo-pseudonymization']);
    expect(byKind('NetworkPolicy').length).toBeGreaterThan(0);
    expect(byKind('Job').some((n) => n.startsWith('demo-warehouse-migrate-'))).toBe(true);
    for (const o of objs) {
      if (o.kind === 'Job' && o.metadata.ownerReferences?.[0]?.kind === 'CronJob') continue;
      expect(o.metadata.ownerReferences, `${o.kind} ${o.metadata.name}`).toEqual([
        expect.objectContaining({
          kind: 'CreditPipeline',
          name: 'demo',
          uid: cp.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        }),
      ]);
      expect(o.metadata.annotations?.[HASH_ANNOTATION], `${o.kind} ${o.metadata.name}`).toMatch(
        /^[0-9a-f]{32}$/,
      );
    }
    const detector = objs.find(
      (o) => o.kind === 'Deployment' && o.metadata.name === 'demo-fraud-detector',
    ) as Obj;
    expect(detector.spec?.replicas).toBe(2);
    const cron = objs.find((o) => o.kind === 'CronJob') as Obj;
    expect(cron.spec?.schedule).toBe('*/15 * * * *');
    const topic = objs.find((o) => o.kind === 'KafkaTopic' && o.metadata.name === 'demo-applications') as Obj;
    expect(topic.spec).toMatchObject({ partitions: 6, replicas: 1 });
    expect(topic.metadata.labels?.['strimzi.io/cluster']).toBe('credit-kafka');
    const sm = objs.find((o) => o.kind === 'ServiceMonitor') as Obj;
    expect(sm.metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it('reports accurate conditions and the detector replicas the controllers created', async () => {
    const cp = await waitFor(
      'detector replicas in status',
      async () => {
        const c = await getCp();
        return c.status?.fraudDetector?.replicas === 2 ? c : undefined;
      },
      60_000,
    );
    for (const t of [
      'Ready',
      'TopicsReady',
      'StorageReady',
      'DetectorReady',
      'ScoringReady',
      'MonitoringReady',
    ])
      expect(condition(cp, t)?.status, t).toBe('True');
    expect(condition(cp, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(condition(cp, 'Progressing')).toMatchObject({ status: 'False', reason: 'ReconcileComplete' });
    expect(cp.status?.observedGeneration).toBe(cp.metadata.generation);
    expect(cp.status?.topics).toEqual([
      'credit_apps',
      'credit_apps_dlq',
      'credit_decisions',
      'credit_verdicts',
      'fraud_alerts',
      `${ns}.demo.fraud-detector-repartition`,
    ]);
    // The leader exports the same conditions for alerting (credit_operator_pipeline_condition).
    const exported = await (operator as OperatorProcess).metrics();
    expect(exported).toContain(
      `credit_operator_pipeline_condition{pipeline_namespace="${ns}",pipeline="demo",type="Ready",status="True",reason="AllPartsReady"} 1`,
    );
    expect(exported).toContain(
      `credit_operator_pipeline_condition{pipeline_namespace="${ns}",pipeline="demo",type="Degraded",status="False",reason="AsExpected"} 1`,
    );
    // The pods exist: the restricted namespace admitted the detector's pod template.
    expect(cp.status?.fraudDetector?.selector).toContain('app.kubernetes.io/name=fraud-detector');
    const events = kubectlOk(['get', 'events.events.k8s.io', '-n', ns, '-o', 'json']);
    const reasons = (
      JSON.parse(events) as { items: Array<{ reason: string; regarding: { name: string } }> }
    ).items
      .filter((e) => e.regarding.name === 'demo')
      .map((e) => e.reason);
    expect(reasons).toContain('Created');
    expect(reasons).toContain('PipelineReady');
  });

  it('accepts every pod template in a namespace enforcing Pod Security restricted (server-side dry run)', async () => {
    const objs = await children();
    type PodSpec = { volumes?: Array<Record<string, unknown>> } & Record<string, unknown>;
    type PodTemplate = { metadata?: unknown; spec: PodSpec };
    const templates: Array<[string, PodTemplate | undefined]> = [];
    for (const o of objs) {
      const spec = o.spec as
        | {
            template?: PodTemplate;
            jobTemplate?: { spec?: { template?: PodTemplate } };
            volumeClaimTemplates?: Array<{ metadata: { name: string } }>;
          }
        | undefined;
      if (o.kind === 'Deployment') templates.push([`${o.kind} ${o.metadata.name}`, spec?.template]);
      if (o.kind === 'StatefulSet' && spec?.template !== undefined) {
        // As the StatefulSet controller does: each claim template becomes a PVC volume of the pod.
        const claims = (spec.volumeClaimTemplates ?? []).map((c) => ({
          name: c.metadata.name,
          persistentVolumeClaim: { claimName: `${c.metadata.name}-${o.metadata.name}-0` },
        }));
        const t = spec.template;
        templates.push([
          `${o.kind} ${o.metadata.name}`,
          { ...t, spec: { ...t.spec, volumes: [...(t.spec.volumes ?? []), ...claims] } },
        ]);
        // The real StatefulSet controller created its pod in this restricted namespace.
        await client.get(`/api/v1/namespaces/${ns}/pods/${o.metadata.name}-0`);
      }
      if (o.kind === 'CronJob')
        templates.push([`${o.kind} ${o.metadata.name}`, spec?.jobTemplate?.spec?.template]);
      if (o.kind === 'Job' && o.metadata.ownerReferences?.[0]?.kind === 'CreditPipeline')
        templates.push([`${o.kind} ${o.metadata.name}`, spec?.template]);
    }
    expect(templates.length).toBeGreaterThanOrEqual(7);
    for (const [what, t] of templates) {
      expect(t, what).toBeDefined();
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `dry-${Math.random().toString(36).slice(2, 8)}`, namespace: ns },
        spec: t?.spec,
      };
      await expect(
        client.create(`/api/v1/namespaces/${ns}/pods`, pod as never, true),
        what,
      ).resolves.toBeDefined();
    }
    // And the namespace really enforces it: a privileged pod is refused.
    const bad = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'dry-bad', namespace: ns },
      spec: { containers: [{ name: 'c', image: 'x', securityContext: { privileged: true } }] },
    };
    await expect(client.create(`/api/v1/namespaces/${ns}/pods`, bad as never, true)).rejects.toThrow(
      /violates PodSecurity "restricted/,
    );
  });

  it('makes no write requests while nothing changes (60 s idle)', async () => {
    await waitReady();
    await sleep(5_000); // let the last status write and its watch events settle
    const before = nonLeaseWrites(await (operator as OperatorProcess).metrics());
    const versions = new Map(
      (await children()).map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]),
    );
    const cpVersion = (await getCp()).metadata.resourceVersion;
    await sleep(60_000);
    const after = nonLeaseWrites(await (operator as OperatorProcess).metrics());
    expect(after - before).toBe(0);
    expect((await getCp()).metadata.resourceVersion).toBe(cpVersion);
    const nowVersions = new Map(
      (await children()).map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]),
    );
    // Controllers may touch status of workloads (e.g. the Deployment's progress deadline); the
    // operator's own objects (no controller) must be untouched.
    for (const [k, v] of versions)
      if (/^(ConfigMap|Secret|Service|KafkaTopic|ServiceMonitor|PrometheusRule|NetworkPolicy)\//.test(k))
        expect(nowVersions.get(k), k).toBe(v);
  }, 120_000);

  it('after a restart, finds everything in place: no writes, nothing recreated or deleted', async () => {
    const before = new Map((await children()).map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.uid]));
    expect(await (operator as OperatorProcess).stop('SIGTERM')).toBe(0);
    operator = await runOperator('2');
    await waitFor(
      'restarted operator leads',
      async () => counterSum(await (operator as OperatorProcess).metrics(), 'credit_operator_leader') === 1,
      30_000,
    );
    await waitFor(
      'restarted operator reconciled',
      async () =>
        counterSum(await (operator as OperatorProcess).metrics(), 'credit_operator_reconciles_total') >= 1,
      30_000,
    );
    await sleep(5_000);
    expect(nonLeaseWrites(await (operator as OperatorProcess).metrics())).toBe(0);
    const after = new Map((await children()).map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.uid]));
    expect(after).toEqual(before);
  }, 120_000);

  it('follows a spec change: scaling the detector through the scale subresource and editing the schedule', async () => {
    kubectlOk(['scale', `creditpipeline/demo`, '-n', ns, '--replicas=3']);
    kubectlOk([
      'patch',
      'creditpipeline',
      'demo',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({
        spec: { scoring: { schedule: '*/5 * * * *' }, monitoring: { prometheusRule: false } },
      }),
    ]);
    const cp = await getCp();
    await waitReady(cp.metadata.generation ?? 2);
    const detector = await client.get<Obj>(`/apis/apps/v1/namespaces/${ns}/deployments/demo-fraud-detector`);
    expect(detector.spec?.replicas).toBe(3);
    const cron = await client.get<Obj>(`/apis/batch/v1/namespaces/${ns}/cronjobs/demo-risk-scorer`);
    expect(cron.spec?.schedule).toBe('*/5 * * * *');
    await waitFor('PrometheusRule pruned', async () => {
      try {
        await client.get(`/apis/monitoring.coreos.com/v1/namespaces/${ns}/prometheusrules/demo-platform`);
        return false;
      } catch (err) {
        return isNotFound(err);
      }
    });
    const scaled = await waitFor('status.fraudDetector.replicas = 3', async () => {
      const c = await getCp();
      return c.status?.fraudDetector?.replicas === 3 ? c : undefined;
    });
    expect(
      kubectlOk(['get', 'creditpipeline', 'demo', '-n', ns, '-o', 'jsonpath={.spec.fraudDetector.replicas}']),
    ).toBe('3');
    expect(scaled.status?.fraudDetector?.replicas).toBe(3);
  });

  it('removes from a child what the spec stops asking for (a child created, then applied for the first time)', async () => {
    const path = `/apis/monitoring.coreos.com/v1/namespaces/${ns}/servicemonitors/demo-platform`;
    type Managed = { metadata: { managedFields?: Array<{ manager: string; operation: string }> } };
    expect((await client.get<Obj>(path)).metadata.labels?.release).toBe('kube-prometheus-stack');
    kubectlOk([
      'patch',
      'creditpipeline',
      'demo',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { monitoring: { labels: null } } }),
    ]);
    const after = await waitFor('the release label gone from the ServiceMonitor', async () => {
      const sm = await client.get<Obj & Managed>(path);
      return sm.metadata.labels?.release === undefined ? sm : undefined;
    });
    // The operator's fields are held by its apply entry alone, as if it had applied from the start.
    const own = (after.metadata.managedFields ?? []).filter((e) => e.manager === 'credit-platform-operator');
    expect(own.map((e) => e.operation)).toEqual(['Apply']);
    await waitReady((await getCp()).metadata.generation ?? 3);
  });

  it('recreates a child deleted by hand', async () => {
    const before = await client.get<Obj>(`/api/v1/namespaces/${ns}/services/demo-fraud-detector`);
    kubectlOk(['delete', 'service', 'demo-fraud-detector', '-n', ns]);
    const after = await waitFor('Service demo-fraud-detector recreated', async () => {
      try {
        const s = await client.get<Obj>(`/api/v1/namespaces/${ns}/services/demo-fraud-detector`);
        return s.metadata.uid !== before.metadata.uid ? s : undefined;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
    expect(after.metadata.ownerReferences?.[0]?.kind).toBe('CreditPipeline');
  });

  it('reverts hand edits of managed fields (kubectl scale, kubectl patch) and then stays quiet', async () => {
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/demo-fraud-detector`;
    const declared = (await client.get<Obj>(path)).spec?.replicas;
    expect(declared).toBe(3);
    kubectlOk(['scale', 'deployment/demo-fraud-detector', '-n', ns, '--replicas=1']);
    const cronPath = `/apis/batch/v1/namespaces/${ns}/cronjobs/demo-risk-scorer`;
    const schedule = (await client.get<Obj>(cronPath)).spec?.schedule;
    expect(schedule).toBe('*/5 * * * *');
    kubectlOk([
      'patch',
      'cronjob',
      'demo-risk-scorer',
      '-n',
      ns,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { schedule: '0 0 * * *' } }),
    ]);
    await waitFor('detector replicas reverted to the declared 3', async () => {
      return (await client.get<Obj>(path)).spec?.replicas === declared;
    });
    await waitFor('CronJob schedule reverted', async () => {
      return (await client.get<Obj>(cronPath)).spec?.schedule === schedule;
    });
    await waitFor('EditReverted event', async () => {
      const events = await client.get<{ items: Array<{ reason?: string; note?: string }> }>(
        `/apis/events.k8s.io/v1/namespaces/${ns}/events`,
      );
      return events.items.some((e) => e.reason === 'EditReverted' && /kubectl/.test(e.note ?? ''));
    });
    // The revert took the fields back: nothing keeps the operator writing. First let the
    // controllers settle (the ReplicaSet scaled down and up again) and the operator report it.
    await waitFor('status back to 3 detector replicas', async () => {
      const d = await client.get<Obj>(path);
      const cp = await getCp();
      return d.status?.replicas === 3 && cp.status?.fraudDetector?.replicas === 3;
    });
    await sleep(3_000);
    const before = nonLeaseWrites(await (operator as OperatorProcess).metrics());
    await sleep(8_000);
    expect(nonLeaseWrites(await (operator as OperatorProcess).metrics()) - before).toBe(0);
  }, 60_000);

  it('leaves the children to the garbage collector when the pipeline is deleted', async () => {
    expect((await children()).length).toBeGreaterThan(10);
    kubectlOk(['delete', 'creditpipeline', 'demo', '-n', ns, '--wait=true', '--timeout=60s']);
    await waitFor(
      'children garbage-collected',
      async () => {
        const left = (await children()).filter(
          (o) => !(o.kind === 'Job' && o.metadata.ownerReferences?.[0]?.kind === 'CronJob'),
        );
        return left.length === 0;
      },
      90_000,
      1_000,
    );
  }, 120_000);
});
