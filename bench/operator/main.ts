/**
 * Operator benchmark on the harness's real control plane (no kubelets, so READINESS_MODE=applied:
 * a pipeline is Ready when every child was applied and the Deployment/StatefulSet controllers
 * observed its generation).
 *
 * 1. N CreditPipelines (default 500) created at once → time until all are Ready.
 * 2. API requests per reconcile and per pipeline, from the operator's request counter.
 * 3. Operator memory: RSS of the process (/proc) with N pipelines and their children cached.
 * 4. With N present: p50/p99 from a spec edit (detector replicas) to the Deployment updated, seen
 *    through a watch.
 * Writes bench/results/operator.md. Bounded: BENCH_PIPELINES, BENCH_EDITS, 20 min overall.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { type CreditPipeline, withSpecDefaults } from '../../api/v1alpha1.ts';
import { repoRoot } from '../../infra/lib/paths.ts';
import type { KubeClient } from '../../operator/kube/client.ts';
import { startPrivateApiserver } from '../../test/integration/operator/private-apiserver.ts';
import {
  adminClientFor,
  counterSum,
  installFixtureCrds,
  kubectl,
  kubectlOk,
  nonLeaseWrites,
  startOperator,
  uniqueName,
  waitFor,
} from '../../test/integration/operator/support.ts';

const N = Number(process.env.BENCH_PIPELINES ?? 500);
const EDITS = Number(process.env.BENCH_EDITS ?? 100);
const DEADLINE = Date.now() + 20 * 60_000;
const ns = uniqueName('op-bench');
let client: KubeClient;
let stopCluster: (() => Promise<void>) | undefined;

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function pipeline(i: number) {
  return {
    apiVersion: 'creditplatform.dev/v1alpha1',
    kind: 'CreditPipeline',
    metadata: { name: `p${String(i).padStart(4, '0')}`, namespace: ns },
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
    }),
  };
}

async function mapLimit<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function readyCount(): Promise<number | undefined> {
  const list = await client
    .list<never>(`/apis/creditplatform.dev/v1alpha1/namespaces/${ns}/creditpipelines`)
    .catch(() => undefined); // e.g. 429 while another process re-applies a CRD: ask again
  if (list === undefined) return undefined;
  return (list.items as unknown as CreditPipeline[]).filter((cp) => {
    const r = cp.status?.conditions?.find((c) => c.type === 'Ready');
    return r?.status === 'True' && r.observedGeneration === cp.metadata.generation;
  }).length;
}

async function main(): Promise<void> {
  // A private control plane: the harness's Service range (/24) cannot hold 3 ClusterIPs × 500
  // pipelines, and a benchmark should not load the servers other tests share.
  const cluster = await startPrivateApiserver({ serviceCidr: '10.96.0.0/16', controllerManager: true });
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
  kubectlOk(['create', 'namespace', ns], undefined, kc);
  const op = await startOperator(`operator-bench-${ns}`, {
    KUBECONFIG: kc,
    WATCH_NAMESPACES: ns,
    LEASE_NAMESPACE: ns,
    POD_NAME: 'bench',
    READINESS_MODE: 'applied',
    WORKERS: process.env.BENCH_WORKERS ?? '8',
    LOG_LEVEL: 'warn',
  });
  await waitFor('operator ready', () => op.ready(), 60_000);
  const rssIdle = rssMiB(op.pid);
  try {
    // 1. N pipelines at once.
    const t0 = Date.now();
    await mapLimit(
      Array.from({ length: N }, (_, i) => i),
      32,
      async (i) => {
        await client.create(
          `/apis/creditplatform.dev/v1alpha1/namespaces/${ns}/creditpipelines`,
          pipeline(i) as never,
        );
      },
    );
    const createdMs = Date.now() - t0;
    let ready = 0;
    let peakRss = rssIdle;
    while (ready < N) {
      if (Date.now() > DEADLINE) throw new Error(`only ${ready}/${N} Ready before the deadline`);
      await new Promise((r) => setTimeout(r, 1000));
      ready = (await readyCount()) ?? ready;
      peakRss = Math.max(peakRss, rssMiB(op.pid));
      process.stderr.write(
        `\r[bench] ready ${ready}/${N} after ${((Date.now() - t0) / 1000).toFixed(0)} s   `,
      );
    }
    const allReadyMs = Date.now() - t0;
    process.stderr.write('\n');
    await new Promise((r) => setTimeout(r, 5000));
    const m = await op.metrics();
    const reconciles = counterSum(m, 'credit_operator_reconciles_total');
    const requests = counterSum(
      m,
      'credit_operator_api_requests_total',
      (l) => l.verb !== 'watch' && l.resource !== 'leases',
    );
    const writes = nonLeaseWrites(m);
    const byVerb = ['get', 'list', 'apply', 'patch', 'create', 'delete'].map(
      (v) =>
        [
          v,
          counterSum(m, 'credit_operator_api_requests_total', (l) => l.verb === v && l.resource !== 'leases'),
        ] as const,
    );
    const rssLoaded = rssMiB(op.pid);

    // 4. Edit → child updated, with N present.
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kc);
    const seen = new Map<string, (replicas: number) => void>();
    const ctl = await new Watch(kubeConfig).watch(
      `/apis/apps/v1/namespaces/${ns}/deployments`,
      { labelSelector: 'app.kubernetes.io/component=fraud-detector' },
      (_phase, obj: { metadata: { labels: Record<string, string> }; spec: { replicas: number } }) => {
        seen.get(obj.metadata.labels['creditplatform.dev/pipeline'] ?? '')?.(obj.spec.replicas);
      },
      () => {},
    );
    const latencies: number[] = [];
    for (let e = 0; e < EDITS && Date.now() < DEADLINE; e++) {
      const name = `p${String((e * 7) % N).padStart(4, '0')}`;
      const cp = await client.get<CreditPipeline>(
        `/apis/creditplatform.dev/v1alpha1/namespaces/${ns}/creditpipelines/${name}`,
      );
      const want = cp.spec.fraudDetector.replicas === 1 ? 2 : 1;
      const done = new Promise<void>((resolve) => {
        seen.set(name, (r) => {
          if (r === want) resolve();
        });
      });
      const start = performance.now();
      await client.mergePatch(
        `/apis/creditplatform.dev/v1alpha1/namespaces/${ns}/creditpipelines/${name}`,
        { spec: { fraudDetector: { replicas: want } } },
        'bench',
      );
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

    const lines = [
      '# Operator benchmark',
      '',
      `Real kube-apiserver + etcd + kube-controller-manager v1.34.4 (a private control plane from the harness binaries, Service range /16), no kubelets: READINESS_MODE=applied (a pipeline is Ready when every child is applied with the current desired hash and the Deployment controller observed its generation). Operator: one process, ${process.env.BENCH_WORKERS ?? '8'} workers, admin kubeconfig, watching one namespace. Pipelines: external storage, monitoring off (${N} × ~16 children).`,
      '',
      '| Measure | Value |',
      '|---|---|',
      `| Pipelines created at once | ${N} (created in ${(createdMs / 1000).toFixed(1)} s, 32 concurrent requests) |`,
      `| Time until all Ready | ${(allReadyMs / 1000).toFixed(1)} s |`,
      `| Reconciles | ${reconciles} (${(reconciles / N).toFixed(2)} per pipeline) |`,
      `| API requests (excl. watches, leases) | ${requests} → ${(requests / Math.max(1, reconciles)).toFixed(2)} per reconcile, ${(requests / N).toFixed(1)} per pipeline |`,
      `| Write requests | ${writes} → ${(writes / N).toFixed(1)} per pipeline |`,
      `| Requests by verb | ${byVerb.map(([v, c]) => `${v} ${c}`).join(', ')} |`,
      `| Operator RSS | idle ${rssIdle.toFixed(0)} MiB, with ${N} pipelines cached ${rssLoaded.toFixed(0)} MiB, peak ${peakRss.toFixed(0)} MiB |`,
      `| Spec edit → Deployment updated (${latencies.length} edits, ${N} present) | p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${(latencies.at(-1) ?? Number.NaN).toFixed(0)} ms |`,
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
  process.stderr.write(`bench/operator failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  await stopCluster?.();
  process.exit(1);
});
