/**
 * prometheus-operator on the harness node: the operator (v0.85.0, built from the Go module proxy by
 * infra/provision/prometheus-operator.sh) runs as a Deployment in the `monitoring` namespace and
 * turns a `Prometheus` resource into a Prometheus StatefulSet with the operator's config-reloader
 * sidecar. That Prometheus selects every ServiceMonitor, PodMonitor and PrometheusRule labelled
 * `release: kube-prometheus-stack` (the label kube-prometheus-stack's Prometheus selects, and the one
 * the demo's CreditPipeline sets in spec.monitoring.labels), in any namespace, so the chart's
 * ServiceMonitors and PrometheusRules become a real Prometheus configuration, scraped through
 * Kubernetes service discovery.
 *
 * Started on demand (the demo and test/integration/node), not with every node start: it costs a
 * Prometheus. Usage as a script: tsx infra/node/monitoring.ts   (prints the Prometheus URL).
 * The Prometheus is 3.5 built from the Go module proxy (Debian's 2.42, the harness's own, is built
 * without Kubernetes service discovery), pinned in the resource's `version`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { cacheDir, kubeToolEnv, repoRoot } from '../lib/paths.ts';
import { progress, waitUntil } from '../lib/process.ts';
import { requireInfra } from '../lib/state.ts';
import { NODE_TOLERATION, prometheusOperatorVersion, prometheusVersion } from './config.ts';
import { ensureImages } from './images.ts';
import { type Manifest, restrictedContainer } from './manifests.ts';

export const MONITORING_NAMESPACE = 'monitoring';
/** The label the Prometheus selects its ServiceMonitors, PodMonitors and PrometheusRules by. */
export const MONITORING_SELECTOR = { release: 'kube-prometheus-stack' } as const;
const PROMETHEUS_NAME = 'credit';
const OPERATOR_NAME = 'prometheus-operator';

const operatorHome = join(cacheDir, `prometheus-operator-${prometheusOperatorVersion}`);
export const prometheusOperatorBinaries = {
  operator: join(operatorHome, 'bin', 'operator'),
  reloader: join(operatorHome, 'bin', 'prometheus-config-reloader'),
  /** CRDs and cluster roles copied from the module's example/ folder at build time. */
  manifests: join(operatorHome, 'manifests'),
};

/** Builds the binaries (once per version), the images (when their inputs change), imports them. */
function provision(): { operator: string; prometheus: string; prometheusVersion: string } {
  execFileSync(
    'bash',
    [
      join(repoRoot, 'infra', 'provision', 'prometheus-operator.sh'),
      cacheDir,
      prometheusOperatorVersion,
      prometheusVersion,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const refs = ensureImages(['prometheus-operator', 'prometheus']);
  const prometheus = refs.prometheus ?? '';
  return { operator: refs['prometheus-operator'] ?? '', prometheus, prometheusVersion };
}

function readYaml(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
}

const restrictedPod = (uid: number) => ({
  runAsNonRoot: true,
  runAsUser: uid,
  runAsGroup: uid,
  fsGroup: uid,
  seccompProfile: { type: 'RuntimeDefault' },
});

export function monitoringManifests(images: {
  operator: string;
  prometheus: string;
  prometheusVersion: string;
}): Manifest[] {
  const ns = MONITORING_NAMESPACE;
  const roles = join(prometheusOperatorBinaries.manifests, 'rbac');
  const clusterRole = (file: string, name: string): Manifest => ({
    ...(readYaml(join(roles, file))[0] ?? {}),
    metadata: { name },
  });
  const binding = (name: string, sa: string): Manifest => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
  });
  const labels = { 'app.kubernetes.io/name': OPERATOR_NAME };
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: OPERATOR_NAME, namespace: ns } },
    clusterRole('prometheus-operator-cluster-role.yaml', OPERATOR_NAME),
    binding(OPERATOR_NAME, OPERATOR_NAME),
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'prometheus', namespace: ns } },
    clusterRole('prometheus-cluster-role.yaml', 'prometheus'),
    binding('prometheus', 'prometheus'),
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: OPERATOR_NAME, namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: OPERATOR_NAME,
            tolerations: [NODE_TOLERATION],
            securityContext: restrictedPod(65534),
            containers: [
              {
                name: OPERATOR_NAME,
                image: images.operator,
                imagePullPolicy: 'Never',
                args: [
                  `--prometheus-config-reloader=${images.operator}`,
                  '--web.listen-address=:8080',
                  '--log-level=info',
                ],
                env: [{ name: 'GOGC', value: '30' }],
                ports: [{ name: 'http', containerPort: 8080 }],
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
                readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2 },
                securityContext: restrictedContainer,
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'Prometheus',
      metadata: { name: PROMETHEUS_NAME, namespace: ns },
      spec: {
        replicas: 1,
        version: images.prometheusVersion,
        image: images.prometheus,
        imagePullPolicy: 'Never',
        serviceAccountName: 'prometheus',
        scrapeInterval: '5s',
        evaluationInterval: '5s',
        serviceMonitorSelector: { matchLabels: MONITORING_SELECTOR },
        serviceMonitorNamespaceSelector: {},
        podMonitorSelector: { matchLabels: MONITORING_SELECTOR },
        podMonitorNamespaceSelector: {},
        ruleSelector: { matchLabels: MONITORING_SELECTOR },
        ruleNamespaceSelector: {},
        probeSelector: null,
        scrapeConfigSelector: null,
        tolerations: [NODE_TOLERATION],
        securityContext: restrictedPod(65534),
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
      },
    },
  ];
}

function kubectl(kubeconfig: string, args: readonly string[], input?: string): string {
  const r = spawnSync(requireInfra('tools').kubectl, [...args], {
    input,
    encoding: 'utf8',
    env: kubeToolEnv(kubeconfig),
    timeout: 180_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** The operator's CRDs: the module's own, except those the tests' fixtures pin (newer, compatible). */
function applyCrds(kubeconfig: string): void {
  const fixtures = join(repoRoot, 'test', 'fixtures', 'crds');
  const pinned = new Set(readdirSync(fixtures).filter((f) => f.startsWith('monitoring.coreos.com_')));
  const dir = join(prometheusOperatorBinaries.manifests, 'crds');
  const files = [
    ...readdirSync(dir)
      .filter((f) => f.endsWith('.yaml') && !pinned.has(f))
      .map((f) => join(dir, f)),
    ...[...pinned].map((f) => join(fixtures, f)),
  ];
  // Server-side: several of these exceed the 256 KB last-applied annotation.
  kubectl(kubeconfig, ['apply', '--server-side', '--force-conflicts', ...files.flatMap((f) => ['-f', f])]);
  kubectl(kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
}

export interface MonitoringInfo {
  /** http://<pod IP>:9090 of the operator-managed Prometheus (reachable from the host over the pod bridge). */
  prometheusUrl: string;
  namespace: string;
}

/** Starts (or finds running) prometheus-operator and its Prometheus on the node; returns where it answers. */
export async function ensureMonitoring(): Promise<MonitoringInfo> {
  const kube = requireInfra('kube');
  requireInfra('node');
  const t0 = Date.now();
  const images = provision();
  applyCrds(kube.kubeconfig);
  kubectl(
    kube.kubeconfig,
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: monitoringManifests(images) }),
  );
  let ip = '';
  await waitUntil(
    'the operator-managed Prometheus to be ready',
    async () => {
      const out = kubectl(kube.kubeconfig, [
        'get',
        'pods',
        '-n',
        MONITORING_NAMESPACE,
        '-l',
        `prometheus=${PROMETHEUS_NAME}`,
        '-o',
        'jsonpath={range .items[*]}{.status.podIP} {.status.containerStatuses[*].ready}{"\\n"}{end}',
      ]);
      const line = out.split('\n').find((l) => l.trim() !== '' && !l.includes('false'));
      if (line === undefined || !line.includes('true')) return false;
      ip = line.split(' ')[0] ?? '';
      return ip !== '';
    },
    { timeoutMs: 240_000, intervalMs: 1000 },
  );
  progress(
    'node',
    `prometheus-operator and its Prometheus ready in ${((Date.now() - t0) / 1000).toFixed(1)}s`,
  );
  return { prometheusUrl: `http://${ip}:9090`, namespace: MONITORING_NAMESPACE };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  ensureMonitoring().then(
    (m) => process.stdout.write(`${m.prometheusUrl}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
