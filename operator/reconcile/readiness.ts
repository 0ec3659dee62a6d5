/**
 * Whether one child is ready, in one of two modes (operator setting READINESS_MODE):
 * - `available`: its controller reports it available (Deployment/StatefulSet pods ready, Job
 *   complete, KafkaTopic Ready) — what a real cluster should wait for;
 * - `applied`: the API server holds the current desired object (same applied-hash) and, for kinds
 *   with a controller, that controller has observed its current generation. For control planes
 *   without kubelets (tests, benchmarks), where pods never run.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ReadinessMode } from '../config.ts';
import { appliedHash } from './ownership.ts';

export interface ChildReadiness {
  ready: boolean;
  /** Why not, for people: "Deployment x: 1 of 2 replicas available". */
  message: string;
}

interface Cond {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

interface WorkloadLike extends KubernetesObject {
  spec?: { replicas?: number; completions?: number };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    succeeded?: number;
    conditions?: Cond[];
  };
}

function cond(obj: WorkloadLike, type: string): Cond | undefined {
  return obj.status?.conditions?.find((c) => c.type === type);
}

export function childReadiness(
  obj: KubernetesObject | undefined,
  expectedHash: string | undefined,
  mode: ReadinessMode,
  what: string,
): ChildReadiness {
  if (obj === undefined) return { ready: false, message: `${what} does not exist yet` };
  if (expectedHash !== undefined && appliedHash(obj) !== expectedHash)
    return { ready: false, message: `${what} is being updated` };
  const o = obj as WorkloadLike;
  const generation = o.metadata?.generation ?? 0;
  const observed = o.status?.observedGeneration;
  const hasController = o.kind === 'Deployment' || o.kind === 'StatefulSet';
  if (hasController && (observed === undefined || observed < generation))
    return {
      ready: false,
      message: `${what}: waiting for its controller to observe generation ${generation}`,
    };
  if (mode === 'applied') return { ready: true, message: '' };
  const want = o.spec?.replicas ?? 1;
  switch (o.kind) {
    case 'Deployment': {
      const available = o.status?.availableReplicas ?? 0;
      const updated = o.status?.updatedReplicas ?? 0;
      if (available >= want && updated >= want) return { ready: true, message: '' };
      return {
        ready: false,
        message: `${what}: ${Math.min(available, updated)} of ${want} replicas available`,
      };
    }
    case 'StatefulSet': {
      const ready = o.status?.readyReplicas ?? 0;
      if (ready >= want) return { ready: true, message: '' };
      return { ready: false, message: `${what}: ${ready} of ${want} replicas ready` };
    }
    case 'Job': {
      if (cond(o, 'Complete')?.status === 'True') return { ready: true, message: '' };
      const failed = cond(o, 'Failed');
      if (failed?.status === 'True')
        return { ready: false, message: `${what} failed: ${failed.message ?? failed.reason ?? 'unknown'}` };
      return { ready: false, message: `${what} has not completed yet` };
    }
    case 'KafkaTopic': {
      const ready = cond(o, 'Ready');
      if (ready?.status === 'True') return { ready: true, message: '' };
      return {
        ready: false,
        message: `${what}: ${ready?.message ?? 'waiting for the Strimzi topic operator'}`,
      };
    }
    default:
      return { ready: true, message: '' };
  }
}
