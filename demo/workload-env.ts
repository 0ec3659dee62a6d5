/**
 * A container's environment as a kubelet computes it, for tools on the host that need a workload's
 * settings (the demo reads the warehouse's and the alert store's URLs from the Deployments it runs):
 * `envFrom` ConfigMaps and Secrets, then `env` (literal, Secret and ConfigMap keys, downward API
 * fields of the pod's metadata) with `$(VAR)` expansion. Reading the Deployment rather than a running
 * pod gives the same answer while a pod restarts.
 */
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';

/** Reads ConfigMap data and (decoded) Secret data; undefined when the object does not exist. */
export interface EnvReader {
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export class EnvResolutionError extends Error {}

/** Kubernetes `$(VAR)` expansion ($$ escapes). */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) =>
    name === undefined ? '$' : (env[name] ?? m),
  );
}

function fieldRef(path: string, pod: V1Pod): string {
  if (path === 'metadata.name') return pod.metadata?.name ?? '';
  if (path === 'metadata.namespace') return pod.metadata?.namespace ?? '';
  if (path === 'metadata.uid') return pod.metadata?.uid ?? '';
  if (path === 'spec.nodeName') return pod.spec?.nodeName ?? '';
  if (path === 'spec.serviceAccountName') return pod.spec?.serviceAccountName ?? '';
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2] ?? ''] ?? '';
  return '';
}

async function resolveEnvVar(e: V1EnvVar, pod: V1Pod, reader: EnvReader): Promise<string | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  if (e.value !== undefined) return e.value;
  const from = e.valueFrom;
  if (from === undefined) return '';
  const ref = from.secretKeyRef ?? from.configMapKeyRef;
  if (ref !== undefined) {
    const kind = from.secretKeyRef ? 'Secret' : 'ConfigMap';
    const data = from.secretKeyRef
      ? await reader.secret(ns, ref.name ?? '')
      : await reader.configMap(ns, ref.name ?? '');
    const v = data?.[ref.key];
    if (v === undefined && !ref.optional)
      throw new EnvResolutionError(`env ${e.name}: ${kind} ${ref.name} key ${ref.key} not found`);
    return v;
  }
  if (from.fieldRef) return fieldRef(from.fieldRef.fieldPath, pod);
  return '';
}

/** The container's environment; throws EnvResolutionError for a missing required key. */
export async function containerEnv(
  pod: V1Pod,
  container: Pick<V1Container, 'env' | 'envFrom'>,
  reader: EnvReader,
): Promise<Record<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const src of container.envFrom ?? []) {
    const data = src.configMapRef
      ? await reader.configMap(ns, src.configMapRef.name ?? '')
      : src.secretRef
        ? await reader.secret(ns, src.secretRef.name ?? '')
        : undefined;
    for (const [k, v] of Object.entries(data ?? {})) env[`${src.prefix ?? ''}${k}`] = v;
  }
  for (const e of container.env ?? []) {
    const v = await resolveEnvVar(e, pod, reader);
    if (v !== undefined) env[e.name] = expand(v, env);
  }
  return env;
}
