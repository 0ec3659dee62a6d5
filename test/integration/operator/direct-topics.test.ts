/**
 * Direct topic management against the harness's real Kafka: the operator creates the topics
 * through the admin API, grows partitions on a spec change, holds a finalizer because of
 * deletionPolicy Delete, and deletes the topics when the pipeline is deleted. Also: a spec the API
 * server accepts but a child cannot be built from is reported as Degraded, not crashed on.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreditPipeline } from '../../../api/v1alpha1.ts';
import { repoRoot } from '../../../infra/lib/paths.ts';
import { freePort } from '../../../infra/lib/process.ts';
import { requireInfra } from '../../../infra/lib/state.ts';
import { partitionCounts } from '../../../lib/kafka-topics.ts';
import { isNotFound } from '../../../operator/kube/client.ts';
import { TOPICS_FINALIZER } from '../../../operator/reconcile/finalizers.ts';
import { KafkaTopicManager } from '../../../operator/reconcile/topics.ts';
import { createAdmin } from '../../../workloads/shared/kafka-client.ts';
import {
  adminClient,
  createNamespace,
  kubectl,
  kubectlOk,
  kubeInfo,
  type OperatorProcess,
  startOperator,
  uniqueName,
  waitCrdsEstablished,
  waitFor,
} from './support.ts';

const ns = uniqueName('op-direct');
const suffix = ns.replace(/[^a-z0-9]/g, '');
const topics = {
  applications: `apps_${suffix}`,
  deadLetter: `dlq_${suffix}`,
  alerts: `alerts_${suffix}`,
  verdicts: `verdicts_${suffix}`,
  decisions: `decisions_${suffix}`,
};
/** Every topic the operator manages for pipeline `direct`: the named three and the detector's internal one. */
const managed = [...Object.values(topics), `${ns}.direct.fraud-detector-repartition`];
const client = adminClient();
let operator: OperatorProcess | undefined;
const admin = createAdmin({
  brokers: [requireInfra('kafka').bootstrapServers],
  clientId: 'direct-topics-test',
});

const path = (name: string) => `/apis/creditplatform.dev/v1alpha1/namespaces/${ns}/creditpipelines/${name}`;
const cond = (cp: CreditPipeline, t: string) => cp.status?.conditions?.find((c) => c.type === t);

async function partitions(topic: string): Promise<number | undefined> {
  const counts = await partitionCounts(admin, [topic]).catch(() => undefined);
  return counts?.get(topic);
}

beforeAll(async () => {
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds')]);
  waitCrdsEstablished(['creditpipelines.creditplatform.dev']);
  createNamespace(ns);
  operator = await startOperator(`operator-${ns}`, {
    KUBECONFIG: kubeInfo().kube.kubeconfig,
    WATCH_NAMESPACES: ns,
    LEASE_NAMESPACE: ns,
    LEADER_ELECTION: 'false',
    READINESS_MODE: 'applied',
  });
  await waitFor('operator ready', () => operator?.ready() ?? Promise.resolve(false), 60_000);
}, 120_000);

afterAll(async () => {
  await operator?.stop();
  await admin.deleteTopics({ topics: managed }).catch(() => {});
  await admin.close();
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('direct topic management', () => {
  it('creates the topics through the Kafka admin API and holds the finalizer', async () => {
    kubectlOk(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: 'creditplatform.dev/v1alpha1',
        kind: 'CreditPipeline',
        metadata: { name: 'direct', namespace: ns },
        spec: {
          kafka: {
            bootstrapServers: requireInfra('kafka').bootstrapServers,
            topicManagement: 'direct',
            deletionPolicy: 'Delete',
          },
          topics: { ...topics, partitions: 3 },
          fraudDetector: { replicas: 1 },
          monitoring: { serviceMonitor: false, prometheusRule: false },
        },
      }),
    );
    const cp = await waitFor('TopicsReady', async () => {
      const c = await client.get<CreditPipeline>(path('direct'));
      return cond(c, 'TopicsReady')?.status === 'True' ? c : undefined;
    });
    expect(cond(cp, 'TopicsReady')?.reason).toBe('TopicsCreated');
    expect(cp.metadata.finalizers).toContain(TOPICS_FINALIZER);
    expect(cp.status?.topics).toEqual([...managed].sort());
    for (const t of managed) expect(await partitions(t), t).toBe(3);
    const [cfg] = await admin.describeConfigs({
      resources: [
        { resourceType: 2, resourceName: topics.applications, configurationKeys: ['retention.ms'] },
      ],
    });
    const retention = cfg?.configs.find((e) => e.name === 'retention.ms')?.value;
    expect(retention).toBe(String(168 * 3600 * 1000));
  });

  it('two managers creating the same topics at once both succeed (one finds them created by the other)', async () => {
    // The pipeline as the API server holds it (defaults filled in), pointed at topics of its own.
    const cp = await client.get<CreditPipeline>(path('direct'));
    const raced: CreditPipeline = {
      ...cp,
      metadata: { ...cp.metadata, name: 'raced' },
      spec: {
        ...cp.spec,
        topics: {
          ...cp.spec.topics,
          applications: `r_apps_${suffix}`,
          deadLetter: `r_dlq_${suffix}`,
          alerts: `r_alerts_${suffix}`,
          verdicts: `r_verdicts_${suffix}`,
          decisions: `r_decisions_${suffix}`,
          partitions: 2,
        },
      },
    };
    const names = [
      ...['apps', 'dlq', 'alerts', 'verdicts', 'decisions'].map((r) => `r_${r}_${suffix}`),
      `${ns}.raced.fraud-detector-repartition`,
    ];
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 3 }, () => new KafkaTopicManager().ensure(raced, undefined)),
      );
      for (const o of outcomes) expect(o).toEqual({ ok: true, topics: names });
      for (const t of names) expect(await partitions(t), t).toBe(2);
    } finally {
      await new KafkaTopicManager().remove(raced, undefined);
    }
    const left = new Set(await admin.listTopics());
    for (const t of names) expect(left.has(t), t).toBe(false);
  });

  it('reports a broker it cannot reach as KafkaAdminFailed, naming the address', async () => {
    const cp = await client.get<CreditPipeline>(path('direct'));
    // A free port on loopback: nothing listens there, as for a broker that is down.
    const bootstrapServers = `127.0.0.1:${await freePort()}`;
    const outcome = await new KafkaTopicManager().ensure(
      { ...cp, spec: { ...cp.spec, kafka: { ...cp.spec.kafka, bootstrapServers } } },
      undefined,
    );
    expect(outcome).toMatchObject({ ok: false, reason: 'KafkaAdminFailed' });
    expect(outcome.ok ? '' : outcome.message).toMatch(
      new RegExp(`^Could not create the topics on ${bootstrapServers}: .*connect`, 'i'),
    );
  });

  it('grows partitions when the spec asks for more', async () => {
    kubectlOk([
      'patch',
      'creditpipeline',
      'direct',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"topics":{"partitions":5}}}',
    ]);
    await waitFor('5 partitions', async () => (await partitions(topics.alerts)) === 5, 60_000, 500);
    expect(await partitions(topics.applications)).toBe(5);
  });

  it('deletes the topics, then lets the pipeline go, when it is deleted', async () => {
    kubectlOk(['delete', 'creditpipeline', 'direct', '-n', ns, '--wait=false']);
    await waitFor(
      'pipeline gone',
      async () => {
        try {
          await client.get(path('direct'));
          return false;
        } catch (err) {
          return isNotFound(err);
        }
      },
      60_000,
    );
    const left = new Set(await admin.listTopics());
    for (const t of managed) expect(left.has(t), t).toBe(false);
  });
});

describe('a spec the API server accepts but a child cannot be built from', () => {
  it('is reported as Degraded with the API server’s reason, and the operator keeps running', async () => {
    kubectlOk(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({
        apiVersion: 'creditplatform.dev/v1alpha1',
        kind: 'CreditPipeline',
        metadata: { name: 'bad-label', namespace: ns },
        spec: {
          kafka: { strimziCluster: 'kafka' },
          monitoring: {
            serviceMonitor: false,
            prometheusRule: false,
            dashboards: true,
            dashboardLabelKey: 'not a label key!',
          },
        },
      }),
    );
    const cp = await waitFor('Degraded', async () => {
      const c = await client.get<CreditPipeline>(path('bad-label'));
      return cond(c, 'Degraded')?.status === 'True' ? c : undefined;
    });
    expect(cond(cp, 'Degraded')?.reason).toBe('ApplyFailed');
    expect(cond(cp, 'Degraded')?.message).toMatch(/ConfigMap .*dashboard.*(Invalid|invalid)/);
    expect(cond(cp, 'Ready')).toMatchObject({ status: 'False', reason: 'Degraded' });
    expect(await operator?.ready()).toBe(true);
    // Fixing the spec clears it.
    kubectlOk([
      'patch',
      'creditpipeline',
      'bad-label',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"monitoring":{"dashboardLabelKey":"grafana_dashboard"}}}',
    ]);
    const fixed = await waitFor('not Degraded', async () => {
      const c = await client.get<CreditPipeline>(path('bad-label'));
      return cond(c, 'Degraded')?.status === 'False' ? c : undefined;
    });
    expect(cond(fixed, 'Degraded')?.reason).toBe('AsExpected');
  });
});
