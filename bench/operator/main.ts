/**
 * Operator benchmark on a private control plane (etcd, kube-apiserver, kube-controller-manager from
 * the harness's binaries; no kubelets, so READINESS_MODE=applied: a pipeline is Ready when every
 * child holds the current desired hash and the Deployment controller observed its generation).
 *
 * 1. Bring-up: N CreditPipelines (default 500) created at once → time until all are Ready (first,
 *    half, all), with the milestones on the way (every child written, every Deployment observed by
 *    its controller), CPU seconds of each process, the load average, and from the API server's
 *    /metrics every client's requests by verb and resource, the refused ones, and the API server's
 *    and etcd's latencies. Ready and Deployments are followed through watches, not polled.
 * 2. API requests per reconcile, by verb and by verb + resource, from the operator's request counter;
 *    the operator's Events by reason.
 * 3. No-change resync: the operator restarted with everything in place reconciles every pipeline
 *    again; it must write nothing (writes and reads reported).
 * 4. With N present: p50/p99 from a spec edit (detector replicas) to the Deployment updated.
 * 5. Floor, same run (ceiling.ts): the same children with the same owners from a bare client, with
 *    the operator's write and its number of requests in flight, no operator: time until all are
 *    written and until the Deployment controller observed every Deployment (what Ready waits for).
 *
 * Writes bench/results/operator.md. Knobs: BENCH_PIPELINES, BENCH_EDITS, BENCH_WORKERS,
 * BENCH_APPLY_CONCURRENCY, BENCH_CEILING_CONCURRENCY (default WORKERS × APPLY_CONCURRENCY), BENCH_KCM_QPS (controller-manager
 * --kube-api-qps; burst 1.5×; default 500, `default` = its stock 20/30), BENCH_APISERVER_ARGS and
 * BENCH_KCM_ARGS (more flags, space-separated), BENCH_SKIP_CEILING=1. 30 min overall.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { type CreditPipeline, withSpecDefaults } from '../../api/v1alpha1.ts';
import { repoRoot } from '../../infra/lib/paths.ts';
import { loadOperatorConfig } from '../../operator/config.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import { writeNewChild } from '../../operator/reconcile/apply.ts';
import { startPrivateApiserver } from '../../test/integration/operator/private-apiserver.ts';
import {
  adminClientFor,
  counterSum,
  installFixtureCrds,
  kubectl,
  kubectlOk,
  nonLeaseWrites,
  type OperatorProcess,
  startOperator,
  uniqueName,
  waitFor,
} from '../../test/integration/operator/support.ts';
import { rssMiB } from '../lib/proc.ts';
import { bareClientFloor, type CeilingResult, childrenOf, mapLimit } from './ceiling.ts';
import {
  CollectionTracker,
  CpuMeter,
  deploymentObserved,
  formatCpu,
  formatLatencies,
  latencyDelta,
  load1,
  parseApiserverRequests,
  parseLatencies,
  pipelineReady,
  requestDelta,
} from './observe.ts';

const N = Number(process.env.BENCH_PIPELINES ?? 500);
const EDITS = Number(process.env.BENCH_EDITS ?? 100);
const WORKERS = process.env.BENCH_WORKERS ?? '';
const APPLY_CONCURRENCY = process.env.BENCH_APPLY_CONCURRENCY ?? '';
/** The operator's requests in flight at most (WORKERS × APPLY_CONCURRENCY, as it will run). */
const OPERATOR_CONFIG = loadOperatorConfig({
  ...(WORKERS === '' ? {} : { WORKERS }),
  ...(APPLY_CONCURRENCY === '' ? {} : { APPLY_CONCURRENCY }),
});
const CEILING_CONCURRENCY = Number(
  process.env.BENCH_CEILING_CONCURRENCY ?? OPERATOR_CONFIG.workers * OPERATOR_CONFIG.applyConcurrency,
);
/**
 * The controller-manager's client QPS (burst 1.5×). Default 500: at its stock 20/30 the Deployment
 * controller alone (~3 requests per Deployment at first sight) needs ≥ 225 s for 1,500 Deployments, a
 * client-side floor unrelated to the operator; a cluster bringing up hundreds of pipelines raises it.
 * BENCH_KCM_QPS=default runs the stock limit.
 */
const KCM_QPS =
  process.env.BENCH_KCM_QPS === 'default' ? undefined : Number(process.env.BENCH_KCM_QPS ?? 500);
/** Extra flags, space-separated, e.g. BENCH_KCM_ARGS='--concurrent-deployment-syncs=20'. */
const words = (v: string | undefined) => (v ?? '').split(/\s+/).filter((w) => w !== '');
const APISERVER_ARGS = words(process.env.BENCH_APISERVER_ARGS);
const KCM_ARGS = words(process.env.BENCH_KCM_ARGS);
const DEADLINE = Date.now() + 30 * 60_000;
const ns = uniqueName('op-bench');
/**
 * Namespaces the pipelines are spread over, round-robin (BENCH_NAMESPACES, default 1: all in one).
 * The controller-manager matches selectors over a namespace's pods and Services, so its cost per
 * pipeline grows with the pipelines sharing a namespace; the floor uses the same layout.
 */
const NAMESPACE_COUNT = Math.max(1, Number(process.env.BENCH_NAMESPACES ?? 1));
const namespaces = Array.from({ length: NAMESPACE_COUNT }, (_, j) =>
  NAMESPACE_COUNT === 1 ? ns : `${ns}-${j}`,
);
const nsOf = (i: number) => namespaces[i % NAMESPACE_COUNT] as string;
const inBench = (o: { metadata: { namespace?: string } }) => namespaces.includes(o.metadata.namespace ?? '');
let client: KubeClient;
let stopCluster: (() => Promise<void>) | undefined;
let stopOperator: (() => Promise<unknown>) | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    process.stderr.write(`\n[bench] ${signal}: stopping the operator and the private control plane\n`);
    void Promise.allSettled([stopOperator?.()])
      .then(() => stopCluster?.())
      .finally(() => process.exit(130));
  });

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function pipeline(i: number): CreditPipeline {
  return {
    apiVersion: 'creditplatform.dev/v1alpha1',
    kind: 'CreditPipeline',
    metadata: { name: `p${String(i).padStart(4, '0')}`, namespace: nsOf(i) },
    // Defaults filled in here too, so the objects are the same whatever the CRD's defaulting.
    spec: withSpecDefaults({
      kafka: { strimziCluster: 'kafka' },
      ingestionApi: { replicas: 1 },
      fraudDetector: { replicas: 1 },
      warehouseLoader: { replicas: 1 },
      storage: {
        postgres: { external: { secretRef: { name: 'warehouse' } } },
        mongo: { external: { secretRef: { name: 'alerts' } } },
      },
      monitoring: { serviceMonitor: false, prometheusRule: false, dashboards: false },
      // The scoring CronJob is applied like any child, but does not fire: at */15 it would start
      // N Jobs (2N pods) at once whenever a run crossed a quarter hour, a disturbance by the clock.
      scoring: { suspend: true },
    }),
  } as CreditPipeline;
}

/** The operator's successful child writes (applies, creates; status, Events and Leases aside). */
function childWrites(metrics: string): number {
  return counterSum(
    metrics,
    'credit_operator_api_requests_total',
    (l) =>
      (l.verb === 'apply' || l.verb === 'create') &&
      (l.code === '200' || l.code === '201') &&
      l.resource !== 'events' &&
      l.resource !== 'leases',
  );
}

/** The operator's API requests (watches and Lease renewals aside) by `verb resource`. */
function requestsBy(metrics: string, key: (l: Record<string, string>) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of metrics.split('\n')) {
    if (!line.startsWith('credit_operator_api_requests_total{')) continue;
    const m = /^[^{]+\{(.*)\} ([0-9.eE+-]+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1] as string] = l[2] as string;
    if (labels.verb === 'watch' || labels.resource === 'leases') continue;
    const k = key(labels);
    out.set(k, (out.get(k) ?? 0) + Number(m[2]));
  }
  return out;
}

function perReconcile(counts: Map<string, number>, reconciles: number): string {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, c]) => `${k} ${c} (${(c / Math.max(1, reconciles)).toFixed(2)})`)
    .join(', ');
}

function histogramMean(metrics: string, name: string): number {
  const sum = counterSum(metrics, `${name}_sum`);
  const count = counterSum(metrics, `${name}_count`);
  return count === 0 ? Number.NaN : sum / count;
}

function operatorEnv(kc: string): Record<string, string> {
  return {
    KUBECONFIG: kc,
    WATCH_NAMESPACES: namespaces.join(','),
    LEASE_NAMESPACE: ns,
    POD_NAME: 'bench',
    READINESS_MODE: 'applied',
    LOG_LEVEL: 'warn',
    // Generous lease timing: on a machine this loaded, a 10 s renew deadline can pass unanswered.
    LEASE_DURATION_SECONDS: '60',
    RENEW_DEADLINE_SECONDS: '45',
    RETRY_PERIOD_SECONDS: '5',
    ...(WORKERS === '' ? {} : { WORKERS }),
    ...(APPLY_CONCURRENCY === '' ? {} : { APPLY_CONCURRENCY }),
  };
}

/** Waits until the operator has reconciled `n` times and its queue stayed empty for 3 s. */
async function quiet(op: OperatorProcess, n: number): Promise<string> {
  let calmSince = 0;
  for (;;) {
    if (Date.now() > DEADLINE) throw new Error('the operator did not settle before the deadline');
    if (op.child.exitCode !== null)
      throw new Error(`the operator exited with ${op.child.exitCode} (log: ${op.logFile})`);
    const m = await op.metrics().catch(() => undefined); // a scrape can fail on a loaded machine
    if (m === undefined) {
      calmSince = 0;
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    const busy =
      counterSum(m, 'credit_operator_reconciles_total') < n ||
      counterSum(m, 'credit_operator_workqueue_depth') > 0;
    if (busy) calmSince = 0;
    else if (calmSince === 0) calmSince = Date.now();
    else if (Date.now() - calmSince >= 3000) return m;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  // A private control plane: the harness's Service range (/24) cannot hold 3 ClusterIPs × 500
  // pipelines, and a benchmark should not load the servers other tests share.
  const cluster = await startPrivateApiserver({
    serviceCidr: '10.96.0.0/16',
    controllerManager: true,
    ...(KCM_QPS === undefined
      ? {}
      : { controllerManagerQps: { qps: KCM_QPS, burst: Math.ceil(KCM_QPS * 1.5) } }),
    apiserverArgs: APISERVER_ARGS,
    controllerManagerArgs: KCM_ARGS,
  });
  stopCluster = () => cluster.stop();
  const kc = cluster.kubeconfig;
  client = adminClientFor(kc);
  kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds')], undefined, kc);
  kubectlOk(
    ['wait', '--for=condition=Established', '--timeout=60s', 'crd/creditpipelines.creditplatform.dev'],
    undefined,
    kc,
  );
  // Ready needs the topics part: the Strimzi KafkaTopic CRD (and the monitoring CRDs) from the fixtures.
  installFixtureCrds(kc);
  if (kubectl(['get', 'crd', 'kafkatopics.kafka.strimzi.io'], undefined, kc).status !== 0)
    throw new Error(
      'the Strimzi KafkaTopic CRD is not in test/fixtures/crds; pipelines could not become Ready',
    );
  for (const n of new Set([ns, ...namespaces])) kubectlOk(['create', 'namespace', n], undefined, kc);
  const sample = childrenOf({ ...pipeline(0), metadata: { ...pipeline(0).metadata, uid: 'sample' } });
  const childrenPerPipeline = sample.length;
  const deploymentsPerPipeline = sample.filter((o) => o.kind === 'Deployment').length;

  let op = await startOperator(`operator-bench-${ns}`, operatorEnv(kc));
  stopOperator = () => op.stop();
  await waitFor('operator ready', () => op.ready(), 60_000);
  const rssIdle = rssMiB(op.pid);
  const pids = {
    operator: op.pid,
    apiserver: cluster.pids.apiserver,
    etcd: cluster.pids.etcd,
    'controller-manager': cluster.pids.controllerManager,
    bench: process.pid,
  };
  try {
    // 1. N pipelines at once.
    let t0 = Date.now();
    const yes = (b: boolean) => b;
    const any = () => true;
    // Per pipeline: when its last Deployment was first seen observed by the Deployment controller,
    // and when it was first seen Ready — the gap is the operator's reaction (watch delivery to it,
    // STATUS_COALESCE_MS, the reconcile, the status write, watch delivery back to the bench).
    const observedDeployments = new Map<string, Set<string>>();
    const allObservedAt = new Map<string, number>();
    const readyAt = new Map<string, number>();
    const pipelineKey = (o: { metadata: { namespace?: string } }, name: string) =>
      `${o.metadata.namespace}/${name}`;
    const deployments = new CollectionTracker(
      kc,
      client,
      '/apis/apps/v1/deployments',
      (d: Parameters<typeof deploymentObserved>[0] & { metadata: { labels?: Record<string, string> } }) => {
        const ok = deploymentObserved(d);
        const owner = pipelineKey(d, d.metadata.labels?.['creditplatform.dev/pipeline'] ?? '');
        if (ok && !allObservedAt.has(owner)) {
          const seen = observedDeployments.get(owner) ?? new Set<string>();
          seen.add(d.metadata.name);
          observedDeployments.set(owner, seen);
          if (seen.size === deploymentsPerPipeline) allObservedAt.set(owner, Date.now());
        }
        return ok;
      },
      () => t0,
      inBench,
    );
    const pipelines = new CollectionTracker(
      kc,
      client,
      '/apis/creditplatform.dev/v1alpha1/creditpipelines',
      (p: Parameters<typeof pipelineReady>[0]) => {
        const ok = pipelineReady(p);
        const key = pipelineKey(p, p.metadata.name);
        if (ok && !readyAt.has(key)) readyAt.set(key, Date.now());
        return ok;
      },
      () => t0,
      inBench,
    );
    await Promise.all([deployments.start(), pipelines.start()]);
    const deploymentsExist = deployments.when(any, N * deploymentsPerPipeline);
    const deploymentsObserved = deployments.when(yes, N * deploymentsPerPipeline);
    const firstReady = pipelines.when(yes, 1);
    const halfReady = pipelines.when(yes, Math.ceil(N / 2));
    const allReady = pipelines.when(yes, N);
    const apiserverMetrics = () => kubectl(['get', '--raw', '/metrics'], undefined, kc).stdout;
    const metricsBefore = apiserverMetrics();
    const loadBefore = load1();
    const cpu = new CpuMeter(pids);
    t0 = Date.now();
    await mapLimit(
      Array.from({ length: N }, (_, i) => i),
      32,
      async (i) => {
        await client.create(
          `/apis/creditplatform.dev/v1alpha1/namespaces/${nsOf(i)}/creditpipelines`,
          pipeline(i) as never,
        );
      },
    );
    const createdMs = Date.now() - t0;
    let peakRss = rssIdle;
    let appliedMs: number | undefined;
    let appliesSeen = 0;
    let allIn = false;
    void allReady.then(() => {
      allIn = true;
    });
    while (!allIn) {
      const ready = pipelines.count(yes);
      if (Date.now() > DEADLINE) throw new Error(`only ${ready}/${N} Ready before the deadline`);
      await new Promise((r) => setTimeout(r, 1000));
      if (op.child.exitCode !== null)
        throw new Error(`the operator exited with ${op.child.exitCode} (log: ${op.logFile})`);
      // The last moment the operator's successful child writes grew: its own part of the bring-up.
      const applies = childWrites((await op.metrics().catch(() => '')) || '');
      if (applies > appliesSeen) {
        appliesSeen = applies;
        appliedMs = Date.now() - t0;
      }
      peakRss = Math.max(peakRss, rssMiB(op.pid));
      process.stderr.write(
        `\r[bench] ready ${ready}/${N}, deployments ${deployments.count(yes)}/${deployments.size} observed, after ${((Date.now() - t0) / 1000).toFixed(0)} s, load ${load1().toFixed(1)}   `,
      );
    }
    const allReadyMs = await allReady;
    const bringUpCpu = cpu.read();
    const loadAfter = load1();
    const metricsAfter = apiserverMetrics();
    const apiDuring = requestDelta(
      parseApiserverRequests(metricsBefore),
      parseApiserverRequests(metricsAfter),
    );
    const apiErrors = requestDelta(
      parseApiserverRequests(metricsBefore, true),
      parseApiserverRequests(metricsAfter, true),
    );
    const latBefore = parseLatencies(metricsBefore);
    const latAfter = parseLatencies(metricsAfter);
    const apiLatency = latencyDelta(latBefore.api, latAfter.api);
    const etcdLatency = latencyDelta(latBefore.etcd, latAfter.etcd, 8);
    const cpuTotal = Object.values(bringUpCpu).reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0);
    const existMs = await deploymentsExist;
    const observedMs = await deploymentsObserved;
    const firstReadyMs = await firstReady;
    const halfReadyMs = await halfReady;
    const reactionMs = [...readyAt.entries()]
      .map(([k, at]) => at - (allObservedAt.get(k) ?? at))
      .sort((a, b) => a - b);
    deployments.stop();
    pipelines.stop();
    process.stderr.write(
      `\n[bench] bring-up: all Ready ${s(allReadyMs)} (load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}), children applied ${appliedMs === undefined ? 'n/a' : s(appliedMs)}, Deployments observed ${s(observedMs)}; CPU s: ${formatCpu(bringUpCpu)}\n[bench] API server served ${apiDuring.total} requests (${apiDuring.writes} writes): ${apiDuring.text}\n[bench] API server latency: ${formatLatencies(apiLatency)}\n[bench] etcd latency: ${formatLatencies(etcdLatency)}\n`,
    );

    // 2. Requests, once the operator has settled.
    const m = await quiet(op, N);
    const reconciles = counterSum(m, 'credit_operator_reconciles_total');
    const requests = counterSum(
      m,
      'credit_operator_api_requests_total',
      (l) => l.verb !== 'watch' && l.resource !== 'leases',
    );
    const writes = nonLeaseWrites(m);
    const byVerb = requestsBy(m, (l) => l.verb ?? '');
    const byVerbResource = requestsBy(m, (l) => `${l.verb} ${l.resource}`);
    const reconcileMean = histogramMean(m, 'credit_operator_reconcile_duration_seconds');
    const rssLoaded = rssMiB(op.pid);
    // The operator's Events about the pipelines, by reason.
    const eventReasons = new Map<string, number>();
    for (const n of namespaces) {
      const events = await client
        .list<never>(`/apis/events.k8s.io/v1/namespaces/${n}/events`)
        .catch(() => ({ items: [] }));
      for (const e of events.items as unknown as Array<{ reason?: string; regarding?: { kind?: string } }>)
        if (e.regarding?.kind === 'CreditPipeline')
          eventReasons.set(e.reason ?? '', (eventReasons.get(e.reason ?? '') ?? 0) + 1);
    }

    // 3. No-change resync: a restarted operator finds everything in place.
    await op.stop();
    const resyncLoad = load1();
    const tResync = Date.now();
    op = await startOperator(`operator-bench-${ns}-resync`, operatorEnv(kc));
    const mResync = await quiet(op, N);
    const resyncMs = Date.now() - tResync - 3000;
    const resyncReconciles = counterSum(mResync, 'credit_operator_reconciles_total');
    const resyncWrites = nonLeaseWrites(mResync);
    const resyncByVerb = requestsBy(mResync, (l) => `${l.verb} ${l.resource}`);
    process.stderr.write(
      `[bench] requests: ${perReconcile(byVerbResource, reconciles)}; resync: ${resyncReconciles} reconciles, ${resyncWrites} writes\n`,
    );

    // 4. Edit → child updated, with N present.
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kc);
    const seen = new Map<string, (replicas: number) => void>();
    // The watch request itself can fail on a saturated API server: ask again.
    const ctl = await waitFor(
      'a watch on the detector Deployments',
      () =>
        new Watch(kubeConfig).watch(
          '/apis/apps/v1/deployments',
          { labelSelector: 'app.kubernetes.io/component=fraud-detector' },
          (_phase, obj: { metadata: { labels: Record<string, string> }; spec: { replicas: number } }) => {
            seen.get(obj.metadata.labels['creditplatform.dev/pipeline'] ?? '')?.(obj.spec.replicas);
          },
          () => {},
        ),
      120_000,
      1000,
    );
    const latencies: number[] = [];
    for (let e = 0; e < EDITS && Date.now() < DEADLINE; e++) {
      const i = (e * 7) % N;
      const name = `p${String(i).padStart(4, '0')}`;
      const cpPath = `/apis/creditplatform.dev/v1alpha1/namespaces/${nsOf(i)}/creditpipelines/${name}`;
      const cp = await client.get<CreditPipeline>(cpPath);
      const want = cp.spec.fraudDetector.replicas === 1 ? 2 : 1;
      const done = new Promise<void>((resolve) => {
        seen.set(name, (r) => {
          if (r === want) resolve();
        });
      });
      const start = performance.now();
      await client.mergePatch(cpPath, { spec: { fraudDetector: { replicas: want } } }, 'bench');
      await Promise.race([
        done,
        new Promise((_, rej) =>
          setTimeout(() => rej(new Error(`edit of ${name} not applied in 30 s`)), 30_000),
        ),
      ]);
      latencies.push(performance.now() - start);
      seen.delete(name);
    }
    ctl.abort();
    latencies.sort((a, b) => a - b);
    await op.stop();

    // 5. Floor: the same children from a bare client, same write and concurrency, no operator.
    let ceiling: CeilingResult | undefined;
    if (process.env.BENCH_SKIP_CEILING !== '1') {
      const floorNs = (n: string) => `${n}-floor`;
      for (const n of namespaces) kubectlOk(['create', 'namespace', floorNs(n)], undefined, kc);
      ceiling = await bareClientFloor({
        client,
        kubeconfig: kc,
        pipelines: Array.from({ length: N }, (_, i) => {
          const p = pipeline(i);
          return { ...p, metadata: { ...p.metadata, namespace: floorNs(nsOf(i)) } };
        }),
        concurrency: CEILING_CONCURRENCY,
        write: writeNewChild,
        pids: {
          apiserver: pids.apiserver,
          etcd: pids.etcd,
          'controller-manager': pids['controller-manager'],
          bench: pids.bench,
        },
      });
      process.stderr.write(
        `[bench] floor: ${ceiling.objects} children written in ${s(ceiling.appliedMs)}, every Deployment observed at ${s(ceiling.observedMs)}; CPU s: ${formatCpu(ceiling.cpu)}\n`,
      );
    }

    const workers = WORKERS === '' ? 'default' : WORKERS;
    const applyC = APPLY_CONCURRENCY === '' ? 'default' : APPLY_CONCURRENCY;
    const lines = [
      '# Operator benchmark',
      '',
      `Private etcd + kube-apiserver + kube-controller-manager (harness binaries, Service range /16; controller-manager client ${KCM_QPS === undefined ? 'QPS default 20, burst 30' : `QPS ${KCM_QPS}, burst ${Math.ceil(KCM_QPS * 1.5)}`}), no kubelets: READINESS_MODE=applied. Operator: one process, WORKERS ${workers}, APPLY_CONCURRENCY ${applyC}, admin kubeconfig. Pipelines in ${NAMESPACE_COUNT === 1 ? 'one namespace' : `${NAMESPACE_COUNT} namespaces (round-robin)`}. Pipelines: external storage, monitoring off (${N} × ${childrenPerPipeline} children, ${deploymentsPerPipeline} Deployments each). Machine: 2 cores shared; load average (1 min) given beside the timed figures.`,
      '',
      '| Measure | Value |',
      '|---|---|',
      `| Pipelines created at once | ${N} (created in ${s(createdMs)}, 32 concurrent requests) |`,
      `| **Time until all Ready** | **${s(allReadyMs)}** (first at ${s(firstReadyMs)}, half at ${s(halfReadyMs)}; load ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}) |`,
      `| … the operator's last child apply (seen at 1 s resolution) | ${appliedMs === undefined ? 'n/a' : s(appliedMs)} (${appliesSeen} applies) |`,
      `| … every Deployment created / observed by the Deployment controller | ${s(existMs)} / ${s(observedMs)} |`,
      `| … a pipeline's last Deployment observed → the pipeline Ready (the operator's reaction: watch, STATUS_COALESCE_MS, reconcile, status write) | p50 ${percentile(reactionMs, 50).toFixed(0)} ms, p99 ${percentile(reactionMs, 99).toFixed(0)} ms, max ${(reactionMs.at(-1) ?? Number.NaN).toFixed(0)} ms |`,
      `| CPU seconds during bring-up | ${formatCpu(bringUpCpu)} |`,
      `| CPU floor: all processes' CPU seconds over the machine's ${availableParallelism()} cores | ${cpuTotal.toFixed(1)} CPU s (${((cpuTotal / N) * 1000).toFixed(0)} ms per pipeline, API server ${(((bringUpCpu.apiserver ?? 0) / N) * 1000).toFixed(0)} ms) → ≥ ${s((cpuTotal / availableParallelism()) * 1000)} of wall time with every core on it |`,
      `| Refused requests during bring-up (code ≥ 400, everyone's) | ${apiErrors.total === 0 ? 'none' : apiErrors.text} |`,
      `| API server latency during bring-up (apiserver_request_duration_seconds: requests × mean; under saturation mostly queueing) | ${formatLatencies(apiLatency)} |`,
      `| etcd latency seen by the API server (etcd_request_duration_seconds) | ${formatLatencies(etcdLatency)} |`,
      `| Requests the API server served during bring-up (everyone: operator, controllers, bench; watches aside) | ${apiDuring.total} (${apiDuring.writes} writes, ${(apiDuring.writes / N).toFixed(1)} per pipeline): ${apiDuring.text} |`,
      `| Reconciles | ${reconciles} (${(reconciles / N).toFixed(2)} per pipeline, mean ${(reconcileMean * 1000).toFixed(0)} ms) |`,
      `| API requests (excl. watches, leases) | ${requests} → ${(requests / Math.max(1, reconciles)).toFixed(2)} per reconcile, ${(requests / N).toFixed(1)} per pipeline |`,
      `| Write requests | ${writes} → ${(writes / N).toFixed(1)} per pipeline |`,
      `| The operator's Events by reason | ${[...eventReasons.entries()].map(([r, c]) => `${r} ${c}`).join(', ') || 'none'} |`,
      `| Requests by verb (per reconcile) | ${perReconcile(byVerb, reconciles)} |`,
      `| Requests by verb and resource (per reconcile) | ${perReconcile(byVerbResource, reconciles)} |`,
      `| No-change resync (operator restarted, all in place) | ${resyncReconciles} reconciles in ${s(resyncMs)} (load ${resyncLoad.toFixed(1)}), **writes ${resyncWrites}**; requests: ${perReconcile(resyncByVerb, resyncReconciles) || 'none'} |`,
      `| Operator RSS | idle ${rssIdle.toFixed(0)} MiB, with ${N} pipelines cached ${rssLoaded.toFixed(0)} MiB, peak ${peakRss.toFixed(0)} MiB |`,
      `| Spec edit → Deployment updated (${latencies.length} edits, ${N} present) | p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${(latencies.at(-1) ?? Number.NaN).toFixed(0)} ms |`,
      ...(ceiling === undefined
        ? []
        : [
            `| **Floor, same run**: the same ${ceiling.objects} children (same owners, same write as the operator's first) from a bare client, ${ceiling.concurrency} in flight, no operator; the controller-manager reacting as to the operator's | all written in ${s(ceiling.appliedMs)}, **every Deployment observed by its controller (what applied-mode Ready waits for) at ${s(ceiling.observedMs)}** (load ${ceiling.loadBefore.toFixed(1)} → ${ceiling.loadAfter.toFixed(1)}; CPU s: ${formatCpu(ceiling.cpu)}) |`,
            `| Operator vs floor | children written by the operator in ${appliedMs === undefined ? 'n/a' : s(appliedMs)} vs ${s(ceiling.appliedMs)} bare (${appliedMs === undefined ? 'n/a' : `${((ceiling.appliedMs / appliedMs) * 100).toFixed(0)} % of the bare pace`}); all Ready ${s(allReadyMs)} vs every Deployment observed ${s(ceiling.observedMs)} bare (${((ceiling.observedMs / allReadyMs) * 100).toFixed(0)} %) |`,
          ]),
      '',
    ];
    const md = lines.join('\n');
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(join(repoRoot, 'bench', 'results', 'operator.md'), md);
    process.stdout.write(`${md}\n`);
  } finally {
    await op.stop();
    client.close();
    await cluster.stop();
  }
}

main().catch(async (err: unknown) => {
  const cause = err instanceof Error && err.cause !== undefined ? ` (cause: ${String(err.cause)})` : '';
  process.stderr.write(`bench/operator failed: ${err instanceof Error ? err.stack : String(err)}${cause}\n`);
  await stopCluster?.();
  process.exit(1);
});
