/**
 * Informers (client-node ListWatch) for the kinds the operator watches, one per resource and
 * watched namespace (or one cluster-wide). A ListWatch stops on error; here it is restarted with
 * exponential back-off, resuming from its last resourceVersion (a 410 Gone makes it list again).
 */
import { type KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { KubeClient } from './client.ts';
import { type ResourceInfo, resourcePath } from './discovery.ts';

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler = (event: InformerEvent, obj: KubernetesObject, resource: ResourceInfo) => void;

export interface InformerOptions {
  /** Namespaces to watch; empty = all namespaces. */
  namespaces: string[];
  labelSelector?: string;
  /** First restart delay after an error; doubles up to `maxRestartDelayMs`. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

/** client-node's Watch, with each watch request counted like the client's own requests. */
class CountingWatch extends Watch {
  constructor(
    private readonly client: KubeClient,
    private readonly resource: string,
  ) {
    super(client.kubeConfig);
  }

  override async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    // Bookmarks keep the resourceVersion fresh so a restart after a quiet period avoids a 410.
    const controller = await super.watch(path, { ...query, allowWatchBookmarks: true }, callback, done);
    this.client.count('watch', this.resource, 200);
    return controller;
  }
}

class ResourceInformer {
  private readonly watchers: Array<{ lw: ListWatch<KubernetesObject>; synced: boolean }> = [];
  private stopped = false;

  constructor(
    readonly resource: ResourceInfo,
    client: KubeClient,
    private readonly opts: InformerOptions,
    handler: InformerHandler,
    private readonly log: Logger,
    private readonly restarts?: Counter<'resource'>,
  ) {
    const namespaces = resource.namespaced && opts.namespaces.length > 0 ? opts.namespaces : [undefined];
    for (const ns of namespaces) {
      const path = resourcePath(resource, ns);
      const watch = new CountingWatch(client, resource.plural);
      const query = opts.labelSelector === undefined ? {} : { labelSelector: opts.labelSelector };
      const lw = new ListWatch<KubernetesObject>(
        path,
        watch,
        // List items carry no apiVersion/kind (watch events do): fill them in, so every cached
        // object names its kind the same way.
        async () => {
          const list = await client.list<KubernetesObject>(path, query);
          list.items = list.items.map((i) => ({
            ...i,
            apiVersion: resource.apiVersion,
            kind: resource.kind,
          }));
          return list;
        },
        false,
        opts.labelSelector,
      );
      const entry = { lw, synced: false };
      lw.on('add', (o) => handler('add', o, resource));
      lw.on('update', (o) => handler('update', o, resource));
      lw.on('delete', (o) => handler('delete', o, resource));
      this.watchers.push(entry);
    }
  }

  async start(): Promise<void> {
    await Promise.all(this.watchers.map((w) => this.run(w, 0)));
  }

  private async run(w: { lw: ListWatch<KubernetesObject>; synced: boolean }, attempt: number): Promise<void> {
    if (this.stopped) return;
    let failed: unknown;
    const onError = (err?: unknown) => {
      failed = err ?? new Error('watch failed');
    };
    w.lw.on('error', onError);
    try {
      await w.lw.start();
    } catch (err) {
      failed = err;
    }
    w.lw.off('error', onError);
    if (failed === undefined) {
      w.synced = true;
      // Later errors (the watch breaking) restart the informer with back-off.
      const onLaterError = (err?: unknown) => {
        w.lw.off('error', onLaterError);
        this.restart(w, 1, err);
      };
      w.lw.on('error', onLaterError);
      return;
    }
    this.restart(w, attempt + 1, failed);
  }

  private restart(
    w: { lw: ListWatch<KubernetesObject>; synced: boolean },
    attempt: number,
    err: unknown,
  ): void {
    if (this.stopped) return;
    const base = this.opts.restartDelayMs ?? 500;
    const delay = Math.min(base * 2 ** (attempt - 1), this.opts.maxRestartDelayMs ?? 30_000);
    this.restarts?.inc({ resource: this.resource.plural });
    this.log.warn(
      { resource: this.resource.plural, attempt, delayMs: delay, err: String(err) },
      'informer failed, restarting',
    );
    const t = setTimeout(() => void this.run(w, attempt), delay);
    t.unref();
  }

  get synced(): boolean {
    return this.watchers.every((w) => w.synced);
  }

  get(namespace: string | undefined, name: string): KubernetesObject | undefined {
    for (const w of this.watchers) {
      const o = w.lw.get(name, namespace);
      if (o !== undefined) return o;
    }
    return undefined;
  }

  list(namespace?: string): KubernetesObject[] {
    return this.watchers.flatMap((w) => [...w.lw.list(namespace)]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.watchers.map((w) => w.lw.stop()));
  }
}

export class InformerSet {
  private readonly informers = new Map<string, ResourceInformer>();

  constructor(
    private readonly client: KubeClient,
    private readonly log: Logger,
    private readonly restarts?: Counter<'resource'>,
  ) {}

  static key(apiVersion: string, kind: string): string {
    return `${apiVersion}/${kind}`;
  }

  has(apiVersion: string, kind: string): boolean {
    return this.informers.has(InformerSet.key(apiVersion, kind));
  }

  /** Starts an informer for `resource` unless one runs; resolves once it has listed (or failed once). */
  async ensure(resource: ResourceInfo, opts: InformerOptions, handler: InformerHandler): Promise<void> {
    const key = InformerSet.key(resource.apiVersion, resource.kind);
    if (this.informers.has(key)) return;
    const inf = new ResourceInformer(resource, this.client, opts, handler, this.log, this.restarts);
    this.informers.set(key, inf);
    await inf.start();
  }

  get synced(): boolean {
    return [...this.informers.values()].every((i) => i.synced);
  }

  /** Resources whose informers run. */
  resources(): ResourceInfo[] {
    return [...this.informers.values()].map((i) => i.resource);
  }

  get<T = KubernetesObject>(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): T | undefined {
    return this.informers.get(InformerSet.key(apiVersion, kind))?.get(namespace, name) as T | undefined;
  }

  list<T = KubernetesObject>(apiVersion: string, kind: string, namespace?: string): T[] {
    return (this.informers.get(InformerSet.key(apiVersion, kind))?.list(namespace) ?? []) as T[];
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
