/**
 * Whether one child is ready, in one of two modes (operator setting READINESS_MODE):
 * - `available`: its controller reports it available (Deployment/StatefulSet pods ready, Job
 *   complete, KafkaTopic Ready) — what a real cluster should wait for;
 * - `applied`: the API server holds the current desired object (same applied-hash) and, for kinds
 *   with a controller, that controller has observed its current generation. For control planes
 *   without kubelets (tests, benchmarks), where pods never run.
 */
import type {
  KubernetesObject,
  V1Condition,
  V1Deployment,
  V1Job,
  V1StatefulSet,
} from '@kubernetes/client-node';
import type { ReadinessMode } from '../config.ts';
import { appliedHash } from './ownership.ts';

export interface ChildReadiness {
  ready: boolean;
  /** Why not, for people: "Deployment x: 1 of 2 replicas available". */
  message: string;
}

/** Strimzi's KafkaTopic (no client-node type): its readiness is its Ready condition. */
type KafkaTopicObject = KubernetesObject & { status?: { conditions?: V1Condition[] } };

function condition(
  conditions: ReadonlyArray<{ type: string; status: string; reason?: string; message?: string }> | undefined,
  type: string,
) {
  return conditions?.find((c) => c.type === type);
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
  const generation = obj.metadata?.generation ?? 0;
  const hasController = obj.kind === 'Deployment' || obj.kind === 'StatefulSet';
  const observed = hasController
    ? (obj as V1Deployment | V1StatefulSet).status?.observedGeneration
    : undefined;
  if (hasController && (observed === undefined || observed < generation))
    return {
      ready: false,
      message: `${what}: waiting for its controller to observe generation ${generation}`,
    };
  if (mode === 'applied') return { ready: true, message: '' };
  switch (obj.kind) {
    case 'Deployment': {
      const o = obj as V1Deployment;
      const want = o.spec?.replicas ?? 1;
      const available = o.status?.availableReplicas ?? 0;
      const updated = o.status?.updatedReplicas ?? 0;
      if (available >= want && updated >= want) return { ready: true, message: '' };
      return {
        ready: false,
        message: `${what}: ${Math.min(available, updated)} of ${want} replicas available`,
      };
    }
    case 'StatefulSet': {
      const o = obj as V1StatefulSet;
      const want = o.spec?.replicas ?? 1;
      const ready = o.status?.readyReplicas ?? 0;
      if (ready >= want) return { ready: true, message: '' };
      return { ready: false, message: `${what}: ${ready} of ${want} replicas ready` };
    }
    case 'Job': {
      const conditions = (obj as V1Job).status?.conditions;
      if (condition(conditions, 'Complete')?.status === 'True') return { ready: true, message: '' };
      const failed = condition(conditions, 'Failed');
      if (failed?.status === 'True')
        return { ready: false, message: `${what} failed: ${failed.message ?? failed.reason ?? 'unknown'}` };
      return { ready: false, message: `${what} has not completed yet` };
    }
    case 'KafkaTopic': {
      const ready = condition((obj as KafkaTopicObject).status?.conditions, 'Ready');
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
