/**
 * The apply layer: the only code that writes children. `desired` is applied with server-side apply
 * under one field manager (force), unless the informer cache (or, until the cache catches up, the
 * last apply's answer) already holds an object with the same desired-hash: then nothing is sent.
 * `desired = null` means "delete it".
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KubeObject } from '../../cdk8s/options.ts';
import { ApiError, isNotFound, type KubeClient } from '../kube/client.ts';
import { type Discovery, type ResourceInfo, resourcePath } from '../kube/discovery.ts';
import type { InformerEvent } from '../kube/informers.ts';
import { appliedHash, FIELD_MANAGER, foreignManagers, type Owner, stampChild } from './ownership.ts';

export type ApplyAction = 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent' | 'unavailable';

export interface ApplyOutcome {
  key: string;
  action: ApplyAction;
  /** The object the API server returned (create/update). */
  object?: KubernetesObject;
  /** For an update: the other field managers whose edits of declared fields it overrode. */
  reverted?: string[];
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

/** Thrown after an object was deleted to be recreated with changed immutable fields; retry soon. */
export class RecreatePending extends Error {
  override name = 'RecreatePending';
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

export class ChildApplier {
  /** Hash of the last apply per child, valid until an informer event shows the object differently. */
  private readonly applied = new Map<string, string>();

  constructor(
    private readonly client: KubeClient,
    private readonly discovery: Discovery,
    private readonly cache: ChildCacheReader,
    /** Called for a kind seen for the first time, so its informer starts (and its cache fills). */
    private readonly onNewKind: (resource: ResourceInfo) => Promise<void> = async () => {},
  ) {}

  /** Keeps the apply memo honest: any event showing another hash, or a deletion, clears it. */
  observe(event: InformerEvent, obj: KubernetesObject): void {
    const key = childKey(obj);
    const memo = this.applied.get(key);
    if (memo === undefined) return;
    if (event === 'delete' || appliedHash(obj) !== memo) this.applied.delete(key);
  }

  /** Whether the child with `desired`'s hash is known to be in place. */
  private upToDate(key: string, hash: string, cached: KubernetesObject | undefined): boolean {
    if (cached !== undefined && appliedHash(cached) === hash) return true;
    return this.applied.get(key) === hash;
  }

  async apply(owner: Owner, desired: KubeObject): Promise<ApplyOutcome> {
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
        throw new RecreatePending(
          `${object.kind} ${object.metadata.name}: immutable fields changed; deleted to recreate`,
        );
      }
      throw err;
    }
    this.applied.set(key, hash);
    if (cached === undefined) return { key, action: 'created', object: result };
    return { key, action: 'updated', object: result, ...(editedBy.length > 0 ? { reverted: editedBy } : {}) };
  }

  /** Deletes a child the spec no longer wants (only the exact object seen: uid precondition). */
  async delete(existing: KubernetesObject): Promise<ApplyOutcome> {
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

  /** Strimzi-style entry point: `desired = null` deletes `existing` (if any), otherwise applies. */
  async reconcile(
    owner: Owner,
    desired: KubeObject | null,
    existing?: KubernetesObject,
  ): Promise<ApplyOutcome> {
    if (desired !== null) return this.apply(owner, desired);
    if (existing === undefined) return { key: '', action: 'absent' };
    return this.delete(existing);
  }
}
