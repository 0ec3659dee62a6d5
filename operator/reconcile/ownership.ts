/**
 * What the apply layer stamps on every child: the pipeline label, a controller ownerReference
 * to the CreditPipeline (so the garbage collector deletes children with it) and the hash of the
 * desired object (so an unchanged child is never written again). A child whose declared fields
 * another field manager has taken over (`kubectl edit`, `kubectl scale`, another controller) is
 * applied again, so hand edits are reverted rather than kept until the next spec change.
 */

import type { KubernetesObject, V1OwnerReference } from '@kubernetes/client-node';
import { MANAGED_BY } from '../../api/labels.ts';
import { API_VERSION, KIND, PIPELINE_LABEL } from '../../api/v1alpha1.ts';
import type { KubeObject } from '../../cdk8s/options.ts';
import { canonicalJson } from '../../lib/canonical-json.ts';
import { objectHash } from './hash.ts';

/** One field manager for every server-side apply and status write: the operator's name. */
export const FIELD_MANAGER = MANAGED_BY;
export const HASH_ANNOTATION = 'creditplatform.dev/applied-hash';

export interface Owner {
  metadata: { name: string; namespace?: string; uid?: string };
}

export function ownerReference(owner: Owner): V1OwnerReference {
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

/**
 * Stamped children by desired object (rendered objects are reused while the spec is unchanged, see
 * steps/desired.ts), so a reconcile that finds nothing to do hashes nothing. The result is shared:
 * callers must not change it.
 */
const stamped = new WeakMap<KubeObject, { owner: string; result: { object: KubeObject; hash: string } }>();

/** The child as it is applied: namespace, pipeline label, ownerReference and hash annotation set. */
export function stampChild(owner: Owner, desired: KubeObject): { object: KubeObject; hash: string } {
  const ownerId = `${owner.metadata.namespace}/${owner.metadata.name}/${owner.metadata.uid}`;
  const memo = stamped.get(desired);
  if (memo !== undefined && memo.owner === ownerId) return memo.result;
  const result = stamp(owner, desired);
  stamped.set(desired, { owner: ownerId, result });
  return result;
}

function stamp(owner: Owner, desired: KubeObject): { object: KubeObject; hash: string } {
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

type ObjectWithMeta = Pick<KubernetesObject, 'metadata'>;

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

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The item of a list a `k:{...}` key names; a key field the desired item leaves to defaults matches. */
function listItem(items: readonly unknown[], key: Record<string, unknown>): unknown {
  return items.find(
    (item) =>
      isRecord(item) &&
      Object.entries(key).every(
        ([k, v]) => item[k] === undefined || canonicalJson(item[k]) === canonicalJson(v),
      ),
  );
}

/**
 * Whether a managedFields set (fieldsV1: `f:name`, `k:{key}`, `v:value`, `i:index`, `.`) owns a
 * field that `desired` declares. Fields the operator does not declare (defaults, additions by
 * others) do not count: applying again could not take them back, only loop.
 */
function ownsDeclared(set: Record<string, unknown>, desired: unknown): boolean {
  for (const [k, sub] of Object.entries(set)) {
    if (k === '.') continue;
    let next: unknown;
    if (k.startsWith('f:') && isRecord(desired)) next = desired[k.slice(2)];
    else if (k.startsWith('k:') && Array.isArray(desired)) next = listItem(desired, JSON.parse(k.slice(2)));
    else if (k.startsWith('i:') && Array.isArray(desired)) next = desired[Number(k.slice(2))];
    else if (k.startsWith('v:') && Array.isArray(desired)) {
      const v = canonicalJson(JSON.parse(k.slice(2)));
      next = desired.find((d) => canonicalJson(d) === v);
    }
    if (next === undefined) continue;
    if (!isRecord(sub) || Object.keys(sub).length === 0 || ownsDeclared(sub, next)) return true;
  }
  return false;
}

/**
 * The field managers other than the operator that own fields the operator declares in `desired`
 * (spec, data, ...; metadata and status aside), read from the live object's managedFields: a hand
 * edit (`kubectl edit/scale/patch`) or another controller. Status writers are not drift. Empty when
 * the live object is as the operator left it.
 */
export function foreignManagers(
  live: ObjectWithMeta | undefined,
  desired: Record<string, unknown>,
): string[] {
  const declared: Record<string, unknown> = { ...desired, metadata: undefined, status: undefined };
  const managers = new Set<string>();
  for (const entry of live?.metadata?.managedFields ?? []) {
    if (entry.manager === FIELD_MANAGER || entry.subresource === 'status') continue;
    if (ownsDeclared((entry.fieldsV1 as Record<string, unknown> | undefined) ?? {}, declared))
      managers.add(entry.manager ?? '(unnamed)');
  }
  return [...managers].sort();
}
