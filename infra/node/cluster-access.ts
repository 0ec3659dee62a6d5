/**
 * How tools on the host (the demo, tests) use a pipeline that runs on the harness node:
 *
 * - `hostEndpoints`: Service name → addresses the host can reach (`<service>.<namespace>:<port>` →
 *   `host:port` list). A Service with a ClusterIP is reached at that ClusterIP (the host routes the
 *   Service range over the pod bridge, and kube-proxy's rules carry it to a pod, as for any client in
 *   the cluster); a headless Service (the managed stores) at its ready endpoints' pod addresses.
 * - `hostAddress`: a configuration value (a URL, a broker list) with its Service names replaced by
 *   those addresses: the host's resolver does not know cluster names.
 * - `nodeNamespace`: a namespace whose pods run on the node: Pod Security `restricted` enforced (or
 *   another level), and the node's taint tolerated by default (the PodTolerationRestriction admission
 *   plugin adds the toleration to every pod of an annotated namespace, as a cluster admin dedicates a
 *   tainted node pool to a team).
 */
import { spawnSync } from 'node:child_process';
import { kubeToolEnv } from '../lib/paths.ts';
import { requireInfra } from '../lib/state.ts';
import { NODE_TOLERATION } from './config.ts';

interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
}
interface ServiceObject {
  metadata: { name: string; namespace: string };
  spec?: { clusterIP?: string; ports?: ServicePort[] };
}
interface EndpointSliceObject {
  metadata: { namespace: string; labels?: Record<string, string> };
  ports?: Array<{ name?: string; port?: number }> | null;
  endpoints?: Array<{ addresses: string[]; conditions?: { ready?: boolean } }>;
}

function kubectlJson<T>(kubeconfig: string, args: readonly string[]): T {
  const r = spawnSync(requireInfra('tools').kubectl, [...args, '-o', 'json'], {
    encoding: 'utf8',
    env: kubeToolEnv(kubeconfig),
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Pure part of `hostEndpoints`, for the unit test. */
export function endpointTable(
  services: readonly ServiceObject[],
  slices: readonly EndpointSliceObject[],
): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  for (const s of services) {
    const { name, namespace } = s.metadata;
    const clusterIp = s.spec?.clusterIP;
    for (const p of s.spec?.ports ?? []) {
      if ((p.protocol ?? 'TCP') !== 'TCP') continue;
      const key = `${name}.${namespace}:${p.port}`;
      if (clusterIp !== undefined && clusterIp !== '' && clusterIp !== 'None') {
        table[key] = [`${clusterIp}:${p.port}`];
        continue;
      }
      const addresses: string[] = [];
      for (const slice of slices) {
        if (slice.metadata.namespace !== namespace) continue;
        if (slice.metadata.labels?.['kubernetes.io/service-name'] !== name) continue;
        const port = (slice.ports ?? []).find((sp) => (sp.name ?? '') === (p.name ?? ''))?.port;
        if (port === undefined) continue;
        for (const e of slice.endpoints ?? [])
          if (e.conditions?.ready !== false) for (const a of e.addresses) addresses.push(`${a}:${port}`);
      }
      if (addresses.length > 0) table[key] = addresses;
    }
  }
  return table;
}

/** Every Service of the cluster as the host reaches it (see the module comment). */
export function hostEndpoints(kubeconfig = requireInfra('kube').kubeconfig): Record<string, string[]> {
  const services = kubectlJson<{ items: ServiceObject[] }>(kubeconfig, ['get', 'services', '-A']).items;
  const slices = kubectlJson<{ items: EndpointSliceObject[] }>(kubeconfig, [
    'get',
    'endpointslices.discovery.k8s.io',
    '-A',
  ]).items;
  return endpointTable(services, slices);
}

/** `svc`, `svc.ns`, `svc.ns.svc` or `svc.ns.svc.cluster.local`: the Service it names, if any. */
function serviceOf(host: string, podNamespace: string): { service: string; namespace: string } | undefined {
  const m = /^([a-z0-9-]+)(?:\.([a-z0-9-]+))?(?:\.svc(?:\.cluster\.local)?)?\.?$/.exec(host);
  if (m === null || m[1] === undefined) return undefined;
  return { service: m[1], namespace: m[2] ?? podNamespace };
}

/**
 * Rewrites every `host:port` inside a configuration value (URLs and comma-separated broker lists
 * included) that names a Service of `table` (`hostEndpoints`) to the addresses the host reaches it at,
 * as a pod of `podNamespace` would resolve it: the host's resolver does not know cluster names.
 * Unknown hosts, other namespaces and ports stay as they are.
 */
export function hostAddress(
  value: string,
  podNamespace: string,
  table: Readonly<Record<string, readonly string[]>>,
): string {
  return value.replace(/([a-z0-9][a-z0-9.-]*):(\d{1,5})(?:,([a-z0-9][a-z0-9.-]*):(\d{1,5}))*/g, (match) =>
    match
      .split(',')
      .map((hp) => {
        const i = hp.lastIndexOf(':');
        const svc = serviceOf(hp.slice(0, i), podNamespace);
        const endpoints = svc && table[`${svc.service}.${svc.namespace}:${hp.slice(i + 1)}`];
        return endpoints === undefined || endpoints.length === 0 ? hp : endpoints.join(',');
      })
      .join(','),
  );
}

/** Annotation of the PodTolerationRestriction admission plugin: tolerations every pod of the namespace gets. */
export const DEFAULT_TOLERATIONS_ANNOTATION = 'scheduler.alpha.kubernetes.io/defaultTolerations';

export function nodeNamespace(
  name: string,
  podSecurity: 'restricted' | 'baseline' | 'privileged' = 'restricted',
): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'pod-security.kubernetes.io/enforce': podSecurity,
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
      annotations: { [DEFAULT_TOLERATIONS_ANNOTATION]: JSON.stringify([NODE_TOLERATION]) },
    },
  };
}
