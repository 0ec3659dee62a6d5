/**
 * What the apply layer stamps on every child: the pipeline label, a controller ownerReference
 * to the CreditPipeline (so the garbage collector deletes children with it) and the hash of the
 * desired object (so an unchanged child is never written again).
 */

import type { KubeObject } from '../../cdk8s/render.ts';
import { API_VERSION, KIND, PIPELINE_LABEL } from '../api/v1alpha1.ts';
import { objectHash } from './hash.ts';

export const FIELD_MANAGER = 'credit-platform-operator';
export const HASH_ANNOTATION = 'creditplatform.dev/applied-hash';

export interface Owner {
  metadata: { name: string; namespace?: string; uid?: string };
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export function ownerReference(owner: Owner): OwnerReference {
  if (owner.metadata.uid === undefined) throw new Error(`owner ${owner.metadata.name} has no uid`);
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The child as it is applied: namespace, pipeline label, ownerReference and hash annotation set. */
export function stampChild(owner: Owner, desired: KubeObject): { object: KubeObject; hash: string } {
  const object: KubeObject = {
    ...desired,
    metadata: {
      ...desired.metadata,
      namespace: owner.metadata.namespace,
      labels: { ...desired.metadata.labels, [PIPELINE_LABEL]: owner.metadata.name },
      ownerReferences: [ownerReference(owner)],
    },
  };
  const hash = objectHash(object);
  object.metadata.annotations = { ...desired.metadata.annotations, [HASH_ANNOTATION]: hash };
  return { object, hash };
}

interface ObjectWithMeta {
  metadata?: {
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      kind?: string;
      apiVersion?: string;
      uid?: string;
      controller?: boolean;
      name?: string;
    }>;
    labels?: Record<string, string>;
  };
}

export function appliedHash(obj: ObjectWithMeta | undefined): string | undefined {
  return obj?.metadata?.annotations?.[HASH_ANNOTATION];
}

/** The controlling owner reference of `obj` when it is a CreditPipeline. */
export function controllerPipeline(
  obj: ObjectWithMeta,
): { name: string; uid: string | undefined } | undefined {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller === true);
  if (ref === undefined || ref.kind !== KIND || ref.apiVersion?.split('/')[0] !== API_VERSION.split('/')[0])
    return undefined;
  return { name: ref.name ?? '', uid: ref.uid };
}

/** True when `obj` is controlled by the CreditPipeline with `uid`. */
export function isControlledBy(obj: ObjectWithMeta, uid: string | undefined): boolean {
  return uid !== undefined && controllerPipeline(obj)?.uid === uid;
}
