/** The demo's view of the local control plane: kubectl and helm from the harness, as a person would run them. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, stateDir } from '../infra/lib/paths.ts';
import { requireInfra } from '../infra/lib/state.ts';
import { ServiceMap } from '../infra/local-runner/service-map.ts';

export interface CommandResult {
  stdout: string;
  stderr: string;
  status: number;
}

function run(tool: 'kubectl' | 'helm', args: readonly string[], input?: string): CommandResult {
  const tools = requireInfra('tools');
  const kube = requireInfra('kube');
  const r = spawnSync(tools[tool], [...args], {
    cwd: repoRoot,
    input,
    encoding: 'utf8',
    env: {
      ...process.env,
      KUBECONFIG: kube.kubeconfig,
      HELM_CACHE_HOME: join(stateDir, 'helm', 'cache'),
      HELM_CONFIG_HOME: join(stateDir, 'helm', 'config'),
      HELM_DATA_HOME: join(stateDir, 'helm', 'data'),
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status ?? 1 };
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

/** The local runner's Service → loopback endpoints table (cluster DNS stand-in). */
export function serviceEndpoints(): Record<string, string[]> {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'local-runner', 'services.json'), 'utf8')) as Record<
      string,
      string[]
    >;
  } catch {
    return {};
  }
}

/** Rewrites the cluster Service names inside a URL or broker list to their loopback endpoints. */
export function localAddress(value: string, namespace: string): string {
  return ServiceMap.fromSnapshot(serviceEndpoints()).rewrite(value, namespace);
}

export function secretValue(namespace: string, name: string, key: string): string {
  const s = kubectlJson<{ data?: Record<string, string> }>(['get', 'secret', name, '-n', namespace]);
  const v = s.data?.[key];
  if (v === undefined) throw new Error(`Secret ${namespace}/${name} has no key ${key}`);
  return Buffer.from(v, 'base64').toString('utf8');
}

interface EnvVarObject {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}

/** The value a workload's container gets for `envName`, read from its Deployment (and Secret/ConfigMap). */
export function workloadEnv(namespace: string, deployment: string, envName: string): string {
  const d = kubectlJson<{ spec: { template: { spec: { containers: Array<{ env?: EnvVarObject[] }> } } } }>([
    'get',
    'deployment',
    deployment,
    '-n',
    namespace,
  ]);
  const e = d.spec.template.spec.containers.flatMap((c) => c.env ?? []).find((v) => v.name === envName);
  if (e === undefined) throw new Error(`deployment ${namespace}/${deployment} has no env ${envName}`);
  if (e.value !== undefined) return e.value;
  const s = e.valueFrom?.secretKeyRef;
  if (s) return secretValue(namespace, s.name, s.key);
  const c = e.valueFrom?.configMapKeyRef;
  if (c) {
    const cm = kubectlJson<{ data?: Record<string, string> }>(['get', 'configmap', c.name, '-n', namespace]);
    const v = cm.data?.[c.key];
    if (v !== undefined) return v;
  }
  throw new Error(`env ${envName} of ${namespace}/${deployment} could not be resolved`);
}
