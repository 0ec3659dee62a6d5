/**
 * Children the spec no longer wants. Candidates come from the child index (informer events, keyed
 * by the pipeline label or the controller ownerReference); only objects whose controller is this
 * very CreditPipeline (same uid) are ever deleted.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { childKey } from './apply.ts';
import { isControlledBy } from './ownership.ts';

/** The owned objects among `existing` whose key is not in `desiredKeys`. */
export function unwantedChildren(
  ownerUid: string | undefined,
  desiredKeys: ReadonlySet<string>,
  existing: Iterable<KubernetesObject>,
): KubernetesObject[] {
  const out: KubernetesObject[] = [];
  for (const obj of existing) {
    if (!isControlledBy(obj, ownerUid)) continue;
    if (obj.metadata?.deletionTimestamp !== undefined) continue; // already going
    if (!desiredKeys.has(childKey(obj))) out.push(obj);
  }
  return out;
}

/**
 * An index from a pipeline (`namespace/name`) to the keys of the children seen for it, kept by the
 * child informers' events, so pruning and status never scan whole caches.
 */
export class ChildIndex {
  private readonly byOwner = new Map<string, Map<string, KubernetesObject>>();

  set(ownerKey: string, obj: KubernetesObject): void {
    let m = this.byOwner.get(ownerKey);
    if (m === undefined) {
      m = new Map();
      this.byOwner.set(ownerKey, m);
    }
    m.set(childKey(obj), obj);
  }

  remove(ownerKey: string, obj: KubernetesObject): void {
    const m = this.byOwner.get(ownerKey);
    if (m === undefined) return;
    m.delete(childKey(obj));
    if (m.size === 0) this.byOwner.delete(ownerKey);
  }

  /** The child with `obj`'s key as last seen for `ownerKey`. */
  get(ownerKey: string, obj: KubernetesObject): KubernetesObject | undefined {
    return this.byOwner.get(ownerKey)?.get(childKey(obj));
  }

  children(ownerKey: string): KubernetesObject[] {
    return [...(this.byOwner.get(ownerKey)?.values() ?? [])];
  }
}
