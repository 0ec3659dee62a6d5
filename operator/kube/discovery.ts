/**
 * API discovery: maps `apiVersion` + `kind` to the resource's plural and scope, and answers whether
 * an optional API (Strimzi, prometheus-operator) is installed. Found group-versions are cached for
 * good; missing ones are asked again after `missTtlMs`, so installing a CRD later is noticed.
 */
import type { KubeClient } from './client.ts';
import { ApiError } from './client.ts';

export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

interface ApiResourceList {
  resources: Array<{ name: string; kind: string; namespaced: boolean }>;
}

interface CacheEntry {
  at: number;
  /** kind → resource; null when the group-version is not served. */
  kinds: Map<string, ResourceInfo> | null;
}

export class Discovery {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<CacheEntry>>();

  constructor(
    private readonly client: KubeClient,
    private readonly missTtlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The resource for `apiVersion`/`kind`, or null when the API server does not serve it. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo | null> {
    const cached = this.cache.get(apiVersion);
    const hit = cached?.kinds?.get(kind);
    if (hit !== undefined) return hit;
    // A miss (group-version absent, or present without this kind yet) is asked again after a while.
    if (cached !== undefined && this.now() - cached.at < this.missTtlMs) return null;
    const entry = await this.groupVersion(apiVersion);
    return entry.kinds?.get(kind) ?? null;
  }

  async has(apiVersion: string, kind: string): Promise<boolean> {
    return (await this.resolve(apiVersion, kind)) !== null;
  }

  /** Forgets the group-versions found missing, so the next question asks the API server again. */
  invalidateMisses(): void {
    for (const v of this.cache.values()) v.at = Number.NEGATIVE_INFINITY;
  }

  /** Forgets what is cached, e.g. after a CRD was installed. */
  invalidate(apiVersion?: string): void {
    if (apiVersion === undefined) this.cache.clear();
    else this.cache.delete(apiVersion);
  }

  private groupVersion(apiVersion: string): Promise<CacheEntry> {
    const running = this.inflight.get(apiVersion);
    if (running !== undefined) return running;
    const p = this.fetch(apiVersion).finally(() => this.inflight.delete(apiVersion));
    this.inflight.set(apiVersion, p);
    return p;
  }

  private async fetch(apiVersion: string): Promise<CacheEntry> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let entry: CacheEntry;
    try {
      const list = await this.client.request<ApiResourceList>('GET', 'get', path);
      const kinds = new Map<string, ResourceInfo>();
      for (const r of list.resources) {
        if (r.name.includes('/')) continue; // subresources
        kinds.set(r.kind, { apiVersion, kind: r.kind, plural: r.name, namespaced: r.namespaced });
      }
      entry = { at: this.now(), kinds };
    } catch (err) {
      if (!(err instanceof ApiError && err.statusCode === 404)) throw err;
      entry = { at: this.now(), kinds: null };
    }
    this.cache.set(apiVersion, entry);
    return entry;
  }
}

/** The REST path of a collection (`name` undefined) or of one object. */
export function resourcePath(
  info: Pick<ResourceInfo, 'apiVersion' | 'plural' | 'namespaced'>,
  namespace: string | undefined,
  name?: string,
  subresource?: string,
): string {
  const base = info.apiVersion.includes('/') ? `/apis/${info.apiVersion}` : `/api/${info.apiVersion}`;
  const ns = info.namespaced && namespace !== undefined ? `/namespaces/${namespace}` : '';
  const obj = name === undefined ? '' : `/${encodeURIComponent(name)}`;
  const sub = subresource === undefined ? '' : `/${subresource}`;
  return `${base}${ns}/${info.plural}${obj}${sub}`;
}
