/** Ad-hoc probe: API server + etcd CPU per request kind for the operator's children. */
import { join } from 'node:path';
import type { CreditPipeline } from '../../api/v1alpha1.ts';
import { withSpecDefaults } from '../../api/v1alpha1.ts';
import { repoRoot } from '../../infra/lib/paths.ts';
import { FIELD_MANAGER } from '../../operator/reconcile/ownership.ts';
import { startPrivateApiserver } from '../../test/integration/operator/private-apiserver.ts';
import { adminClientFor, installFixtureCrds, kubectl, kubectlOk } from '../../test/integration/operator/support.ts';
import { childrenOf, collectionOf as coll, mapLimit } from './ceiling.ts';
import { CpuMeter } from './observe.ts';

const N = Number(process.env.PROBE_PIPELINES ?? 50);
const C = Number(process.env.PROBE_CONCURRENCY ?? 32);
const METHODS = (process.env.PROBE_METHODS ?? 'apply,apply-meta,create,create-meta,apply-noop').split(',');
const KCM = process.env.PROBE_KCM === '1';
const META = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';
function pipeline(i: number, ns: string): CreditPipeline {
  return {
    apiVersion: 'creditplatform.dev/v1alpha1', kind: 'CreditPipeline',
    metadata: { name: `p${String(i).padStart(4, '0')}`, namespace: ns, uid: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}` },
    spec: withSpecDefaults({
      kafka: { strimziCluster: 'kafka' }, ingestionApi: { replicas: 1 }, fraudDetector: { replicas: 1 }, warehouseLoader: { replicas: 1 },
      storage: { postgres: { external: { secretRef: { name: 'warehouse' } } }, mongo: { external: { secretRef: { name: 'alerts' } } } },
      monitoring: { serviceMonitor: false, prometheusRule: false, dashboards: false },
    }),
  } as CreditPipeline;
}
function durations(text: string): Map<string, { sum: number; count: number }> {
  const out = new Map<string, { sum: number; count: number }>();
  for (const line of text.split('\n')) {
    const m = /^apiserver_request_duration_seconds_(sum|count)\{(.*)\} ([0-9.eE+-]+)$/.exec(line);
    if (!m) continue;
    const l: Record<string, string> = {};
    for (const x of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) l[x[1] as string] = x[2] as string;
    if (l.verb === 'WATCH') continue;
    const k = `${l.verb} ${l.resource}${l.subresource ? `/${l.subresource}` : ''}`;
    const e = out.get(k) ?? { sum: 0, count: 0 };
    e[m[1] as 'sum' | 'count'] += Number(m[3]);
    out.set(k, e);
  }
  return out;
}
async function main() {
  const cluster = await startPrivateApiserver({ serviceCidr: '10.96.0.0/16', controllerManager: KCM, ...(KCM ? { controllerManagerQps: { qps: 500, burst: 750 } } : {}) });
  const kc = cluster.kubeconfig;
  const client = adminClientFor(kc);
  try {
    kubectlOk(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds')], undefined, kc);
    installFixtureCrds(kc);
    const pids = { apiserver: cluster.pids.apiserver, etcd: cluster.pids.etcd, ...(KCM ? { kcm: cluster.pids.controllerManager } : {}), probe: process.pid };
    let prevNs = '';
    for (const method of METHODS) {
      const ns = method === 'apply-noop' ? prevNs : `probe-${method}`;
      if (method !== 'apply-noop') kubectlOk(['create', 'namespace', ns], undefined, kc);
      prevNs = ns;
      const objs = Array.from({ length: N }, (_, i) => childrenOf(pipeline(i, ns))).flat();
      const d0 = durations(kubectl(['get', '--raw', '/metrics'], undefined, kc).stdout);
      const cpu = new CpuMeter(pids);
      const t0 = Date.now();
      await mapLimit(objs, C, async (o) => {
        if (method.startsWith('apply')) {
          await client.request('PATCH', 'apply', `${coll(o)}/${o.metadata.name}`, {
            body: o, contentType: 'application/apply-patch+yaml', query: { fieldManager: FIELD_MANAGER, force: true },
            ...(method === 'apply-meta' ? { accept: META } : {}),
          });
        } else {
          await client.request('POST', 'create', coll(o), {
            body: o, query: { fieldManager: FIELD_MANAGER }, ...(method === 'create-meta' ? { accept: META } : {}),
          });
        }
      });
      const wall = Date.now() - t0;
      if (KCM) await new Promise((r) => setTimeout(r, Number(process.env.PROBE_SETTLE_MS ?? 20000)));
      const c = cpu.read();
      const d1 = durations(kubectl(['get', '--raw', '/metrics'], undefined, kc).stdout);
      const lat = [...d1.entries()].map(([k, v]) => { const b = d0.get(k) ?? { sum: 0, count: 0 }; return [k, v.count - b.count, (v.sum - b.sum) / Math.max(1, v.count - b.count)] as const; }).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).slice(0, 12);
      const per = (s: number) => ((s / objs.length) * 1000).toFixed(2);
      console.log(`${method}: ${objs.length} objects in ${wall} ms (${(objs.length / (wall / 1000)).toFixed(0)}/s); CPU ms/object: ${Object.entries(c).map(([k, v]) => `${k} ${per(v)}`).join(', ')}`);
      console.log(`   latency: ${lat.map(([k, n, m]) => `${k} ${n}×${(m * 1000).toFixed(1)}ms`).join(', ')}`);
    }
  } finally {
    client.close();
    await cluster.stop();
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
