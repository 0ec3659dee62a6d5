/**
 * The demo's view of the harness cluster: kubectl and helm from the harness, as a person would run
 * them, and the addresses at which the host reaches the Services of the pods on the node.
 */
import { spawnSync } from 'node:child_process';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { kubeToolEnv, repoRoot } from '../infra/lib/paths.ts';
import { readInfraState, requireInfra } from '../infra/lib/state.ts';
import { hostAddress, hostEndpoints } from '../infra/node/cluster-access.ts';
import { containerEnv, type EnvReader } from './workload-env.ts';

/**
 * The workloads run as pods on the harness node: fails, saying why, when this checkout runs none
 * (CREDIT_NODE=off, not root, or another checkout on this machine holds the one node).
 */
export function requireNode(): void {
  if (readInfraState().node !== undefined) return;
  throw new Error(
    'no node runs in this checkout, and the demo runs the platform as pods on it: `make infra-up` says why ' +
      "(CREDIT_NODE=off, not root, or another checkout on this machine holds the machine's one node: " +
      "run 'make infra-down' there)",
  );
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  status: number;
}

const COMMAND_TIMEOUT_MS = 300_000;

function run(tool: 'kubectl' | 'helm', args: readonly string[], input?: string): CommandResult {
  const tools = requireInfra('tools');
  const kube = requireInfra('kube');
  const r = spawnSync(tools[tool], [...args], {
    cwd: repoRoot,
    input,
    encoding: 'utf8',
    env: kubeToolEnv(kube.kubeconfig),
    maxBuffer: 64 * 1024 * 1024,
    // No command of the demo should block for long; a hung one fails the step instead of the run.
    timeout: COMMAND_TIMEOUT_MS,
  });
  const timedOut = r.error !== undefined && /ETIMEDOUT/.test(String(r.error));
  return {
    stdout: r.stdout ?? '',
    stderr: timedOut ? `timed out after ${COMMAND_TIMEOUT_MS / 1000} s` : (r.stderr ?? ''),
    status: r.status ?? 1,
  };
}

/** Runs kubectl and throws with its stderr when it fails. */
export function kubectl(args: readonly string[], input?: string): string {
  const r = run('kubectl', args, input);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

export function kubectlJson<T>(args: readonly string[]): T {
  return JSON.parse(kubectl([...args, '-o', 'json'])) as T;
}

export function helm(args: readonly string[]): string {
  const r = run('helm', args);
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

/** Polls an object's status conditions until `type` is True; throws with all conditions on timeout. */
export async function waitForCondition(
  resource: string,
  namespace: string,
  type: string,
  timeoutMs: number,
  onProgress?: (conditions: Condition[]) => void,
): Promise<Condition[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Condition[] = [];
  let lastText = '';
  while (Date.now() < deadline) {
    try {
      const obj = kubectlJson<{ status?: { conditions?: Condition[] } }>(['get', resource, '-n', namespace]);
      last = obj.status?.conditions ?? [];
      const text = last.map((c) => `${c.type}=${c.status}`).join(' ');
      if (text !== lastText) onProgress?.(last);
      lastText = text;
      if (last.some((c) => c.type === type && c.status === 'True')) return last;
    } catch {
      /* not there yet */
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  const detail = last.map((c) => `${c.type}=${c.status} ${c.reason ?? ''}: ${c.message ?? ''}`).join('\n  ');
  throw new Error(`timed out waiting for ${resource} ${type}=True; conditions:\n  ${detail}`);
}

/**
 * `<service>.<namespace>:<port>` → addresses this process can reach: a ClusterIP (the host routes the
 * Service range over the pod bridge), or a headless Service's ready pod addresses.
 */
export function serviceEndpoints(): Record<string, string[]> {
  return hostEndpoints();
}

/** Rewrites the cluster Service names inside a URL or broker list to addresses the host reaches. */
export function localAddress(value: string, namespace: string): string {
  return hostAddress(value, namespace, serviceEndpoints());
}

/** ConfigMap and Secret data through kubectl (undefined when absent). */
const kubectlEnvReader: EnvReader = {
  configMap: async (namespace, name) => objectData('configmap', namespace, name),
  secret: async (namespace, name) => {
    const data = objectData('secret', namespace, name);
    if (data === undefined) return undefined;
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
  },
};

function objectData(kind: 'configmap' | 'secret', namespace: string, name: string) {
  const out = kubectl(['get', kind, name, '-n', namespace, '--ignore-not-found', '-o', 'json']).trim();
  if (out === '') return undefined;
  return (JSON.parse(out) as { data?: Record<string, string> }).data ?? {};
}

/**
 * One environment variable of a Deployment's pods, resolved from the pod template as a kubelet
 * resolves it (demo/workload-env.ts), so a pod restarting meanwhile does not matter.
 */
export async function workloadEnv(namespace: string, deployment: string, envName: string): Promise<string> {
  const d = kubectlJson<V1Deployment>(['get', 'deployment', deployment, '-n', namespace]);
  const pod: V1Pod = {
    metadata: { namespace, labels: d.spec?.template.metadata?.labels },
    spec: d.spec?.template.spec,
  };
  for (const c of d.spec?.template.spec?.containers ?? []) {
    const value = (await containerEnv(pod, c, kubectlEnvReader))[envName];
    if (value !== undefined) return value;
  }
  throw new Error(`deployment ${namespace}/${deployment} has no env ${envName}`);
}
