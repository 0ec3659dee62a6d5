/**
 * The benchmark's floor for the bring-up: the same children the operator creates for N pipelines,
 * sent by a bare client (the operator's own REST client and write method, the operator's number of
 * requests in flight) into a namespace the operator does not watch — no informers, no reconciles,
 * no status, no Events. The pipelines exist there too (created before the clock starts, never
 * reconciled), so every child carries the same ownerReference as the operator's and the garbage
 * collector sees the same graph. Two figures: when every child was written (the least any operator
 * needs for its own part on this API server) and when the Deployment controller had observed every
 * Deployment (the least READINESS_MODE=applied can wait for: Ready needs that controller's first
 * sync). The controller-manager reacts to these children exactly as it does to the operator's.
 */
import type { CreditPipeline } from '../../api/v1alpha1.ts';
import type { KubeObject } from '../../cdk8s/options.ts';
import { renderPipeline } from '../../cdk8s/render.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import { stampChild } from '../../operator/reconcile/ownership.ts';
import { CollectionTracker, CpuMeter, deploymentObserved, load1 } from './observe.ts';

export interface CeilingResult {
  objects: number;
  concurrency: number;
  /** Every child written. */
  appliedMs: number;
  /** Every Deployment observed by the Deployment controller. */
  observedMs: number;
  cpu: Record<string, number>;
  loadBefore: number;
  loadAfter: number;
}

/** The children of one pipeline exactly as the operator sends them (label, ownerReference, hash). */
export function childrenOf(cp: CreditPipeline): KubeObject[] {
  const rendered = renderPipeline(cp, {
    strimzi: true,
    monitoring: true,
    operatorImage: 'ghcr.io/creditplatform/credit-platform:0.1.0',
    existingSecrets: {},
    dashboards: {},
  });
  return rendered.objects.map((d) => stampChild(cp, d).object);
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

/** The collection path of an object's kind in its namespace. */
export function collectionOf(o: KubeObject): string {
  const plural = PLURALS[o.kind];
  if (plural === undefined) throw new Error(`ceiling: no plural known for ${o.kind}`);
  const base = o.apiVersion.includes('/') ? `/apis/${o.apiVersion}` : `/api/${o.apiVersion}`;
  return `${base}/namespaces/${o.metadata.namespace}/${plural}`;
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

export async function bareClientFloor(opts: {
  client: KubeClient;
  kubeconfig: string;
  /** The pipelines, each with the namespace it goes to (none the operator watches). */
  pipelines: CreditPipeline[];
  concurrency: number;
  /** How the operator writes a child it has never seen: the same request here. */
  write: (client: KubeClient, collection: string, object: KubeObject) => Promise<unknown>;
  pids: Record<string, number | undefined>;
}): Promise<CeilingResult> {
  const owners: CreditPipeline[] = [];
  await mapLimit(opts.pipelines, 32, async (p) => {
    const created = await opts.client.create<CreditPipeline>(
      `/apis/creditplatform.dev/v1alpha1/namespaces/${p.metadata.namespace}/creditpipelines`,
      p,
    );
    owners.push(created);
  });
  const namespaces = new Set(opts.pipelines.map((p) => p.metadata.namespace));
  const objects = owners.flatMap((cp) => childrenOf(cp));
  const deploymentCount = objects.filter((o) => o.kind === 'Deployment').length;
  let t0 = Date.now();
  const deployments = new CollectionTracker(
    opts.kubeconfig,
    opts.client,
    '/apis/apps/v1/deployments',
    deploymentObserved,
    () => t0,
    (d) => namespaces.has(d.metadata.namespace ?? ''),
  );
  await deployments.start();
  const observed = deployments.when((b) => b, deploymentCount);
  const loadBefore = load1();
  const cpu = new CpuMeter(opts.pids);
  t0 = Date.now();
  await mapLimit(objects, opts.concurrency, async (o) => {
    await opts.write(opts.client, collectionOf(o), o);
  });
  const appliedMs = Date.now() - t0;
  const observedMs = await observed;
  deployments.stop();
  return {
    objects: objects.length,
    concurrency: opts.concurrency,
    appliedMs,
    observedMs,
    cpu: cpu.read(),
    loadBefore,
    loadAfter: load1(),
  };
}
