/**
 * The benchmark's ceiling: the same children the operator creates for N pipelines, sent as plain
 * server-side applies with the operator's own REST client at a fixed concurrency, into a namespace
 * the operator does not watch — no informers, no status, no events. Reports the time until every
 * object was applied and until the Deployment controller observed every Deployment (the part of
 * "Ready" in applied mode that no operator can make faster).
 */
import type { CreditPipeline } from '../../api/v1alpha1.ts';
import type { KubeObject } from '../../cdk8s/options.ts';
import { renderPipeline } from '../../cdk8s/render.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import { FIELD_MANAGER, stampChild } from '../../operator/reconcile/ownership.ts';
import { CpuMeter, DeploymentTracker, load1 } from './observe.ts';

export interface CeilingResult {
  objects: number;
  concurrency: number;
  appliedMs: number;
  deploymentsObservedMs: number;
  cpu: Record<string, number>;
  loadBefore: number;
  loadAfter: number;
}

/** The children of one pipeline as the operator would apply them, without the ownerReference. */
export function childrenOf(cp: CreditPipeline): KubeObject[] {
  const rendered = renderPipeline(cp, {
    strimzi: true,
    monitoring: true,
    operatorImage: 'ghcr.io/creditplatform/credit-platform:0.1.0',
    existingSecrets: {},
    dashboards: {},
  });
  return rendered.objects.map((d) => {
    const { object } = stampChild(cp, d);
    const { ownerReferences: _dropped, ...metadata } = object.metadata;
    return { ...object, metadata } as KubeObject;
  });
}

const PLURALS: Record<string, string> = {
  ConfigMap: 'configmaps',
  Secret: 'secrets',
  Service: 'services',
  ServiceAccount: 'serviceaccounts',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  CronJob: 'cronjobs',
  Job: 'jobs',
  NetworkPolicy: 'networkpolicies',
  PodDisruptionBudget: 'poddisruptionbudgets',
  KafkaTopic: 'kafkatopics',
  ServiceMonitor: 'servicemonitors',
  PrometheusRule: 'prometheusrules',
};

function pathOf(o: KubeObject): string {
  const plural = PLURALS[o.kind];
  if (plural === undefined) throw new Error(`ceiling: no plural known for ${o.kind}`);
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${base}/namespaces/${o.metadata.namespace}/${plural}/${o.metadata.name}`;
}

export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

export async function plainApplyCeiling(opts: {
  client: KubeClient;
  kubeconfig: string;
  namespace: string;
  pipelines: CreditPipeline[];
  concurrency: number;
  pids: Record<string, number | undefined>;
}): Promise<CeilingResult> {
  const objects = opts.pipelines.flatMap((cp) =>
    childrenOf({ ...cp, metadata: { ...cp.metadata, namespace: opts.namespace } }),
  );
  const deployments = objects.filter((o) => o.kind === 'Deployment').length;
  let t0 = Date.now();
  const tracker = new DeploymentTracker(opts.kubeconfig, opts.client, opts.namespace, () => t0);
  await tracker.start();
  const observedAll = tracker.when('observed', deployments);
  const loadBefore = load1();
  const cpu = new CpuMeter(opts.pids);
  t0 = Date.now();
  await mapLimit(objects, opts.concurrency, async (o) => {
    await opts.client.apply(pathOf(o), o, FIELD_MANAGER);
  });
  const appliedMs = Date.now() - t0;
  const deploymentsObservedMs = await observedAll;
  const result = {
    objects: objects.length,
    concurrency: opts.concurrency,
    appliedMs,
    deploymentsObservedMs,
    cpu: cpu.read(),
    loadBefore,
    loadAfter: load1(),
  };
  tracker.stop();
  return result;
}
