/**
 * What one write of the operator's children costs the API server, by method (a tool, not part of
 * `make bench`): the children of N pipelines (default 50) written into a fresh namespace of a private
 * etcd + kube-apiserver with NO controller-manager (so nothing reacts), one method at a time:
 * `apply` (server-side apply of a new object, what the operator sent before), `create` (a plain
 * POST, what it sends now for a child it has never seen), each also with a metadata-only answer
 * (`-meta`), and `apply-noop` (the same apply again, nothing changes). Prints per method the rate,
 * the API server's and etcd's CPU milliseconds per object and the API server's latency by resource.
 *
 *   npx tsx bench/operator/write-cost.ts   (WRITE_COST_PIPELINES, WRITE_COST_CONCURRENCY, WRITE_COST_METHODS)
 */
import { join } from 'node:path';
import { type CreditPipeline, withSpecDefaults } from '../../api/v1alpha1.ts';
import { repoRoot } from '../../infra/lib/paths.ts';
import { FIELD_MANAGER } from '../../operator/reconcile/ownership.ts';
import { startPrivateApiserver } from '../../test/integration/operator/private-apiserver.ts';
import {
  adminClientFor,
  installFixtureCrds,
  kubectl,
  kubectlOk,
} from '../../test/integration/operator/support.ts';
import { childrenOf, collectionOf, mapLimit } from './ceiling.ts';
import { CpuMeter, formatLatencies, latencyDelta, parseLatencies } from './observe.ts';

const N = Number(process.env.WRITE_COST_PIPELINES ?? 50);
const C = Number(process.env.WRITE_COST_CONCURRENCY ?? 32);
const METHODS = (process.env.WRITE_COST_METHODS ?? 'apply,apply-meta,create,create-meta,apply-noop').split(
  ',',
);
const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

function pipeline(i: number, ns: string): CreditPipeline {
  return {
    apiVersion: 'creditplatform.dev/v1alpha1',
    kind: 'CreditPipeline',
    // No such pipeline exists: without a controller-manager, no garbage collector deletes the children.
    metadata: {
      name: `p${String(i).padStart(4, '0')}`,
      namespace: ns,
      uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
    },
    // The benchmark's pipeline (bench/operator/main.ts): 24 children.
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
  } as CreditPipeline;
}

async function main(): Promise<void> {
  const cluster = await startPrivateApiserver({ serviceCidr: '10.96.0.0/16' });
  const kc = cluster.kubeconfig;
  const client = adminClientFor(kc);
  try {
    kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds')], undefined, kc);
    installFixtureCrds(kc);
    let previous = '';
    for (const method of METHODS) {
      const ns = method === 'apply-noop' ? previous : `cost-${method}`;
      if (ns === '')
        throw new Error('apply-noop re-applies the previous method’s objects: list one before it');
      if (method !== 'apply-noop') kubectlOk(['create', 'namespace', ns], undefined, kc);
      previous = ns;
      const objects = Array.from({ length: N }, (_, i) => childrenOf(pipeline(i, ns))).flat();
      const before = parseLatencies(kubectl(['get', '--raw', '/metrics'], undefined, kc).stdout);
      const cpu = new CpuMeter({ apiserver: cluster.pids.apiserver, etcd: cluster.pids.etcd });
      const t0 = Date.now();
      await mapLimit(objects, C, async (o) => {
        const accept = method.endsWith('-meta') ? { accept: METADATA_ONLY } : {};
        if (method.startsWith('apply'))
          await client.request('PATCH', 'apply', `${collectionOf(o)}/${o.metadata.name}`, {
            body: o,
            contentType: 'application/apply-patch+yaml',
            query: { fieldManager: FIELD_MANAGER, force: true },
            ...accept,
          });
        else
          await client.request('POST', 'create', collectionOf(o), {
            body: o,
            query: { fieldManager: FIELD_MANAGER },
            ...accept,
          });
      });
      const ms = Date.now() - t0;
      const used = cpu.read();
      const after = parseLatencies(kubectl(['get', '--raw', '/metrics'], undefined, kc).stdout);
      const each = (s: number | undefined) => (((s ?? 0) / objects.length) * 1000).toFixed(2);
      process.stdout.write(
        `${method}: ${objects.length} objects in ${ms} ms (${(objects.length / (ms / 1000)).toFixed(0)}/s, ${C} in flight); CPU ms per object: API server ${each(used.apiserver)}, etcd ${each(used.etcd)}\n  latency: ${formatLatencies(latencyDelta(before.api, after.api, 10))}\n`,
      );
    }
  } finally {
    client.close();
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`write-cost failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
