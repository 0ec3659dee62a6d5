/**
 * Pod and container builders that every workload uses, so every pod passes the Pod Security
 * "restricted" profile: non-root, no privilege escalation, all capabilities dropped, RuntimeDefault
 * seccomp, read-only root filesystem (with an emptyDir /tmp), requests and limits (CPU, memory,
 * ephemeral storage), separate liveness (/healthz) and readiness (/readyz) probes.
 */

import { k8s } from 'cdk8s-plus-34';
import { ENV, MOUNTS, PORTS } from '../api/env.ts';
import { IMAGE_GID, IMAGE_UID, IMAGE_WORKDIR, platformCommand, type Subcommand } from '../api/image.ts';
import type { Resources } from '../api/v1alpha1.ts';
import type { RenderContext } from './context.ts';

export type Container = k8s.Container;
export type Volume = k8s.Volume;
export type VolumeMount = k8s.VolumeMount;
export type PodSpec = k8s.PodSpec;
export type EnvVar = k8s.EnvVar;

const q = (s: string) => k8s.Quantity.fromString(s);
/** A named or numbered port, for probes and Services. */
export const port = (p: string | number): k8s.IntOrString =>
  typeof p === 'number' ? k8s.IntOrString.fromNumber(p) : k8s.IntOrString.fromString(p);

/** Container securityContext of the restricted profile. */
export function restrictedContainerSecurity(readOnlyRootFilesystem = true): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Pod securityContext of the restricted profile, as the given numeric user. */
export function restrictedPodSecurity(uid: number, gid: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: gid,
    fsGroup: gid,
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function resourcesOf(r: Resources): k8s.ResourceRequirements {
  return {
    requests: {
      cpu: q(r.requests.cpu),
      memory: q(r.requests.memory),
      'ephemeral-storage': q(r.requests.ephemeralStorage),
    },
    limits: {
      cpu: q(r.limits.cpu),
      memory: q(r.limits.memory),
      'ephemeral-storage': q(r.limits.ephemeralStorage),
    },
  };
}

export const TMP_VOLUME: Volume = { name: 'tmp', emptyDir: { sizeLimit: q('64Mi') } };
/** An emptyDir volume with a size limit. */
export const emptyDir = (name: string, sizeLimit: string): Volume => ({
  name,
  emptyDir: { sizeLimit: q(sizeLimit) },
});
const TMP_MOUNT: VolumeMount = { name: 'tmp', mountPath: MOUNTS.tmp };

export interface PlatformContainerProps {
  subcommand: Subcommand;
  env: EnvVar[];
  resources: Resources;
  /** Extra ports besides `ops` (9090: /metrics, /healthz, /readyz). */
  ports?: k8s.ContainerPort[];
  volumeMounts?: VolumeMount[];
  /** Probes on the ops port; false for run-to-completion containers (Jobs). */
  probes?: boolean;
}

/**
 * Probes of a platform container on its ops port. A kubelet's default probe timeout is 1 s: on a busy
 * node (a CPU-starved pod answering /healthz late while it works through a backlog) that restarts
 * healthy workloads, so every probe waits 5 s. Liveness gives up after a minute of failures (6 × 10 s),
 * readiness after 15 s, so a slow pod leaves rotation long before it is restarted.
 */
export function platformProbes(): Pick<Container, 'startupProbe' | 'livenessProbe' | 'readinessProbe'> {
  return {
    startupProbe: {
      httpGet: { path: '/healthz', port: port('ops') },
      periodSeconds: 2,
      timeoutSeconds: PROBE_TIMEOUT_SECONDS,
      failureThreshold: 60,
    },
    livenessProbe: {
      httpGet: { path: '/healthz', port: port('ops') },
      periodSeconds: 10,
      timeoutSeconds: PROBE_TIMEOUT_SECONDS,
      failureThreshold: 6,
    },
    readinessProbe: {
      httpGet: { path: '/readyz', port: port('ops') },
      periodSeconds: 5,
      timeoutSeconds: PROBE_TIMEOUT_SECONDS,
      failureThreshold: 3,
    },
  };
}

/** How long a kubelet waits for any probe's answer (the default, 1 s, is too short on a busy node). */
export const PROBE_TIMEOUT_SECONDS = 5;

/** A container of the platform image running one subcommand. */
export function platformContainer(ctx: RenderContext, props: PlatformContainerProps): Container {
  const probes = props.probes ?? true;
  return {
    name: props.subcommand,
    image: ctx.platformImage,
    imagePullPolicy: ctx.spec.images.pullPolicy,
    command: platformCommand(props.subcommand),
    workingDir: IMAGE_WORKDIR,
    env: [...ctx.commonEnv(), { name: ENV.opsPort, value: String(PORTS.ops) }, ...props.env],
    ports: [...(props.ports ?? []), { name: 'ops', containerPort: PORTS.ops, protocol: 'TCP' }],
    volumeMounts: [TMP_MOUNT, ...(props.volumeMounts ?? [])],
    resources: resourcesOf(props.resources),
    ...(probes ? platformProbes() : {}),
    securityContext: restrictedContainerSecurity(true),
  };
}

/** A pod spec of the platform image: restricted, no service account token, tmp volume. */
export function platformPodSpec(
  ctx: RenderContext,
  containers: Container[],
  extra: { volumes?: Volume[]; restartPolicy?: string; initContainers?: Container[] } = {},
): PodSpec {
  return {
    containers,
    ...(extra.initContainers === undefined ? {} : { initContainers: extra.initContainers }),
    volumes: [TMP_VOLUME, ...(extra.volumes ?? [])],
    ...(extra.restartPolicy === undefined ? {} : { restartPolicy: extra.restartPolicy }),
    securityContext: restrictedPodSecurity(IMAGE_UID, IMAGE_GID),
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 30,
    ...pullSecrets(ctx),
  };
}

export function pullSecrets(ctx: RenderContext): { imagePullSecrets?: { name: string }[] } {
  const s = ctx.spec.images.pullSecrets;
  return s.length === 0 ? {} : { imagePullSecrets: s.map((p) => ({ name: p.name })) };
}

/** Kafka client certificates volume, when Kafka uses TLS with an auth Secret. */
export function kafkaCertVolumes(ctx: RenderContext): { volumes: Volume[]; mounts: VolumeMount[] } {
  const k = ctx.spec.kafka;
  if (!k.tls || k.authSecretRef === undefined) return { volumes: [], mounts: [] };
  return {
    volumes: [{ name: 'kafka-certs', secret: { secretName: k.authSecretRef.name } }],
    mounts: [{ name: 'kafka-certs', mountPath: MOUNTS.kafkaCertsDir, readOnly: true }],
  };
}
