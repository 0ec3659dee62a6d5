/**
 * Kubelet stand-in, part 1: turns a Pod as the API server holds it into a local process plan.
 * Command, arguments, environment (literal, Secret, ConfigMap, downward API), mounted ConfigMaps,
 * Secrets and emptyDirs all come from the Pod; nothing is configured by hand. Differences from a
 * real kubelet, because a pod here is a process on loopback:
 * - the platform image's entry point runs from this checkout (`node --import tsx cli/main.ts`);
 * - each declared containerPort gets a free loopback port; env values equal to it are rewritten;
 * - mounted volumes are folders under .state/local-runner; env values under a mountPath are rewritten;
 * - Service names in env values resolve through the runner's ServiceMap (the cluster DNS stand-in).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1EnvVar, V1Pod, V1Volume } from '@kubernetes/client-node';
import { IMAGE_ENTRYPOINT } from '../../api/image.ts';
import { repoRoot, stateDir } from '../lib/paths.ts';
import { freePort } from '../lib/process.ts';
import type { ServiceMap } from './service-map.ts';

/** Reads ConfigMap data and (decoded) Secret data; undefined when the object does not exist. */
export interface EnvReader {
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export interface ObjectReader extends EnvReader {
  /**
   * A kubeconfig file that authenticates as the ServiceAccount (a TokenRequest token), standing in
   * for the projected service-account token the kubelet mounts; the process finds it via KUBECONFIG.
   */
  serviceAccountKubeconfig(namespace: string, serviceAccount: string, dir: string): Promise<string>;
}

export interface PortBinding {
  name: string | undefined;
  containerPort: number;
  localPort: number;
}

export interface ProcessPlan {
  container: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  ports: PortBinding[];
  /** Local URL of the readiness probe, when the container declares an httpGet probe. */
  readinessUrl: string | undefined;
}

export class PodResolutionError extends Error {}

export function podDir(pod: V1Pod): string {
  return join(stateDir, 'local-runner', pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? 'pod');
}

/** True when the container runs the platform image's entry point (which this runner can run). */
export function isPlatformContainer(c: V1Container): boolean {
  const cmd = c.command ?? [];
  return IMAGE_ENTRYPOINT.every((part, i) => cmd[i] === part);
}

/** Materializes the pod's volumes; returns mountPath → local path, per container. */
async function materializeVolumes(pod: V1Pod, reader: ObjectReader): Promise<Map<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const base = join(podDir(pod), 'volumes');
  rmSync(base, { recursive: true, force: true });
  const local = new Map<string, string>();
  for (const v of pod.spec?.volumes ?? []) {
    const dir = join(base, v.name);
    mkdirSync(dir, { recursive: true });
    await fillVolume(v, dir, ns, reader);
    local.set(v.name, dir);
  }
  return local;
}

async function fillVolume(v: V1Volume, dir: string, ns: string, reader: ObjectReader): Promise<void> {
  const write = (data: Record<string, string>, items?: Array<{ key: string; path: string }>) => {
    const entries = items?.length ? items.map((i) => [i.path, data[i.key]] as const) : Object.entries(data);
    for (const [path, content] of entries) {
      if (content === undefined) continue;
      const file = join(dir, path);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, content, { mode: 0o600 });
    }
  };
  if (v.configMap) {
    const data = await reader.configMap(ns, v.configMap.name ?? '');
    if (data === undefined && !v.configMap.optional)
      throw new PodResolutionError(`ConfigMap ${v.configMap.name} not found`);
    write(data ?? {}, v.configMap.items);
  } else if (v.secret) {
    const data = await reader.secret(ns, v.secret.secretName ?? '');
    if (data === undefined && !v.secret.optional)
      throw new PodResolutionError(`Secret ${v.secret.secretName} not found`);
    write(data ?? {}, v.secret.items);
  } else if (v.projected) {
    for (const src of v.projected.sources ?? []) {
      if (src.configMap)
        write((await reader.configMap(ns, src.configMap.name ?? '')) ?? {}, src.configMap.items);
      if (src.secret) write((await reader.secret(ns, src.secret.name ?? '')) ?? {}, src.secret.items);
      // serviceAccountToken / downwardAPI projections: the platform's programs do not read them here.
    }
  }
  // emptyDir and anything else: an empty folder.
}

async function resolveEnvVar(e: V1EnvVar, pod: V1Pod, reader: EnvReader): Promise<string | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  if (e.value !== undefined) return e.value;
  const from = e.valueFrom;
  if (from === undefined) return '';
  if (from.secretKeyRef) {
    const data = await reader.secret(ns, from.secretKeyRef.name ?? '');
    const v = data?.[from.secretKeyRef.key];
    if (v === undefined && !from.secretKeyRef.optional) {
      throw new PodResolutionError(
        `env ${e.name}: Secret ${from.secretKeyRef.name} key ${from.secretKeyRef.key} not found`,
      );
    }
    return v;
  }
  if (from.configMapKeyRef) {
    const data = await reader.configMap(ns, from.configMapKeyRef.name ?? '');
    const v = data?.[from.configMapKeyRef.key];
    if (v === undefined && !from.configMapKeyRef.optional) {
      throw new PodResolutionError(
        `env ${e.name}: ConfigMap ${from.configMapKeyRef.name} key ${from.configMapKeyRef.key} not found`,
      );
    }
    return v;
  }
  if (from.fieldRef) return fieldRef(from.fieldRef.fieldPath, pod);
  if (from.resourceFieldRef) return '';
  return '';
}

function fieldRef(path: string, pod: V1Pod): string {
  if (path === 'metadata.name') return pod.metadata?.name ?? '';
  if (path === 'metadata.namespace') return pod.metadata?.namespace ?? '';
  if (path === 'metadata.uid') return pod.metadata?.uid ?? '';
  if (path === 'spec.nodeName') return pod.spec?.nodeName ?? '';
  if (path === 'spec.serviceAccountName') return pod.spec?.serviceAccountName ?? '';
  if (path === 'status.podIP' || path === 'status.hostIP') return '127.0.0.1';
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata?.labels : pod.metadata?.annotations)?.[m[2] ?? ''] ?? '';
  return '';
}

/** Kubernetes `$(VAR)` expansion ($$ escapes). */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string | undefined) =>
    name === undefined ? '$' : (env[name] ?? m),
  );
}

/**
 * A container's environment as a kubelet computes it: `envFrom` ConfigMaps and Secrets, then `env`
 * (literal, Secret and ConfigMap keys, downward API) with `$(VAR)` expansion. Throws
 * PodResolutionError for a missing required key. Used for processes, stand-ins and the demo's reads.
 */
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

export async function planContainer(
  pod: V1Pod,
  container: V1Container,
  reader: ObjectReader,
  services: ServiceMap,
  volumeDirs?: Map<string, string>,
): Promise<ProcessPlan> {
  if (!isPlatformContainer(container)) {
    throw new PodResolutionError(
      `container ${container.name} runs ${container.image} with ${JSON.stringify(container.command)}: not the platform entry point`,
    );
  }
  const ns = pod.metadata?.namespace ?? 'default';
  const volumes = volumeDirs ?? (await materializeVolumes(pod, reader));
  const mounts = (container.volumeMounts ?? []).map((m) => ({
    mountPath: m.mountPath.replace(/\/$/, ''),
    local: join(volumes.get(m.name) ?? join(podDir(pod), 'missing'), m.subPath ?? ''),
  }));
  const ports: PortBinding[] = [];
  for (const p of container.ports ?? [])
    ports.push({ name: p.name, containerPort: p.containerPort, localPort: await freePort() });

  const env = await containerEnv(pod, container, reader);

  const localize = (value: string): string => {
    let out = value;
    const asPort = ports.find((p) => String(p.containerPort) === out);
    if (asPort) return String(asPort.localPort);
    for (const m of mounts) {
      if (out === m.mountPath || out.startsWith(`${m.mountPath}/`))
        out = m.local + out.slice(m.mountPath.length);
    }
    return services.rewrite(out, ns);
  };
  // Only values from the pod spec are localized; what the runner adds below is a local path already
  // (a checkout under /tmp must not have its paths mapped into a pod's /tmp volume).
  for (const k of Object.keys(env)) env[k] = localize(env[k] ?? '');
  const index = pod.metadata?.annotations?.['batch.kubernetes.io/job-completion-index'];
  if (index !== undefined) env.JOB_COMPLETION_INDEX = index;
  env.HOSTNAME = pod.metadata?.name ?? '';
  if (pod.spec?.automountServiceAccountToken !== false) {
    env.KUBECONFIG = await reader.serviceAccountKubeconfig(
      ns,
      pod.spec?.serviceAccountName ?? 'default',
      podDir(pod),
    );
  }
  const tmp = mounts.find((m) => m.mountPath === '/tmp');
  env.TMPDIR = tmp?.local ?? join(podDir(pod), 'tmp');
  mkdirSync(env.TMPDIR, { recursive: true });

  const command = container.command ?? [];
  const rest = [...command.slice(IMAGE_ENTRYPOINT.length), ...(container.args ?? [])].map((a) =>
    localize(expand(a, env)),
  );
  const probe = container.readinessProbe?.httpGet;
  const probePort =
    probe === undefined
      ? undefined
      : ports.find((p) => p.containerPort === Number(probe.port) || p.name === probe.port)?.localPort;
  return {
    container: container.name,
    argv: [process.execPath, '--import', 'tsx', join(repoRoot, 'cli', 'main.ts'), ...rest],
    env,
    cwd: repoRoot,
    ports,
    readinessUrl: probePort === undefined ? undefined : `http://127.0.0.1:${probePort}${probe?.path ?? '/'}`,
  };
}

/** Plans every init container and the main containers of a pod (volumes shared between them). */
export async function planPod(
  pod: V1Pod,
  reader: ObjectReader,
  services: ServiceMap,
): Promise<{ init: ProcessPlan[]; main: ProcessPlan[] }> {
  const volumes = await materializeVolumes(pod, reader);
  const init: ProcessPlan[] = [];
  for (const c of pod.spec?.initContainers ?? [])
    init.push(await planContainer(pod, c, reader, services, volumes));
  const main: ProcessPlan[] = [];
  for (const c of pod.spec?.containers ?? [])
    main.push(await planContainer(pod, c, reader, services, volumes));
  return { init, main };
}
