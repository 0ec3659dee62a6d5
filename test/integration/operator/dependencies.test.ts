/**
 * Missing optional APIs are reported, not crashed on. On a private kube-apiserver (so no other test
 * has installed them), a pipeline that asks for Strimzi topics and prometheus-operator monitoring
 * gets TopicsReady=False/StrimziNotInstalled and MonitoringReady=False/PrometheusOperatorNotInstalled;
 * once the real CRDs are installed, the operator notices (discovery poll) and creates the objects.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { ApiError, type KubeClient } from '../../../operator/kube/client.ts';
import { type PrivateApiserver, startPrivateApiserver } from './private-apiserver.ts';
import {
  adminClientFor,
  installFixtureCrds,
  kubectlOk,
  type OperatorProcess,
  startOperator,
  waitCrdsEstablished,
  waitFor,
} from './support.ts';

let cluster: PrivateApiserver | undefined;
let operator: OperatorProcess | undefined;
let client: KubeClient;
const ns = 'lending';
const cpPath = `/apis/creditplatform.dev/v1alpha1/namespaces/${ns}/creditpipelines/deps`;
const cond = (cp: CreditPipeline, t: string) => cp.status?.conditions?.find((c) => c.type === t);

beforeAll(async () => {
  cluster = await startPrivateApiserver();
  const kc = cluster.kubeconfig;
  client = adminClientFor(kc);
  kubectlOk(['apply', '--server-side', '-f', join(repoRoot, 'crds')], undefined, kc);
  waitCrdsEstablished(['creditpipelines.creditplatform.dev'], kc);
  kubectlOk(['create', 'namespace', ns], undefined, kc);
  operator = await startOperator(`operator-deps-${Date.now().toString(36)}`, {
    KUBECONFIG: kc,
    WATCH_NAMESPACES: ns,
    LEADER_ELECTION: 'false',
    CAPABILITY_POLL_SECONDS: '2',
    READINESS_MODE: 'applied',
  });
  await waitFor('operator ready', () => operator?.ready() ?? Promise.resolve(false), 60_000);
  kubectlOk(
    ['apply', '--server-side', '-f', '-'],
    JSON.stringify({
      apiVersion: 'creditplatform.dev/v1alpha1',
      kind: 'CreditPipeline',
      metadata: { name: 'deps', namespace: ns },
      spec: {
        kafka: { strimziCluster: 'kafka' },
        monitoring: { serviceMonitor: true, prometheusRule: true },
      },
    }),
    kc,
  );
}, 240_000);

afterAll(async () => {
  await operator?.stop();
  client?.close();
  await cluster?.stop();
});

describe('optional APIs', () => {
  it('reports StrimziNotInstalled and PrometheusOperatorNotInstalled without failing the reconcile', async () => {
    const cp = await waitFor('conditions about the missing APIs', async () => {
      const c = await client.get<CreditPipeline>(cpPath);
      return cond(c, 'TopicsReady')?.reason === 'StrimziNotInstalled' &&
        cond(c, 'MonitoringReady')?.reason === 'PrometheusOperatorNotInstalled'
        ? c
        : undefined;
    });
    expect(cond(cp, 'TopicsReady')?.status).toBe('False');
    expect(cond(cp, 'TopicsReady')?.message).toMatch(/Strimzi KafkaTopic API .* is not installed/);
    expect(cond(cp, 'MonitoringReady')?.status).toBe('False');
    expect(cond(cp, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(cond(cp, 'Ready')?.status).toBe('False');
    // The rest of the pipeline exists.
    await client.get(`/apis/apps/v1/namespaces/${ns}/deployments/deps-fraud-detector`);
    await client
      .get(`/api/v1/namespaces/${ns}/configmaps/deps-dashboard-fraud-operations`)
      .catch((err: unknown) => {
        if (!(err instanceof ApiError && err.statusCode === 404)) throw err;
      });
    const events = JSON.parse(
      kubectlOk(['get', 'events.events.k8s.io', '-n', ns, '-o', 'json'], undefined, cluster?.kubeconfig),
    ) as {
      items: Array<{ reason: string; type: string }>;
    };
    const warnings = events.items.filter((e) => e.type === 'Warning').map((e) => e.reason);
    expect(warnings).toContain('StrimziNotInstalled');
    expect(warnings).toContain('PrometheusOperatorNotInstalled');
    expect(await operator?.ready()).toBe(true);
  });

  it('creates the KafkaTopics, ServiceMonitor and PrometheusRule once the CRDs are installed', async () => {
    installFixtureCrds(cluster?.kubeconfig);
    const cp = await waitFor(
      'topics and monitoring ready',
      async () => {
        const c = await client.get<CreditPipeline>(cpPath);
        return cond(c, 'TopicsReady')?.status === 'True' && cond(c, 'MonitoringReady')?.status === 'True'
          ? c
          : undefined;
      },
      60_000,
      500,
    );
    expect(cond(cp, 'TopicsReady')?.reason).toBe('TopicsReady');
    await client.get(`/apis/kafka.strimzi.io/v1beta2/namespaces/${ns}/kafkatopics/deps-applications`);
    await client.get(`/apis/monitoring.coreos.com/v1/namespaces/${ns}/servicemonitors/deps-platform`);
    await client.get(`/apis/monitoring.coreos.com/v1/namespaces/${ns}/prometheusrules/deps-platform`);
  });
});
