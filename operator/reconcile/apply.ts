/**
 * The apply layer: the only code that writes children, through one entry point,
 * `reconcile(owner, desired | null, existing?)` (Strimzi's style). `desired` is applied with
 * server-side apply under one field manager (force), unless the informer cache (or, until the cache
 * catches up, the last apply's answer) already holds an object with the same desired-hash: then
 * nothing is sent. `desired = null` means "delete it". It never throws: every failure is an outcome
 * (`failed`, `unavailable`) that the reconcile step reports.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../../cdk8s/options.ts';
import { ApiError, isAlreadyExists, isNotFound, type KubeClient } from '../kube/client.ts';
import { type Discovery, type ResourceInfo, resourcePath } from '../kube/discovery.ts';
import type { InformerEvent } from '../kube/informers.ts';
import { appliedHash, FIELD_MANAGER, foreignManagers, type Owner, stampChild } from './ownership.ts';

export type ApplyAction =
  | 'created'
  | 'updated'
  | 'unchanged'
  | 'deleted'
  | 'absent'
  /** Deleted because fields that cannot change did; its deletion event brings it back, recreated. */
  | 'recreating'
  /** The cluster does not serve the kind. */
  | 'unavailable'
  /** The API server refused or could not be reached; `message` says why. */
  | 'failed';

export interface ApplyOutcome {
  key: string;
  action: ApplyAction;
  /** The object the API server returned (create/update). */
  object?: KubernetesObject;
  /** For an update: the other field managers whose edits of declared fields it overrode. */
  reverted?: string[];
  /** For `recreating` and `failed`: what happened, for people. */
  message?: string;
}

/** Read access to the informer caches of the child kinds. */
export interface ChildCacheReader {
  get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): KubernetesObject | undefined;
}

/** The API server refused the change because it touches fields that cannot be updated. */
export function isImmutableFieldError(err: unknown, kind: string): boolean {
  if (!(err instanceof ApiError) || err.statusCode !== 422) return false;
  if (kind === 'StatefulSet') return /updates to statefulset spec for fields other than/.test(err.message);
  if (kind === 'Job') return /field is immutable/.test(err.message);
  return false;
}

export function childKey(o: {
  apiVersion?: string;
  kind?: string;
  metadata?: { namespace?: string; name?: string };
}): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/**
 * How a child is written when the operator has never seen it (the bench's bare-client floor sends
 * the same): a plain create, which costs the API server less than a server-side apply of a new
 * object (no YAML decoding of the body, no read of the absent object, no merge; measured by
 * bench/operator). `collection` is its kind's path in its namespace. The create records the
 * operator's fields under an `Update` entry of its field manager; `upgradeManagedFields` turns it
 * into the `Apply` entry before the first server-side apply of that child.
 */
export function writeNewChild(
  client: KubeClient,
  collection: string,
  object: KubeObject,
): Promise<KubernetesObject> {
  return client.create<KubernetesObject>(collection, object as KubernetesObject, false, FIELD_MANAGER);
}

type ManagedFieldsEntry = NonNullable<NonNullable<KubernetesObject['metadata']>['managedFields']>[number];

const isFieldSet = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The union of two fieldsV1 sets. */
function unionFields(a: unknown, b: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(isFieldSet(a) ? a : {}) };
  for (const [k, v] of Object.entries(isFieldSet(b) ? b : {})) out[k] = k in out ? unionFields(out[k], v) : v;
  return out;
}

const ownCreateEntry = (e: ManagedFieldsEntry) =>
  e.manager === FIELD_MANAGER && e.operation === 'Update' && (e.subresource ?? '') === '';

/**
 * The live object's managedFields with the operator's create-time entry (operation `Update`, from
 * `writeNewChild`) merged into its `Apply` entry — what `kubectl apply --server-side` does to the
 * entry a client-side apply left. Without it, a field the operator stops declaring would stay on
 * the object, still owned by that entry. `undefined` when there is nothing to upgrade.
 */
export function upgradeManagedFields(live: KubernetesObject | undefined): ManagedFieldsEntry[] | undefined {
  const entries = live?.metadata?.managedFields ?? [];
  const created = entries.find(ownCreateEntry);
  if (created === undefined) return undefined;
  const applied = entries.find(
    (e) => e.manager === FIELD_MANAGER && e.operation === 'Apply' && (e.subresource ?? '') === '',
  );
  const merged: ManagedFieldsEntry = {
    ...(applied ?? created),
    manager: FIELD_MANAGER,
    operation: 'Apply',
    fieldsType: 'FieldsV1',
    fieldsV1: unionFields(applied?.fieldsV1, created.fieldsV1),
  };
  return [...entries.filter((e) => e !== applied && e !== created), merged];
}

/** What the API server answered to the last apply of a child, until the informer cache has caught up. */
export interface WrittenChildren {
  written(key: string): KubernetesObject | undefined;
}

export class ChildApplier implements WrittenChildren {
  /**
   * The last apply per child (desired hash and the API server's answer), kept until the child's next
   * informer event: the cache then holds this apply or something newer.
   */
  private readonly applied = new Map<string, { hash: string; object: KubernetesObject }>();

  constructor(
    private readonly client: KubeClient,
    private readonly discovery: Discovery,
    private readonly cache: ChildCacheReader,
    /** Called for a kind seen for the first time, so its informer starts (and its cache fills). */
    private readonly onNewKind: (resource: ResourceInfo) => Promise<void> = async () => {},
  ) {}

  /**
   * Keeps the apply memo honest: the child's next event (the cache caught up with the apply, or
   * shows a later change, or a deletion) ends it.
   */
  observe(_event: InformerEvent, obj: KubernetesObject): void {
    this.applied.delete(childKey(obj));
  }

  /** The API server's answer to this child's last apply, while the cache has not caught up. */
  written(key: string): KubernetesObject | undefined {
    return this.applied.get(key)?.object;
  }

  /** Whether the child with `desired`'s hash is known to be in place. */
  private upToDate(key: string, hash: string, cached: KubernetesObject | undefined): boolean {
    if (cached !== undefined && appliedHash(cached) === hash) return true;
    return this.applied.get(key)?.hash === hash;
  }

  /** Strimzi-style entry point: `desired = null` deletes `existing` (if any), otherwise applies. */
  async reconcile(
    owner: Owner,
    desired: KubeObject | null,
    existing?: KubernetesObject,
  ): Promise<ApplyOutcome> {
    const key = desired !== null ? childKey(desired) : existing === undefined ? '' : childKey(existing);
    try {
      if (desired !== null) return await this.apply(owner, desired);
      if (existing === undefined) return { key, action: 'absent' };
      return await this.delete(existing);
    } catch (err) {
      return { key, action: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
  }

  private async apply(owner: Owner, desired: KubeObject): Promise<ApplyOutcome> {
    const { object, hash } = stampChild(owner, desired);
    const key = childKey(object);
    const info = await this.discovery.resolve(object.apiVersion, object.kind);
    if (info === null) return { key, action: 'unavailable' };
    await this.onNewKind(info);
    const cached = this.cache.get(
      object.apiVersion,
      object.kind,
      object.metadata.namespace,
      object.metadata.name,
    );
    const editedBy = foreignManagers(cached, object);
    if (this.upToDate(key, hash, cached) && editedBy.length === 0) return { key, action: 'unchanged' };
    const path = resourcePath(info, object.metadata.namespace, object.metadata.name);
    const live = cached ?? this.applied.get(key)?.object;
    if (live === undefined) {
      // Never seen: create it. It may exist all the same (without the pipeline label the informer
      // filters on, or created since the cache was read): then it is applied like any other.
      try {
        const created = await writeNewChild(
          this.client,
          resourcePath(info, object.metadata.namespace),
          object,
        );
        this.applied.set(key, { hash, object: created });
        return { key, action: 'created', object: created };
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    } else {
      await this.upgradeOwnership(path, live);
    }
    let result: KubernetesObject;
    try {
      result = await this.client.apply<KubernetesObject>(path, object, FIELD_MANAGER);
    } catch (err) {
      if (cached !== undefined && isImmutableFieldError(err, object.kind)) {
        // A StatefulSet's volumeClaimTemplates or a Job's template cannot change in place:
        // delete it (a StatefulSet orphaning its pods and volumes, which the new one adopts)
        // and create it again.
        await this.client.delete(path, {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: object.kind === 'StatefulSet' ? 'Orphan' : 'Background',
          preconditions: { uid: cached.metadata?.uid },
        });
        this.applied.delete(key);
        return {
          key,
          action: 'recreating',
          message: `${object.kind} ${object.metadata.name}: immutable fields changed; deleted to recreate`,
        };
      }
      throw err;
    }
    this.applied.set(key, { hash, object: result });
    if (cached === undefined) return { key, action: 'created', object: result };
    return { key, action: 'updated', object: result, ...(editedBy.length > 0 ? { reverted: editedBy } : {}) };
  }

  /**
   * Before the first server-side apply of a child the operator created: its create-time managedFields
   * entry becomes its apply entry (`upgradeManagedFields`), guarded by the resourceVersion it was
   * computed from; if the object changed meanwhile (a controller's status update), once more from
   * a fresh read.
   */
  private async upgradeOwnership(path: string, live: KubernetesObject): Promise<void> {
    let current = live;
    for (let attempt = 0; ; attempt++) {
      const upgraded = upgradeManagedFields(current);
      if (upgraded === undefined) return;
      try {
        await this.client.jsonPatch(
          path,
          [
            { op: 'test', path: '/metadata/resourceVersion', value: current.metadata?.resourceVersion },
            { op: 'replace', path: '/metadata/managedFields', value: upgraded },
          ],
          FIELD_MANAGER,
        );
        return;
      } catch (err) {
        if (isNotFound(err)) return; // gone: the apply below creates it
        if (attempt > 0 || !(err instanceof ApiError) || (err.statusCode !== 409 && err.statusCode !== 422))
          throw err;
        current = await this.client.get<KubernetesObject>(path);
      }
    }
  }

  /** Deletes a child the spec no longer wants (only the exact object seen: uid precondition). */
  private async delete(existing: KubernetesObject): Promise<ApplyOutcome> {
    const key = childKey(existing);
    const info = await this.discovery.resolve(existing.apiVersion ?? '', existing.kind ?? '');
    if (info === null) return { key, action: 'unavailable' };
    const path = resourcePath(info, existing.metadata?.namespace, existing.metadata?.name ?? '');
    try {
      await this.client.delete(path, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        propagationPolicy: 'Background',
        preconditions: { uid: existing.metadata?.uid },
      });
    } catch (err) {
      if (isNotFound(err)) return { key, action: 'absent' };
      throw err;
    }
    this.applied.delete(key);
    return { key, action: 'deleted' };
  }
}
