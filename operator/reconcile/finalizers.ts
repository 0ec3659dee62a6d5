/**
 * The one finalizer the operator uses: only when deleting the CreditPipeline must clean up outside
 * the cluster — topics created through the Kafka admin API with deletionPolicy Delete. Everything
 * inside the cluster goes with the garbage collector (ownerReferences).
 */
import type { CreditPipeline } from '../../api/v1alpha1.ts';
import { GROUP, PLURAL, VERSION } from '../../api/v1alpha1.ts';
import type { KubeClient } from '../kube/client.ts';
import { FIELD_MANAGER } from './ownership.ts';

export const TOPICS_FINALIZER = `${GROUP}/delete-kafka-topics`;

export function needsTopicFinalizer(cp: CreditPipeline): boolean {
  return cp.spec.kafka.topicManagement === 'direct' && cp.spec.kafka.deletionPolicy === 'Delete';
}

export function hasFinalizer(cp: CreditPipeline, finalizer: string): boolean {
  return cp.metadata.finalizers?.includes(finalizer) ?? false;
}

export function pipelinePath(namespace: string | undefined, name: string, sub?: string): string {
  return `/apis/${GROUP}/${VERSION}/namespaces/${namespace ?? 'default'}/${PLURAL}/${name}${sub ? `/${sub}` : ''}`;
}

/**
 * Adds or removes `finalizer`. The merge patch carries the resourceVersion read, so a concurrent
 * change makes it fail with a conflict (and the reconcile is retried) rather than lose a finalizer.
 */
export async function setFinalizer(
  client: KubeClient,
  cp: CreditPipeline,
  finalizer: string,
  present: boolean,
): Promise<CreditPipeline> {
  const current = cp.metadata.finalizers ?? [];
  const next = present ? [...new Set([...current, finalizer])] : current.filter((f) => f !== finalizer);
  return client.mergePatch<CreditPipeline>(
    pipelinePath(cp.metadata.namespace, cp.metadata.name),
    { metadata: { finalizers: next, resourceVersion: cp.metadata.resourceVersion } },
    FIELD_MANAGER,
  );
}
