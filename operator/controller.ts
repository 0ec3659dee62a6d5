/**
 * The CreditPipeline controller: informers on CreditPipelines and on the child kinds (filtered by
 * the pipeline label), events mapped to the owning pipeline's `namespace/name`, a deduplicating work
 * queue with per-key exponential retries, and N workers that run the reconciler. Informers run in
 * every replica (warm caches); workers run only while this replica leads.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION, type CreditPipeline, KIND, PIPELINE_LABEL, PLURAL } from '../api/v1alpha1.ts';
import type { Discovery, ResourceInfo } from './kube/discovery.ts';
import type { InformerEvent, InformerSet } from './kube/informers.ts';
import type { OperatorMetrics } from './metrics.ts';
import { ExponentialRateLimiter } from './queue/rate-limiter.ts';
import { WorkQueue } from './queue/work-queue.ts';
import type { ChildApplier } from './reconcile/apply.ts';
import { type Capabilities, CHILD_KINDS, detectCapabilities } from './reconcile/dependencies.ts';
import { appliedHash, controllerPipeline } from './reconcile/ownership.ts';
import type { ChildIndex } from './reconcile/prune.ts';
import type { Reconciler } from './reconcile/reconcile.ts';

export interface ControllerOptions {
  namespaces: string[];
  workers: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** How often optional APIs (Strimzi, prometheus-operator) are looked for again; reads only. */
  capabilityPollMs?: number;
  /**
   * How long a child's status-only change waits before its pipeline is reconciled, so a burst of
   * controller status updates (three Deployments observed one after the other) makes one reconcile
   * and one status write; 0 = at once. Spec, hash, deletion and creation events are never delayed.
   */
  statusCoalesceMs?: number;
}

/** What the controller remembers of a pipeline: its metadata as last seen (JSON: timestamps are text). */
interface PipelineMeta {
  metadata?: {
    namespace?: string;
    name?: string;
    generation?: number;
    deletionTimestamp?: unknown;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
}

/** Whether a CreditPipeline update needs a reconcile: anything but a status-only change. */
export function pipelineChanged(before: PipelineMeta | undefined, after: PipelineMeta): boolean {
  if (before === undefined) return true;
  const a = before.metadata ?? {};
  const b = after.metadata ?? {};
  return (
    a.generation !== b.generation ||
    String(a.deletionTimestamp) !== String(b.deletionTimestamp) ||
    JSON.stringify(a.finalizers ?? []) !== JSON.stringify(b.finalizers ?? []) ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {})
  );
}

/**
 * Whether a child update changed only what its controller reports (status): same generation (the
 * API server bumps it for every spec change), same desired hash, not being deleted. Kinds without a
 * generation (ConfigMap, Secret, Service...) never qualify, so edits of them are seen at once.
 */
export function statusOnlyChange(before: KubernetesObject | undefined, after: KubernetesObject): boolean {
  const b = before?.metadata;
  const a = after.metadata;
  if (b === undefined || a === undefined) return false;
  return (
    a.generation !== undefined &&
    a.generation === b.generation &&
    appliedHash(before) === appliedHash(after) &&
    a.deletionTimestamp === undefined &&
    b.deletionTimestamp === undefined
  );
}

/** The key of the pipeline a child belongs to: its pipeline label, else its controller reference. */
export function ownerKeyOf(obj: KubernetesObject): string | undefined {
  const ns = obj.metadata?.namespace;
  if (ns === undefined) return undefined;
  const label = obj.metadata?.labels?.[PIPELINE_LABEL];
  if (label !== undefined && label !== '') return `${ns}/${label}`;
  const ref = controllerPipeline(obj);
  return ref === undefined ? undefined : `${ns}/${ref.name}`;
}

export class Controller {
  readonly queue: WorkQueue;
  private workersRunning: Promise<void>[] = [];
  private leading = false;
  private capabilities: Capabilities = { strimzi: false, monitoring: false };
  private pollTimer: NodeJS.Timeout | undefined;
  /** Last seen generation/metadata of each pipeline, to ignore our own status writes. */
  private readonly seen = new Map<string, PipelineMeta>();

  constructor(
    private readonly opts: ControllerOptions,
    private readonly informers: InformerSet,
    private readonly discovery: Discovery,
    private readonly index: ChildIndex,
    private readonly applier: ChildApplier,
    private readonly reconciler: Reconciler,
    private readonly metrics: OperatorMetrics,
    private readonly log: Logger,
  ) {
    this.queue = new WorkQueue({
      rateLimiter: new ExponentialRateLimiter({
        baseDelayMs: opts.retryBaseDelayMs,
        maxDelayMs: opts.retryMaxDelayMs,
      }),
      onDepth: (d) => metrics.queueDepth.set(d),
    });
  }

  /** Starts the informers (pipelines first, then children); resolves once they have listed. */
  async startInformers(): Promise<void> {
    const pipelines = await this.discovery.resolve(API_VERSION, KIND);
    if (pipelines === null)
      throw new Error(`the CreditPipeline CRD (${PLURAL}.${API_VERSION.split('/')[0]}) is not installed`);
    this.capabilities = await detectCapabilities(this.discovery);
    await Promise.all(
      CHILD_KINDS.filter((k) => k.optional === undefined || this.capabilities[k.optional]).map((k) =>
        this.ensureChildInformer(k.apiVersion, k.kind),
      ),
    );
    await this.informers.ensure(pipelines, { namespaces: this.opts.namespaces }, (ev, obj) =>
      this.onPipeline(ev, obj),
    );
    this.pollTimer = setInterval(() => void this.pollCapabilities(), this.opts.capabilityPollMs ?? 30_000);
    this.pollTimer.unref();
  }

  /** Starts the informer of a child kind (also for kinds the renderer starts producing later). */
  async ensureChildInformer(apiVersion: string, kind: string, known?: ResourceInfo): Promise<void> {
    if (this.informers.has(apiVersion, kind)) return;
    const info = known ?? (await this.discovery.resolve(apiVersion, kind));
    if (info === null) return;
    await this.informers.ensure(
      info,
      { namespaces: this.opts.namespaces, labelSelector: PIPELINE_LABEL },
      (ev, obj) => this.onChild(ev, obj),
    );
  }

  private async pollCapabilities(): Promise<void> {
    try {
      if (!this.capabilities.strimzi || !this.capabilities.monitoring) this.discovery.invalidateMisses();
      const now = await detectCapabilities(this.discovery);
      const changed =
        now.strimzi !== this.capabilities.strimzi || now.monitoring !== this.capabilities.monitoring;
      this.capabilities = now;
      if (!changed) return;
      this.log.info({ capabilities: now }, 'optional APIs changed; reconciling every pipeline');
      for (const k of CHILD_KINDS)
        if (k.optional !== undefined && now[k.optional]) await this.ensureChildInformer(k.apiVersion, k.kind);
      this.enqueueAll();
    } catch (err) {
      this.log.warn({ err: String(err) }, 'capability check failed');
    }
  }

  private enqueueAll(): void {
    for (const p of this.informers.list<KubernetesObject>(API_VERSION, KIND)) {
      this.queue.add(`${p.metadata?.namespace}/${p.metadata?.name}`);
    }
  }

  private onPipeline(event: InformerEvent, obj: KubernetesObject): void {
    const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
    const meta = obj as PipelineMeta;
    if (event === 'delete') {
      this.seen.delete(key);
      this.queue.add(key);
      return;
    }
    const before = this.seen.get(key);
    this.seen.set(key, { metadata: { ...meta.metadata } });
    if (event === 'add' || pipelineChanged(before, meta)) this.queue.add(key);
  }

  private onChild(event: InformerEvent, obj: KubernetesObject): void {
    this.applier.observe(event, obj);
    const key = ownerKeyOf(obj);
    if (key === undefined) return;
    const before = this.index.get(key, obj);
    if (event === 'delete') this.index.remove(key, obj);
    else this.index.set(key, obj);
    const delay = this.opts.statusCoalesceMs ?? 0;
    if (event === 'update' && delay > 0 && statusOnlyChange(before, obj)) this.queue.addAfter(key, delay);
    else this.queue.add(key);
  }

  get synced(): boolean {
    return this.informers.synced;
  }

  /** Called when this replica becomes leader: start the workers, reconcile everything once. */
  startWorkers(): void {
    if (this.leading) return;
    this.leading = true;
    this.metrics.leader.set(1);
    this.metrics.setConditionSource(() =>
      this.informers.list<CreditPipeline>(API_VERSION, KIND).map((p) => ({
        namespace: p.metadata?.namespace ?? '',
        pipeline: p.metadata?.name ?? '',
        conditions: p.status?.conditions ?? [],
      })),
    );
    this.enqueueAll();
    for (let i = 0; i < this.opts.workers; i++) this.workersRunning.push(this.worker(i));
  }

  private async worker(id: number): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = process.hrtime.bigint();
      let result = 'success';
      try {
        const r = await this.reconciler.reconcile(key);
        if (r.error !== undefined) {
          result = 'error';
          const delay = this.queue.addRateLimited(key);
          this.metrics.reconcileErrors.inc({ step: 'reconcile' });
          this.log.warn(
            { pipeline: key, worker: id, retryInMs: delay, err: r.error.message },
            'reconcile failed',
          );
        } else {
          this.queue.forget(key);
          if (r.writes > 0) this.log.info({ pipeline: key, writes: r.writes }, 'reconciled');
        }
      } catch (err) {
        result = 'error';
        this.queue.addRateLimited(key);
        this.metrics.reconcileErrors.inc({ step: 'unexpected' });
        this.log.error({ pipeline: key, err: String(err) }, 'reconcile threw');
      } finally {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        this.metrics.reconciles.inc({ result });
        this.metrics.reconcileDuration.observe({ result }, seconds);
        this.queue.done(key);
      }
    }
  }

  /** Stops the workers (after the reconciles in progress finish) and the informers. */
  async stop(): Promise<void> {
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    this.queue.shutDown();
    await Promise.all(this.workersRunning);
    this.leading = false;
    this.metrics.leader.set(0);
    this.metrics.setConditionSource(() => []);
    await this.informers.stop();
  }
}
